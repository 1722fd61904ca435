package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// concrete turns an OpenAPI path into one the fixture can answer, with a
// body that passes validation, so an allowed role gets past the checks.
func concrete(f *fixture, o op) (string, any) {
	path := o.path
	switch {
	case strings.HasPrefix(path, "/api/v1/devices/{id}"):
		path = strings.Replace(path, "{id}", "n-psa-1", 1)
	case strings.HasPrefix(path, "/api/v1/alerts/{id}"):
		path = strings.Replace(path, "{id}", "1", 1)
	case strings.HasPrefix(path, "/api/v1/silences/{id}"):
		path = strings.Replace(path, "{id}", "1", 1)
	case strings.HasPrefix(path, "/api/v1/contacts/{id}"):
		path = strings.Replace(path, "{id}", "1", 1)
	case strings.HasPrefix(path, "/api/v1/facilities/{id}"):
		path = strings.Replace(path, "{id}", "f-north", 1)
	case strings.HasPrefix(path, "/api/v1/device-tokens/{id}"):
		path = strings.Replace(path, "{id}", "no-such-token", 1)
	case strings.HasPrefix(path, "/api/v1/tokens/{id}"):
		path = strings.Replace(path, "{id}", f.tokIDs["viewer"], 1)
	case strings.HasPrefix(path, "/api/v1/work-orders/{id}"):
		path = strings.Replace(path, "{id}", f.northWorkOrder(), 1)
	}
	var body any
	switch o.method + " " + o.path {
	case "PUT /api/v1/devices/{id}":
		body = map[string]any{"kind": "psa", "region": "north", "facility": "f-north"}
	case "POST /api/v1/devices/import":
		body = "id,kind,region\nn-new,psa,north\n"
	case "POST /api/v1/devices/{id}/maintenance":
		body = map[string]any{"component": "filter", "runtime_h": 4400}
	case "PUT /api/v1/facilities/{id}":
		body = map[string]any{"name": "North Referral", "region": "north"}
	case "POST /api/v1/alerts/{id}/ack":
		body = map[string]any{"note": "on my way"}
	case "POST /api/v1/silences":
		body = map[string]any{"region": "north", "ends_at": testNow.Add(2 * 3600e9), "comment": "works"}
	case "POST /api/v1/contacts", "PUT /api/v1/contacts/{id}":
		body = map[string]any{"name": "Grace", "phone": "+256772000001", "regions": []string{"north"}}
	case "POST /api/v1/tokens":
		body = map[string]any{"role": "viewer", "name": "x"}
	case "POST /api/v1/device-tokens":
		body = map[string]any{"devices": []string{"n-psa-1"}, "name": "x"}
	case "POST /api/v1/work-orders":
		body = map[string]any{"device_id": "n-psa-1", "fault": "compressor_fault"}
	case "POST /api/v1/work-orders/{id}/close":
		body = map[string]any{"cause": "compressor_fault"}
	}
	return path, body
}

// TestAccessMatrix sends every described route as every role (plain and
// north-limited) and checks the answer against the role the route needs:
// 403 below it, never 401 or 403 at or above it. Routes over the whole
// system (tokens, audit) refuse region-limited tokens whatever their role.
func TestAccessMatrix(t *testing.T) {
	for _, o := range operations() {
		if o.role == "" {
			continue
		}
		t.Run(o.method+" "+o.path, func(t *testing.T) {
			// A fresh fixture per route: DELETE and PUT change state.
			f := newFixture(t)
			for _, who := range append([]string{"viewer", "north-viewer", "engineer", "north-engineer", "admin", "north-admin"}, configAdmin) {
				path, body := concrete(f, o)
				rec := f.do(who, o.method, path, body)
				role, limited := Role(strings.TrimPrefix(who, "north-")), strings.HasPrefix(who, "north-")
				if who == configAdmin {
					role = RoleAdmin
				}
				systemWide := strings.HasPrefix(o.path, "/api/v1/tokens") || strings.HasPrefix(o.path, "/api/v1/device-tokens") || o.path == "/api/v1/audit"
				allowed := role.rank() >= o.role.rank() && !(systemWide && limited)
				switch {
				case !allowed && rec.Code != http.StatusForbidden:
					t.Errorf("as %s: got %d, want 403 (%s)", who, rec.Code, rec.Body)
				case allowed && (rec.Code == http.StatusForbidden || rec.Code == http.StatusUnauthorized || rec.Code >= 500):
					t.Errorf("as %s: got %d (%s), want it allowed", who, rec.Code, rec.Body)
				}
			}
			for _, who := range []string{"", "oxw_not-a-token"} {
				path, body := concrete(f, o)
				wantProblem(t, f.do(who, o.method, path, body), http.StatusUnauthorized)
			}
		})
	}
}

// TestRegionIsolation: a north token sees nothing of the south, not in
// lists, counts, exports, direct reads, actions nor reports.
func TestRegionIsolation(t *testing.T) {
	f := newFixture(t)
	const who = "north-engineer"
	forbidden := []struct {
		method, path string
		body         any
	}{
		{"GET", "/api/v1/devices/s-psa-1", nil},
		{"GET", "/api/v1/devices/s-psa-1/readings", nil},
		{"POST", "/api/v1/devices/s-psa-1/maintenance", map[string]any{"component": "filter"}},
		{"GET", "/api/v1/alerts/2", nil},
		{"POST", "/api/v1/alerts/2/ack", map[string]any{"note": "x"}},
		{"GET", "/api/v1/facilities/f-south", nil},
		{"GET", "/api/v1/contacts/2", nil},
		{"GET", "/api/v1/contacts/3", nil}, // national contact
		{"DELETE", "/api/v1/silences/2", nil},
		{"DELETE", "/api/v1/silences/3", nil}, // matches every region
		{"POST", "/api/v1/silences", map[string]any{"region": "south", "ends_at": testNow.Add(3600e9), "comment": "x"}},
		{"POST", "/api/v1/silences", map[string]any{"device": "s-psa-1", "ends_at": testNow.Add(3600e9), "comment": "x"}},
		{"POST", "/api/v1/silences", map[string]any{"rule": "offline", "ends_at": testNow.Add(3600e9), "comment": "x"}},
		{"GET", "/api/v1/reports/uptime?region=south", nil},
		{"GET", "/api/v1/supply?region=north,south", nil},
	}
	for _, c := range forbidden {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			p := wantProblem(t, f.do(who, c.method, c.path, c.body), http.StatusForbidden)
			if strings.Contains(p.Detail, "s-psa-1") {
				t.Errorf("the problem names the hidden device: %q", p.Detail)
			}
		})
	}
	if len(f.readings.seen) != 0 {
		t.Errorf("InfluxDB was queried for a device outside the token's regions: %+v", f.readings.seen)
	}
	if a, _ := f.alerts.Get(context.Background(), 2); a.State != "firing" {
		t.Errorf("the south alert was acknowledged by a north token: %+v", a)
	}

	// Lists, filters and exports hold only the north.
	lists := []string{
		"/api/v1/devices", "/api/v1/devices?region=south", "/api/v1/devices?facility=f-south", "/api/v1/devices?status=operational",
		"/api/v1/alerts", "/api/v1/alerts?region=south", "/api/v1/facilities", "/api/v1/silences", "/api/v1/contacts",
		"/api/v1/maintenance/due", "/api/v1/deliveries", "/api/v1/reports/uptime", "/api/v1/supply?group=region",
		"/api/v1/reports/uptime?format=csv", "/api/v1/reports/uptime?format=html", "/api/v1/devices?format=csv",
	}
	for _, path := range lists {
		rec := f.do(who, "GET", path, nil)
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s: got %d %s", path, rec.Code, rec.Body)
		}
		body := rec.Body.String()
		for _, leak := range []string{"south", "s-psa-1", "Peter", "Ministry", "network outage"} {
			if strings.Contains(body, leak) {
				t.Errorf("GET %s leaks %q: %s", path, leak, body)
			}
		}
	}
	var devs List[map[string]any]
	f.ok(who, "GET", "/api/v1/devices", nil, &devs)
	if len(devs.Items) != 2 {
		t.Errorf("north token sees %d devices, want 2", len(devs.Items))
	}
	for _, q := range f.reports.seen {
		if strings.Join(q.Regions, ",") != "north" {
			t.Errorf("report asked for regions %v, want [north]", q.Regions)
		}
	}
	// The unlimited engineer sees both regions.
	f.ok("engineer", "GET", "/api/v1/devices", nil, &devs)
	if len(devs.Items) != 3 {
		t.Errorf("unlimited token sees %d devices, want 3", len(devs.Items))
	}
}

// TestReportLeakIsRefused: an adapter that ignores Regions must not leak.
func TestReportLeakIsRefused(t *testing.T) {
	f := newFixture(t)
	f.reports.leak = true
	for _, format := range []string{"json", "csv", "html"} {
		rec := f.do("north-viewer", "GET", "/api/v1/reports/uptime?format="+format, nil)
		wantProblem(t, rec, http.StatusInternalServerError)
		if strings.Contains(rec.Body.String(), "south") {
			t.Errorf("format %s: the problem body leaks: %s", format, rec.Body)
		}
	}
	rec := f.do("viewer", "GET", "/api/v1/reports/uptime", nil)
	var rep struct{ Items []map[string]any }
	json.Unmarshal(rec.Body.Bytes(), &rep)
	if rec.Code != 200 || len(rep.Items) != 2 {
		t.Errorf("unlimited: got %d with %d rows, want 200 with 2", rec.Code, len(rep.Items))
	}
}

// TestRegionLimitedAdminWrites: a north admin edits only the north.
func TestRegionLimitedAdminWrites(t *testing.T) {
	f := newFixture(t)
	const who = "north-admin"
	wantProblem(t, f.do(who, "PUT", "/api/v1/devices/s-psa-1", map[string]any{"kind": "psa", "region": "north"}), http.StatusForbidden)
	wantProblem(t, f.do(who, "PUT", "/api/v1/devices/n-psa-1", map[string]any{"kind": "psa", "region": "south"}), http.StatusForbidden)
	wantProblem(t, f.do(who, "DELETE", "/api/v1/devices/s-psa-1", nil), http.StatusForbidden)
	wantProblem(t, f.do(who, "PUT", "/api/v1/facilities/f-south", map[string]any{"region": "north"}), http.StatusForbidden)
	wantProblem(t, f.do(who, "POST", "/api/v1/contacts", map[string]any{"name": "x", "phone": "+256772000009", "regions": []string{"south"}}), http.StatusForbidden)
	if d, _ := f.reg.Get(context.Background(), "s-psa-1"); d.Region != "south" {
		t.Fatalf("the south device changed: %+v", d)
	}
	f.ok(who, "PUT", "/api/v1/devices/n-new", map[string]any{"kind": "concentrator", "region": "north"}, nil)
}
