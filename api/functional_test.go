package api

import (
	"net/http"
	"strings"
	"testing"

	"github.com/oxywatch/oxywatch/internal/plant"
	"github.com/oxywatch/oxywatch/internal/store"
)

// An engineer records a functional status on a date; it is stored in the
// real registry with its audit entry, listed newest first, and refused
// when invalid, to a viewer, or outside the caller's regions.
func TestFunctionalStatusRoute(t *testing.T) {
	f := newFixture(t)
	var rec plant.FunctionalRecord
	f.ok("engineer", "POST", "/api/v1/devices/n-con-2/functional", FunctionalRequest{Status: "non_functional", At: "2026-11-20", Note: "sieve worn"}, &rec)
	if rec.ID == 0 || rec.Status != plant.FunctionalBroken || rec.At.Format("2006-01-02") != "2026-11-20" || !strings.Contains(rec.RecordedBy, "engineer") {
		t.Errorf("got %+v", rec)
	}
	f.ok("north-engineer", "POST", "/api/v1/devices/n-con-2/functional", FunctionalRequest{Status: "under_repair", At: "2026-11-22T08:00:00Z"}, nil)
	var list List[plant.FunctionalRecord]
	f.ok("viewer", "GET", "/api/v1/devices/n-con-2/functional", nil, &list)
	if len(list.Items) != 2 || list.Items[0].Status != plant.FunctionalUnderRepair {
		t.Errorf("history: %+v", list.Items)
	}
	latest, err := f.reg.LatestFunctional(t.Context(), testNow)
	if err != nil || latest["n-con-2"].Status != plant.FunctionalUnderRepair {
		t.Errorf("stored: %+v %v", latest, err)
	}
	audit, err := f.opt.Audit.List(t.Context(), 0, 10)
	if err != nil || len(audit) != 2 || audit[0].Action != "device.functional" || audit[0].Target != "n-con-2" || !strings.Contains(audit[1].Detail, "sieve worn") {
		t.Errorf("audit: %+v %v", audit, err)
	}
	for _, body := range []string{`{"status":"broken"}`, `{"status":"functional","at":"yesterday"}`, `{"status":"functional","at":"2027-01-01"}`, `{"status":"functional","colour":"red"}`} {
		wantProblem(t, f.do("engineer", "POST", "/api/v1/devices/n-con-2/functional", body), http.StatusBadRequest)
	}
	wantProblem(t, f.do("viewer", "POST", "/api/v1/devices/n-con-2/functional", FunctionalRequest{Status: "functional"}), http.StatusForbidden)
	wantProblem(t, f.do("north-engineer", "POST", "/api/v1/devices/s-psa-1/functional", FunctionalRequest{Status: "functional"}), http.StatusForbidden)
	wantProblem(t, f.do("engineer", "POST", "/api/v1/devices/ghost/functional", FunctionalRequest{Status: "functional"}), http.StatusNotFound)
}

// Stock goes on LOX tanks and cylinder banks only, in litres or large
// cylinders.
func TestStockRoute(t *testing.T) {
	f := newFixture(t)
	if _, err := f.reg.Put(t.Context(), plant.Device{ID: "n-lox-1", Kind: plant.KindLOXTank, Facility: "f-north", Region: "north", Country: "UG"}); err != nil {
		t.Fatal(err)
	}
	var rec plant.StockRecord
	f.ok("engineer", "POST", "/api/v1/devices/n-lox-1/stock", map[string]any{"cylinders": 12.5, "at": "2026-11-21"}, &rec)
	if rec.Litres != 85000 || rec.Cylinders != 12.5 {
		t.Errorf("got %+v", rec)
	}
	f.ok("engineer", "POST", "/api/v1/devices/n-lox-1/stock", map[string]any{"litres": 3400}, &rec)
	var list List[plant.StockRecord]
	f.ok("viewer", "GET", "/api/v1/devices/n-lox-1/stock", nil, &list)
	if len(list.Items) != 2 || list.Items[0].Litres != 3400 || list.Items[0].Cylinders != 0.5 {
		t.Errorf("history: %+v", list.Items)
	}
	for _, body := range []string{`{}`, `{"litres":1,"cylinders":1}`, `{"litres":-5}`} {
		wantProblem(t, f.do("engineer", "POST", "/api/v1/devices/n-lox-1/stock", body), http.StatusBadRequest)
	}
	p := wantProblem(t, f.do("engineer", "POST", "/api/v1/devices/n-psa-1/stock", `{"litres":10}`), http.StatusBadRequest)
	if len(p.Errors) == 0 || p.Errors[0].Field != "kind" {
		t.Errorf("stock on a PSA plant: %+v", p)
	}
}

// A registry without field records or work orders answers 501 on their
// routes, naming what it does not keep.
func TestRegistryPartsNotConfigured(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.Registry = plainRegistry{o.Registry} })
	for _, tc := range []struct {
		method, path string
		body         any
		what         string
	}{
		{"POST", "/api/v1/devices/n-con-2/functional", FunctionalRequest{Status: "functional"}, "functional status and stock records"},
		{"GET", "/api/v1/devices/n-con-2/functional", nil, "functional status and stock records"},
		{"POST", "/api/v1/devices/n-con-2/stock", StockRequest{Litres: new(1000.0)}, "functional status and stock records"},
		{"GET", "/api/v1/devices/n-con-2/stock", nil, "functional status and stock records"},
		{"GET", "/api/v1/work-orders", nil, "work orders"},
		{"POST", "/api/v1/work-orders", OpenWorkOrderRequest{DeviceID: "n-con-2", Fault: "other"}, "work orders"},
		{"GET", "/api/v1/work-orders/1", nil, "work orders"},
		{"POST", "/api/v1/work-orders/1/close", CloseWorkOrderRequest{Cause: "other"}, "work orders"},
		{"POST", "/api/v1/alerts/1/work-order", nil, "work orders"},
	} {
		p := wantProblem(t, f.do("engineer", tc.method, tc.path, tc.body), http.StatusNotImplemented)
		if p.Code != "not_configured" || !strings.Contains(p.Detail, tc.what) {
			t.Errorf("%s %s: got code %q detail %q, want not_configured naming %q", tc.method, tc.path, p.Code, p.Detail, tc.what)
		}
	}
}

type plainRegistry struct{ Registry }

var _ FieldRecords = (*store.Registry)(nil)

// Facilities take oxygen-using beds by category in the CSV and JSON, and
// export them back; a negative count is refused with its column named.
func TestFacilityBedCategories(t *testing.T) {
	f := newFixture(t)
	body := "id,name,region,country,beds_general,beds_severe,beds_critical\n" +
		"f-north,North Referral,north,UG,80,12,4\n" +
		"f-east,East,north,UG,10,-1,0\n"
	var res ImportResult
	decodeJSON(t, importFacilitiesAs(t, f, "admin", body), &res)
	if res.Updated != 1 || res.Rejected != 1 || !strings.Contains(res.Errors[0].Error, "beds_severe") {
		t.Fatalf("got %+v", res)
	}
	var fac plant.Facility
	f.ok("viewer", "GET", "/api/v1/facilities/f-north", nil, &fac)
	if fac.BedsGeneral != 80 || fac.BedsSevere != 12 || fac.BedsCritical != 4 {
		t.Errorf("got %+v", fac)
	}
	rec := f.do("viewer", "GET", "/api/v1/facilities?format=csv", nil)
	if !strings.Contains(rec.Body.String(), "beds,beds_general,beds_severe,beds_critical,demand_lpm") || !strings.Contains(rec.Body.String(), ",80,12,4,") {
		t.Errorf("export: %s", rec.Body)
	}
	f.ok("admin", "PUT", "/api/v1/facilities/f-south", plant.Facility{ID: "f-south", Name: "South", Region: "south", Country: "UG", BedsCritical: 6}, nil)
	f.ok("viewer", "GET", "/api/v1/facilities/f-south", nil, &fac)
	if fac.BedsCritical != 6 {
		t.Errorf("PUT: %+v", fac)
	}
}
