package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/oxywatch/oxywatch/internal/plant"
	"github.com/oxywatch/oxywatch/internal/store"
)

var _ WorkOrders = (*store.Registry)(nil)

// A work order opened from an alert takes the alert's device, start and
// rule; a second call answers the same one with 200; it is closed with its
// cause and parts, once; each change is audited; the list and the reads
// follow region limits.
func TestWorkOrderFromAlert(t *testing.T) {
	f := newFixture(t)
	rec := f.do("engineer", "POST", "/api/v1/alerts/1/work-order", map[string]string{"note": "compressor noisy"})
	if rec.Code != http.StatusCreated {
		t.Fatalf("got %d %s, want 201", rec.Code, rec.Body)
	}
	var wo WorkOrderJSON
	decodeJSON(t, rec, &wo)
	if wo.ID == 0 || wo.DeviceID != "n-psa-1" || wo.FacilityID != "f-north" || wo.Region != "north" || wo.AlertID == nil || *wo.AlertID != 1 ||
		wo.Status != "open" || !wo.OpenedAt.Equal(testNow.Add(-time.Hour)) || wo.Fault != "device_fault" || wo.ClosedAt != nil || wo.RestoredAt != nil ||
		wo.Note != "compressor noisy" || !strings.Contains(wo.OpenedBy, "engineer") {
		t.Errorf("got %+v", wo)
	}
	// the raw JSON has every field, null where unset
	var raw map[string]any
	decodeJSON(t, f.do("viewer", "GET", "/api/v1/work-orders/"+itoa(wo.ID), nil), &raw)
	for _, k := range []string{"id", "device_id", "facility_id", "region", "alert_id", "status", "opened_at", "closed_at", "restored_at", "fault", "cause", "parts", "note", "opened_by", "closed_by"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("field %s missing in %v", k, raw)
		}
	}
	if raw["opened_at"] != "2026-11-23T09:00:00Z" || raw["closed_at"] != nil {
		t.Errorf("times: %v", raw)
	}

	again := f.do("north-engineer", "POST", "/api/v1/alerts/1/work-order", nil)
	var same WorkOrderJSON
	decodeJSON(t, again, &same)
	if again.Code != http.StatusOK || same.ID != wo.ID {
		t.Errorf("second call: %d %+v, want 200 with work order %d", again.Code, same, wo.ID)
	}

	path := "/api/v1/work-orders/" + itoa(wo.ID) + "/close"
	p := wantProblem(t, f.do("engineer", "POST", path, CloseWorkOrderRequest{ClosedAt: "2026-11-23T08:00:00Z", Cause: "compressor_fault"}), http.StatusBadRequest)
	if len(p.Errors) != 1 || p.Errors[0].Field != "closed_at" || !strings.Contains(p.Detail, "closed_at") {
		t.Errorf("closed before opened: %+v", p)
	}
	wantProblem(t, f.do("engineer", "POST", path, CloseWorkOrderRequest{Cause: " "}), http.StatusBadRequest)
	p = wantProblem(t, f.do("engineer", "POST", path, CloseWorkOrderRequest{Cause: "x", Parts: []plant.Part{{Name: "valve", Quantity: 0}}}), http.StatusBadRequest)
	if p.Errors[0].Field != "parts[0].quantity" {
		t.Errorf("bad part: %+v", p)
	}
	wantProblem(t, f.do("viewer", "POST", path, CloseWorkOrderRequest{Cause: "other"}), http.StatusForbidden)

	var done WorkOrderJSON
	f.ok("engineer", "POST", path, CloseWorkOrderRequest{ClosedAt: "2026-11-23T09:45:00Z", RestoredAt: "2026-11-23T09:30:00Z",
		Cause: "compressor_fault: worn piston rings", Parts: []plant.Part{{Name: "piston ring set", Quantity: 2}}, Note: "rings replaced"}, &done)
	if done.Status != "closed" || done.ClosedAt == nil || !done.ClosedAt.Equal(testNow.Add(-15*time.Minute)) || !done.RestoredAt.Equal(testNow.Add(-30*time.Minute)) ||
		len(done.Parts) != 1 || done.Parts[0].Quantity != 2 || done.Note != "compressor noisy\nrings replaced" || done.ClosedBy == "" {
		t.Errorf("closed: %+v", done)
	}
	p = wantProblem(t, f.do("engineer", "POST", path, CloseWorkOrderRequest{Cause: "other"}), http.StatusConflict)
	if !strings.Contains(p.Detail, "closed") {
		t.Errorf("409: %+v", p)
	}

	audit, err := f.opt.Audit.List(t.Context(), 0, 10)
	if err != nil || len(audit) != 2 || audit[0].Action != "work_order.close" || audit[1].Action != "work_order.open" ||
		audit[0].Target != itoa(wo.ID) || audit[1].Target != itoa(wo.ID) {
		t.Errorf("audit: %+v %v", audit, err)
	}

	// an alert of the south region: not for a north token
	wantProblem(t, f.do("north-engineer", "POST", "/api/v1/alerts/2/work-order", nil), http.StatusForbidden)
	var south WorkOrderJSON
	f.ok("engineer", "POST", "/api/v1/alerts/2/work-order", nil, &south)
	wantProblem(t, f.do("north-viewer", "GET", "/api/v1/work-orders/"+itoa(south.ID), nil), http.StatusForbidden)
	var list List[WorkOrderJSON]
	f.ok("north-viewer", "GET", "/api/v1/work-orders", nil, &list)
	if len(list.Items) != 1 || list.Items[0].ID != wo.ID {
		t.Errorf("north list: %+v", list)
	}
	f.ok("viewer", "GET", "/api/v1/work-orders?status=open", nil, &list)
	if len(list.Items) != 1 || list.Items[0].ID != south.ID {
		t.Errorf("open list: %+v", list)
	}
	wantProblem(t, f.do("viewer", "GET", "/api/v1/work-orders/999", nil), http.StatusNotFound)
}

// By hand: the fault must be a code of the vocabulary, the device known,
// the date not in the future; the list filters by device, status and the
// period a work order was open in, newest first.
func TestWorkOrderByHand(t *testing.T) {
	f := newFixture(t)
	open := func(who string, body any) WorkOrderJSON {
		t.Helper()
		rec := f.do(who, "POST", "/api/v1/work-orders", body)
		if rec.Code != http.StatusCreated {
			t.Fatalf("open %v: %d %s", body, rec.Code, rec.Body)
		}
		var wo WorkOrderJSON
		decodeJSON(t, rec, &wo)
		return wo
	}
	a := open("engineer", OpenWorkOrderRequest{DeviceID: "n-con-2", OpenedAt: "2026-11-02", Fault: "mains_loss"})
	b := open("north-engineer", OpenWorkOrderRequest{DeviceID: "n-con-2", OpenedAt: "2026-11-20T06:00:00Z", Fault: "other", Note: "no sound"})
	c := open("engineer", OpenWorkOrderRequest{DeviceID: "s-psa-1", Fault: "low_purity", AlertID: 2})
	if a.AlertID != nil || !c.OpenedAt.Equal(testNow) || *c.AlertID != 2 {
		t.Errorf("got %+v %+v", a, c)
	}
	f.ok("engineer", "POST", "/api/v1/work-orders/"+itoa(a.ID)+"/close", CloseWorkOrderRequest{ClosedAt: "2026-11-04", Cause: "mains_loss"}, nil)

	for _, tc := range []struct {
		query string
		want  []int64
	}{
		{"", []int64{c.ID, b.ID, a.ID}},
		{"?device=n-con-2", []int64{b.ID, a.ID}},
		{"?status=closed", []int64{a.ID}},
		{"?from=2026-11-05&to=2026-11-21", []int64{b.ID}},           // a closed on the 4th, c opened on the 23rd
		{"?from=2026-11-03T00:00:00Z&to=2026-11-04", []int64{a.ID}}, // open then
	} {
		var list List[WorkOrderJSON]
		f.ok("viewer", "GET", "/api/v1/work-orders"+tc.query, nil, &list)
		var got []int64
		for _, wo := range list.Items {
			got = append(got, wo.ID)
		}
		if !slicesEqual(got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.query, got, tc.want)
		}
	}

	for _, tc := range []struct{ body, field string }{
		{`{"device_id":"n-con-2","fault":"broken"}`, "fault"},
		{`{"device_id":"n-con-2","fault":"other","opened_at":"2027-01-01"}`, "opened_at"},
		{`{"device_id":"ghost","fault":"other"}`, "device_id"},
		{`{"device_id":"bad id","fault":"other"}`, "device_id"},
		{`{"device_id":"n-con-2","fault":"other","alert_id":2}`, "alert_id"}, // alert 2 is about s-psa-1
		{`{"device_id":"n-con-2","fault":"other","alert_id":99}`, "alert_id"},
	} {
		p := wantProblem(t, f.do("engineer", "POST", "/api/v1/work-orders", tc.body), http.StatusBadRequest)
		if len(p.Errors) == 0 || p.Errors[0].Field != tc.field {
			t.Errorf("%s: %+v, want field %s", tc.body, p, tc.field)
		}
	}
	wantProblem(t, f.do("engineer", "POST", "/api/v1/work-orders", `{"device_id":"n-con-2","fault":"other","colour":"red"}`), http.StatusBadRequest)
	wantProblem(t, f.do("north-engineer", "POST", "/api/v1/work-orders", OpenWorkOrderRequest{DeviceID: "s-psa-1", Fault: "other"}), http.StatusForbidden)
	wantProblem(t, f.do("viewer", "POST", "/api/v1/work-orders", OpenWorkOrderRequest{DeviceID: "n-con-2", Fault: "other"}), http.StatusForbidden)
	wantProblem(t, f.do("viewer", "GET", "/api/v1/work-orders?status=done", nil), http.StatusBadRequest)
	wantProblem(t, f.do("viewer", "GET", "/api/v1/work-orders?from=yesterday", nil), http.StatusBadRequest)
	wantProblem(t, f.do("north-engineer", "POST", "/api/v1/work-orders/"+itoa(c.ID)+"/close", CloseWorkOrderRequest{Cause: "other"}), http.StatusForbidden)

	nf := newFixture(t, func(o *Options) { o.Registry = plainRegistry{o.Registry} })
	wantProblem(t, nf.do("engineer", "POST", "/api/v1/work-orders", OpenWorkOrderRequest{DeviceID: "n-con-2", Fault: "other"}), http.StatusNotImplemented)
}

// A facility-wide alert names no device: it is refused with a way out. A
// device alert's work order goes where the device is registered now.
func TestWorkOrderFacilityAlert(t *testing.T) {
	f := newFixture(t)
	f.alerts.add(plant.Alert{Rule: "facility_outage", Facility: "f-north", Region: "north", Severity: plant.SeverityCritical, State: plant.AlertFiring, StartedAt: testNow})
	p := wantProblem(t, f.do("engineer", "POST", "/api/v1/alerts/4/work-order", nil), http.StatusBadRequest)
	if !strings.Contains(p.Detail, "POST /api/v1/work-orders") {
		t.Errorf("got %+v", p)
	}
	// alert 3 was raised in the north on n-con-2, since moved south: the
	// work order would go south, out of a north token's reach
	if _, err := f.reg.Put(t.Context(), plant.Device{ID: "n-con-2", Kind: plant.KindConcentrator, Facility: "f-south", Region: "south", Country: "UG"}); err != nil {
		t.Fatal(err)
	}
	wantProblem(t, f.do("north-engineer", "POST", "/api/v1/alerts/3/work-order", nil), http.StatusForbidden)
	var wo WorkOrderJSON
	f.ok("engineer", "POST", "/api/v1/alerts/3/work-order", nil, &wo)
	if wo.Region != "south" || wo.Fault != "offline" {
		t.Errorf("got %+v", wo)
	}
}

func slicesEqual(a, b []int64) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// northWorkOrder is the id of an open work order on n-psa-1 (north), opened
// once per fixture.
func (f *fixture) northWorkOrder() string {
	f.t.Helper()
	list, err := f.reg.WorkOrders(context.Background(), plant.WorkOrderFilter{Device: "n-psa-1"})
	if err == nil && len(list) > 0 {
		return itoa(list[0].ID)
	}
	wo, _, err := f.reg.OpenWorkOrder(context.Background(), plant.WorkOrder{Device: "n-psa-1", OpenedAt: testNow.Add(-time.Hour), Fault: "device_fault"})
	if err != nil {
		f.t.Fatal(err)
	}
	return itoa(wo.ID)
}

// Repairs makes the fixture's reports a RepairReports.
func (f *fakeReports) Repairs(_ context.Context, q ReportQuery) (Report, error) { return f.rows(q) }

// plainReports has no repairs report.
type plainReports struct{ Reports }

// GET /reports/repairs asks the adapter for the caller's regions only, in
// each format; without a repairs report it answers 501.
func TestRepairsReportRoute(t *testing.T) {
	f := newFixture(t)
	rec := f.do("north-viewer", "GET", "/api/v1/reports/repairs?format=csv&group=region", nil)
	if rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), "south") {
		t.Errorf("got %d %s", rec.Code, rec.Body)
	}
	if seen := f.reports.seen[len(f.reports.seen)-1]; len(seen.Regions) != 1 || seen.Regions[0] != "north" || seen.Group != "region" {
		t.Errorf("asked %+v, want the north region grouped by region", seen)
	}
	wantProblem(t, f.do("viewer", "GET", "/api/v1/reports/repairs?group=ward", nil), http.StatusBadRequest)
	nf := newFixture(t, func(o *Options) { o.Reports = plainReports{o.Reports} })
	wantProblem(t, nf.do("viewer", "GET", "/api/v1/reports/repairs", nil), http.StatusNotImplemented)
}

// The work-order list pages like every collection: limit and cursor in,
// {"items", "next"} out, newest opened first across pages (two opened at
// the same instant by the higher id first), a bad limit a 400 naming it.
func TestWorkOrderListPages(t *testing.T) {
	f := newFixture(t)
	var ids []int64 // newest first
	for _, body := range []OpenWorkOrderRequest{
		{DeviceID: "n-con-2", OpenedAt: "2026-11-02", Fault: "mains_loss"},
		{DeviceID: "n-con-2", Fault: "other"}, // both now
		{DeviceID: "n-psa-1", Fault: "low_purity"},
	} {
		var wo WorkOrderJSON
		f.ok("engineer", "POST", "/api/v1/work-orders", body, &wo)
		ids = append([]int64{wo.ID}, ids...)
	}

	var first, second List[WorkOrderJSON]
	f.ok("viewer", "GET", "/api/v1/work-orders?limit=2", nil, &first)
	if got := woIDs(first.Items); !slicesEqual(got, ids[:2]) || first.Next == "" {
		t.Fatalf("first page: got %v next %q, want %v and a cursor", got, first.Next, ids[:2])
	}
	f.ok("viewer", "GET", "/api/v1/work-orders?limit=2&cursor="+first.Next, nil, &second)
	if got := woIDs(second.Items); !slicesEqual(got, ids[2:]) || second.Next != "" {
		t.Fatalf("second page: got %v next %q, want %v and no cursor", got, second.Next, ids[2:])
	}

	// One at a time, with a filter: every one once, in order.
	var walked []int64
	cursor := ""
	for range 5 {
		var p List[WorkOrderJSON]
		f.ok("viewer", "GET", "/api/v1/work-orders?status=open&limit=1&cursor="+cursor, nil, &p)
		walked = append(walked, woIDs(p.Items)...)
		if cursor = p.Next; cursor == "" {
			break
		}
	}
	if !slicesEqual(walked, ids) {
		t.Errorf("one by one: got %v, want %v", walked, ids)
	}

	for _, q := range []string{"limit=0", "limit=x", "limit=10001", "cursor=%25%25"} {
		p := wantProblem(t, f.do("viewer", "GET", "/api/v1/work-orders?"+q, nil), http.StatusBadRequest)
		name, _, _ := strings.Cut(q, "=")
		if p.Code != "bad_"+name || !strings.Contains(p.Detail, name) {
			t.Errorf("%s: got code %q detail %q, want bad_%s naming it", q, p.Code, p.Detail, name)
		}
	}
}

func woIDs(list []WorkOrderJSON) []int64 {
	out := []int64{}
	for _, wo := range list {
		out = append(out, wo.ID)
	}
	return out
}

// descTime sorts later times first, before 1970 and to the nanosecond.
func TestDescTime(t *testing.T) {
	times := []time.Time{ // latest first
		time.Date(2262, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 11, 2, 0, 0, 0, 2, time.UTC),
		time.Date(2026, 11, 2, 3, 0, 0, 1, time.FixedZone("EAT", 3*3600)), // the same day at 00:00:00.000000001 UTC
		time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(1969, 12, 31, 23, 59, 59, 999_999_999, time.UTC),
		time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	for i := 1; i < len(times); i++ {
		if a, b := descTime(times[i-1]), descTime(times[i]); a >= b || len(a) != len(b) {
			t.Errorf("%v gives %s, %v gives %s: want the first to sort before, at the same width", times[i-1], a, times[i], b)
		}
	}
}
