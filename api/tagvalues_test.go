package api

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

// TestRegistryValuesThatBecomeInfluxTags replays issue 13 finding 3: a
// facility name ending in a backslash or holding a newline was accepted,
// and the next reading of its devices stopped the ingester. Every registry
// value that becomes an InfluxDB tag is refused at the API with a 400 (or a
// row error on import) that names the field.
func TestRegistryValuesThatBecomeInfluxTags(t *testing.T) {
	long := strings.Repeat("x", maxTagValue+1)
	bad := []struct {
		name, field string
		value       string
	}{
		{"newline", "facility", "f-north\nweather,device=x purity_pct=1"},
		{"carriage return", "region", "north\r"},
		{"tab", "country", "U\tG"},
		{"other C0", "model", "OG\x0015"},
		{"escape", "facility", "f\x1b[31m"},
		{"delete", "region", "north\x7f"},
		{"trailing backslash", "facility", `f-north\`},
		{"too long", "model", long},
	}
	for _, c := range bad {
		t.Run("PUT device "+c.name, func(t *testing.T) {
			f := newFixture(t)
			body := map[string]any{"kind": "psa", "region": "north", "facility": "f-north", "country": "UG"}
			body[c.field] = c.value
			p := wantProblem(t, f.do("admin", "PUT", "/api/v1/devices/n-psa-1", body), http.StatusBadRequest)
			if !namesField(p, c.field) {
				t.Errorf("got %+v, want it to name %s", p, c.field)
			}
			if d, _ := f.reg.Get(context.Background(), "n-psa-1"); d.Facility != "f-north" || d.Region != "north" || d.Country != "UG" || d.Model != "" {
				t.Errorf("the device changed: %+v", d)
			}
		})
	}
	for _, c := range bad {
		field := c.field
		if field == "model" || field == "facility" {
			field = "name"
		}
		t.Run("PUT facility "+c.name, func(t *testing.T) {
			f := newFixture(t)
			body := map[string]any{"name": "New", "region": "north", "country": "UG"}
			body[field] = c.value
			p := wantProblem(t, f.do("admin", "PUT", "/api/v1/facilities/f-new", body), http.StatusBadRequest)
			if !namesField(p, field) {
				t.Errorf("got %+v, want it to name %s", p, field)
			}
		})
	}
	for name, id := range map[string]string{"backslash": "f-new%5C", "newline": "f%0Anew", "tab": "f%09new"} {
		t.Run("PUT facility id with "+name, func(t *testing.T) {
			f := newFixture(t)
			p := wantProblem(t, f.do("admin", "PUT", "/api/v1/facilities/"+id, map[string]any{"region": "north"}), http.StatusBadRequest)
			if !namesField(p, "id") {
				t.Errorf("got %+v, want it to name id", p)
			}
		})
	}
	t.Run("import", func(t *testing.T) {
		f := newFixture(t)
		csv := "id,kind,model,facility,region,country\n" +
			"k-1,psa,,\"f-north\nx\",north,UG\n" +
			"k-2,psa,,f-north\\,north,UG\n" +
			"k-3,psa,\"OG\t15\",f-north,north,UG\n" +
			"k-4,psa,,f-north,north," + long + "\n" +
			"k-5,psa,OG-15,f-north,north,UG\n"
		var res ImportResult
		f.ok("admin", "POST", "/api/v1/devices/import", csv, &res)
		if res.Created != 1 || res.Rejected != 4 {
			t.Fatalf("got %+v, want 1 created and 4 rows refused", res)
		}
		for i, want := range []string{"facility", "facility", "model", "country"} {
			if !strings.HasPrefix(res.Errors[i].Error, want+":") {
				t.Errorf("row %d: got %q, want an error naming %s", res.Errors[i].Row, res.Errors[i].Error, want)
			}
		}
	})
	t.Run("what held up still goes in", func(t *testing.T) {
		f := newFixture(t)
		f.ok("admin", "PUT", "/api/v1/devices/k-9", map[string]any{"kind": "psa", "region": "north", "facility": `St. Mary's "A", ward=3 \ east`, "model": "OG 15=x", "country": "Côte d'Ivoire"}, nil)
	})
}

func namesField(p Problem, field string) bool {
	for _, e := range p.Errors {
		if e.Field == field {
			return true
		}
	}
	return strings.HasPrefix(p.Detail, field+":") || strings.HasPrefix(p.Detail, field+" ")
}
