package api

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// importFacilitiesAs posts a facility CSV to the import handler behind the
// real authentication, as POST /api/v1/facilities/import mounts it.
func importFacilitiesAs(t *testing.T, f *fixture, who, body string) *httptest.ResponseRecorder {
	t.Helper()
	opt := f.opt
	opt.defaults()
	s := &server{opt: opt, log: opt.Logger, limiter: newLimiter(opt.RateLimit, opt.RateBurst, opt.Now),
		logins: newLoginLimiter(opt.Now, opt.Logger, opt.Registerer)}
	s.devices = newDeviceCache(opt.Registry, opt.RegistryTTL, opt.Now)
	r := chi.NewRouter()
	r.Use(s.authenticate)
	r.With(need(RoleAdmin)).Post("/api/v1/facilities/import", s.importFacilities)
	req := httptest.NewRequest("POST", "/api/v1/facilities/import", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+f.tok[who])
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, req)
	return rec
}

func TestImportFacilities(t *testing.T) {
	f := newFixture(t)
	body := "id;name;region;country;lat;lon;beds;demand_lpm;dhis2_org_unit;level\n" +
		"f-north;North Referral;north;UG;2,77;32,3;250;;OU1;regional\n" + // update: beds 120 → 250
		"f-west;West District;north;UG;;;80;600;;district\n" + // new, own demand
		"f-bad;Bad;north;UG;95;;;;;\n" + // latitude out of range
		"f-neg;Neg;north;UG;;;-4;;;\n" + // negative beds
		";No id;north;UG;;;;;;\n" +
		"f-south;South;south;UG;;;70;;;\n" // outside north-admin's regions
	rec := importFacilitiesAs(t, f, "north-admin", body)
	if rec.Code != http.StatusOK {
		t.Fatalf("got %d %s", rec.Code, rec.Body)
	}
	var res ImportResult
	decodeJSON(t, rec, &res)
	if res.Created != 1 || res.Updated != 1 || res.Rejected != 4 {
		t.Errorf("got %+v, want 1 created, 1 updated, 4 rejected", res)
	}
	want := map[int]string{4: "lat", 5: "beds", 6: "id", 7: "outside"}
	for _, e := range res.Errors {
		if !strings.Contains(e.Error, want[e.Row]) || want[e.Row] == "" {
			t.Errorf("row %d: error %q, want one about %q", e.Row, e.Error, want[e.Row])
		}
	}
	if len(res.IgnoredColumns) != 1 || res.IgnoredColumns[0] != "level" {
		t.Errorf("ignored columns %v, want [level]", res.IgnoredColumns)
	}
	facs, err := f.reg.Facilities(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]plant.Facility{}
	for _, fc := range facs {
		got[fc.ID] = fc
	}
	if n := got["f-north"]; n.Beds != 250 || n.Lat != 2.77 || n.OrgUnit != "OU1" {
		t.Errorf("f-north: %+v", n)
	}
	if w := got["f-west"]; w.DemandLPM != 600 || w.Beds != 80 || w.Region != "north" {
		t.Errorf("f-west: %+v", w)
	}
	if s := got["f-south"]; s.Beds != 60 {
		t.Errorf("f-south changed by a north admin: %+v", s)
	}
	if rec := importFacilitiesAs(t, f, "viewer", body); rec.Code != http.StatusForbidden {
		t.Errorf("a viewer's import: got %d, want 403", rec.Code)
	}
}

// An export imports back unchanged.
func TestFacilitiesCSVExportRoundTrip(t *testing.T) {
	f := newFixture(t)
	if err := f.reg.PutFacility(t.Context(), plant.Facility{ID: "f-eq", Name: "=HYPERLINK(1)", Region: "north", Country: "UG", Lat: -1.5, Beds: 40, DemandLPM: 90.5}); err != nil {
		t.Fatal(err)
	}
	rec := f.do("admin", "GET", "/api/v1/facilities?format=csv", nil)
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/csv") {
		t.Fatalf("got %d %s %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
	}
	rows, err := csv.NewReader(strings.NewReader(rec.Body.String())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rows[0], ",") != strings.Join(facilityColumns, ",") || len(rows) != 4 {
		t.Fatalf("got %v", rows)
	}
	before, _ := f.reg.Facilities(t.Context())
	imp := importFacilitiesAs(t, f, "admin", rec.Body.String())
	var res ImportResult
	decodeJSON(t, imp, &res)
	if res.Updated != 3 || res.Rejected != 0 {
		t.Fatalf("re-import: %+v", res)
	}
	after, _ := f.reg.Facilities(t.Context())
	for i := range before {
		if before[i] != after[i] {
			t.Errorf("round trip changed %+v into %+v", before[i], after[i])
		}
	}
}

// The device CSV carries commissioning dates and the facility's beds.
func TestImportDevicesDatesAndBeds(t *testing.T) {
	f := newFixture(t)
	var res ImportResult
	f.ok("admin", "POST", "/api/v1/devices/import", "id,kind,facility,region,country,commissioned_at,decommissioned_at,beds\n"+
		"k-1,psa,f-east,east,UG,2024-03-15,,150\n"+
		"k-2,concentrator,f-east,east,UG,2025-01-02T08:00:00+03:00,2026-06-30,\n"+
		"k-3,psa,f-east,east,UG,15/03/2024,,\n"+
		"k-4,psa,f-east,east,UG,2025-01-01,2024-01-01,\n"+
		"k-5,psa,,east,UG,,,20\n", &res)
	if res.Created != 2 || res.Rejected != 3 {
		t.Fatalf("got %+v, want 2 created, 3 rejected", res)
	}
	var d plant.Device
	f.ok("admin", "GET", "/api/v1/devices/k-1", nil, &d)
	if want := time.Date(2024, 3, 15, 0, 0, 0, 0, time.UTC); !d.CommissionedAt.Equal(want) {
		t.Errorf("k-1 commissioned %s, want %s", d.CommissionedAt, want)
	}
	f.ok("admin", "GET", "/api/v1/devices/k-2", nil, &d)
	if want := time.Date(2025, 1, 2, 5, 0, 0, 0, time.UTC); !d.CommissionedAt.Equal(want) || d.DecommissionedAt.IsZero() {
		t.Errorf("k-2 commissioned %s decommissioned %s", d.CommissionedAt, d.DecommissionedAt)
	}
	var fac plant.Facility
	f.ok("admin", "GET", "/api/v1/facilities/f-east", nil, &fac)
	if fac.Beds != 150 || fac.Region != "east" {
		t.Errorf("f-east: %+v, want 150 beds in east", fac)
	}

	// PUT keeps a given commissioning date; created_at stays the server's.
	body := `{"kind":"psa","region":"east","commissioned_at":"2023-05-01T00:00:00Z","created_at":"2001-01-01T00:00:00Z"}`
	f.ok("admin", "PUT", "/api/v1/devices/k-9", body, &d)
	if d.CommissionedAt.Year() != 2023 || !d.CreatedAt.Equal(testNow) {
		t.Errorf("PUT: commissioned %s created %s", d.CommissionedAt, d.CreatedAt)
	}
}

func decodeJSON(t *testing.T, rec *httptest.ResponseRecorder, out any) {
	t.Helper()
	if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
		t.Fatalf("%v in %s", err, rec.Body)
	}
}
