package api

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
)

// TestOpenAPIDescribesEveryRoute walks the router and checks that every
// route is in the served document, and that the document describes no
// route the server does not have. The dashboard's static files are not API.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	f := newFixture(t)
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	f.ok("viewer", "GET", "/api/v1/openapi.json", nil, &doc)
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi %q, want 3.x", doc.OpenAPI)
	}
	routed := map[string]bool{}
	err := chi.Walk(f.h.(chi.Routes), func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		if route == "/" || strings.HasPrefix(route, "/ui/") {
			return nil
		}
		route = strings.TrimSuffix(route, "/")
		key := strings.ToLower(method) + " " + route
		routed[key] = true
		if _, ok := doc.Paths[route][strings.ToLower(method)]; !ok {
			t.Errorf("%s %s is routed but not described in openapi.json", method, route)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for path, ops := range doc.Paths {
		for method, raw := range ops {
			if !routed[method+" "+path] {
				t.Errorf("openapi.json describes %s %s, which is not routed", method, path)
			}
			var op struct {
				Summary   string         `json:"summary"`
				Responses map[string]any `json:"responses"`
			}
			json.Unmarshal(raw, &op)
			if op.Summary == "" || len(op.Responses) == 0 {
				t.Errorf("%s %s: no summary or responses", method, path)
			}
		}
	}
	if len(routed) < 30 {
		t.Errorf("walked %d routes; the walk is broken", len(routed))
	}
}

// The device schema carries the CONTRACT §5 field names.
func TestOpenAPIDeviceFields(t *testing.T) {
	doc := buildSpec(operations())
	dev := doc["components"].(map[string]any)["schemas"].(map[string]any)["Device"].(map[string]any)["properties"].(map[string]any)
	for _, k := range []string{"id", "kind", "facility", "region", "country", "rated_flow_lpm", "report_interval_s", "status", "last_seen", "last_reading", "last_error"} {
		if _, ok := dev[k]; !ok {
			t.Errorf("Device schema lacks %q", k)
		}
	}
}

// Every collection the document describes takes limit and cursor, as
// CONTRACT §5 says every list does.
func TestOpenAPIListsArePaged(t *testing.T) {
	for _, o := range operations() {
		if o.list && (!slices.Contains(o.query, "limit") || !slices.Contains(o.query, "cursor")) {
			t.Errorf("%s %s answers a list but takes no limit and cursor: %v", o.method, o.path, o.query)
		}
	}
}
