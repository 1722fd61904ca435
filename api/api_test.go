package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/oxywatch/oxywatch/internal/plant"
	"github.com/oxywatch/oxywatch/internal/store"
)

// The options internal/app passes today keep working.
func TestProbesWithMinimalOptions(t *testing.T) {
	ready := errors.New("broker not connected")
	h := New(Options{Gatherer: prometheus.NewRegistry(), Ready: func(context.Context) error { return ready }})
	for _, c := range []struct {
		path string
		want int
	}{{"/healthz", 200}, {"/readyz", 503}, {"/metrics", 200}, {"/api/v1/devices", 401}, {"/", 200}, {"/ui/app.js", 200}} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", c.path, nil))
		if rec.Code != c.want {
			t.Errorf("GET %s: got %d, want %d", c.path, rec.Code, c.want)
		}
	}
}

func TestAuthentication(t *testing.T) {
	f := newFixture(t)
	p := wantProblem(t, f.do("", "GET", "/api/v1/devices", nil), http.StatusUnauthorized)
	if p.RequestID == "" || p.Instance != "/api/v1/devices" {
		t.Errorf("problem %+v lacks request id or instance", p)
	}
	wantProblem(t, f.do("oxw_guess", "GET", "/api/v1/devices", nil), http.StatusUnauthorized)
	req := httptest.NewRequest("GET", "/api/v1/me", nil)
	req.Header.Set("Authorization", "Basic "+f.tok["admin"])
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	wantProblem(t, rec, http.StatusUnauthorized)

	var me Me
	f.ok(configAdmin, "GET", "/api/v1/me", nil, &me)
	if me.Role != RoleAdmin || len(me.Regions) != 0 {
		t.Errorf("config admin token: got %+v, want an unlimited admin", me)
	}
	f.ok("north-engineer", "GET", "/api/v1/me", nil, &me)
	if me.Role != RoleEngineer || strings.Join(me.Regions, ",") != "north" {
		t.Errorf("got %+v, want north engineer", me)
	}
	// Secrets never reach the log; request ids do.
	logs := f.logs.String()
	for name, secret := range f.tok {
		if strings.Contains(logs, secret) {
			t.Errorf("the %s token's secret is in the log", name)
		}
	}
	if strings.Contains(logs, configAdmin) || !strings.Contains(logs, `"request_id"`) {
		t.Errorf("log lines: want request ids and no secrets: %s", logs)
	}
}

func TestTokensRoutes(t *testing.T) {
	f := newFixture(t)
	var nt NewToken
	f.ok("admin", "POST", "/api/v1/tokens", TokenRequest{Name: "district", Role: "engineer", Regions: []string{"south"}}, &nt)
	if !strings.HasPrefix(nt.Secret, store.TokenPrefix) || nt.Role != "engineer" {
		t.Fatalf("got %+v", nt)
	}
	var me Me
	f.ok(nt.Secret, "GET", "/api/v1/me", nil, &me)
	if strings.Join(me.Regions, ",") != "south" {
		t.Errorf("new token: got %+v", me)
	}
	rec := f.do("admin", "GET", "/api/v1/tokens", nil)
	if rec.Code != 200 || strings.Contains(rec.Body.String(), nt.Secret) || strings.Contains(rec.Body.String(), "hash") {
		t.Errorf("token list: got %d, must not hold secrets or hashes: %s", rec.Code, rec.Body)
	}
	wantProblem(t, f.do("admin", "POST", "/api/v1/tokens", TokenRequest{Role: "root"}), http.StatusBadRequest)
	wantProblem(t, f.do("admin", "POST", "/api/v1/tokens", TokenRequest{Role: "viewer", Regions: []string{"a,b"}}), http.StatusBadRequest)
	if rec := f.do("admin", "DELETE", "/api/v1/tokens/"+nt.ID, nil); rec.Code != http.StatusNoContent {
		t.Fatalf("revoke: got %d %s", rec.Code, rec.Body)
	}
	wantProblem(t, f.do(nt.Secret, "GET", "/api/v1/me", nil), http.StatusUnauthorized)
	wantProblem(t, f.do("admin", "DELETE", "/api/v1/tokens/"+nt.ID, nil), http.StatusNotFound)

	var audit List[store.AuditEntry]
	f.ok("admin", "GET", "/api/v1/audit", nil, &audit)
	if len(audit.Items) != 2 || audit.Items[0].Action != "token.revoke" || audit.Items[1].Action != "token.create" ||
		!strings.Contains(audit.Items[0].Actor, "admin") || strings.Contains(audit.Items[1].Detail, nt.Secret) {
		t.Errorf("audit: got %+v", audit.Items)
	}
}

func TestDevicesCRUDAndAudit(t *testing.T) {
	f := newFixture(t)
	put := map[string]any{"kind": "concentrator", "facility": "f-north", "region": "north", "country": "UG", "rated_flow_lpm": 10, "report_interval_s": 120}
	rec := f.do("admin", "PUT", "/api/v1/devices/c-9", put)
	if rec.Code != http.StatusCreated {
		t.Fatalf("create: got %d %s", rec.Code, rec.Body)
	}
	var d map[string]any
	json.Unmarshal(rec.Body.Bytes(), &d)
	for _, k := range []string{"id", "kind", "facility", "region", "country", "rated_flow_lpm", "report_interval_s", "status"} {
		if _, ok := d[k]; !ok {
			t.Errorf("device answer lacks %q: %s", k, rec.Body)
		}
	}
	if d["status"] != "no_data" {
		t.Errorf("a device that never spoke: got status %v, want no_data", d["status"])
	}
	put["rated_flow_lpm"] = 8
	if rec := f.do("admin", "PUT", "/api/v1/devices/c-9", put); rec.Code != http.StatusOK {
		t.Fatalf("update: got %d %s", rec.Code, rec.Body)
	}
	// The device list shows the change at once (the cache is dropped).
	var list List[plant.Device]
	f.ok("viewer", "GET", "/api/v1/devices?facility=f-north&kind=concentrator", nil, &list)
	if len(list.Items) != 2 || list.Items[0].ID != "c-9" || list.Items[0].RatedFlowLPM != 8 {
		t.Errorf("after update: got %+v", list.Items)
	}
	var one plant.Device
	f.ok("viewer", "GET", "/api/v1/devices/n-psa-1", nil, &one)
	if one.Status != plant.StatusDown || one.LastReading == nil || one.LastSeen.IsZero() {
		t.Errorf("live state: got %+v", one)
	}

	bad := []struct {
		name string
		path string
		body any
		want int
	}{
		{"bad kind", "/api/v1/devices/c-9", map[string]any{"kind": "rocket"}, 400},
		{"id mismatch", "/api/v1/devices/c-9", map[string]any{"id": "c-10"}, 400},
		{"unknown field", "/api/v1/devices/c-9", map[string]any{"colour": "red"}, 400},
		{"negative flow", "/api/v1/devices/c-9", map[string]any{"rated_flow_lpm": -1}, 400},
		{"not JSON", "/api/v1/devices/c-9", "{", 400},
		{"two values", "/api/v1/devices/c-9", `{"kind":"psa"} {}`, 400},
		{"empty", "/api/v1/devices/c-9", "", 400},
		{"bad id", "/api/v1/devices/-bad", map[string]any{}, 400},
		{"huge", "/api/v1/devices/c-9", `{"model":"` + strings.Repeat("x", 2<<20) + `"}`, 413},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) { wantProblem(t, f.do("admin", "PUT", c.path, c.body), c.want) })
	}
	if rec := f.do("admin", "DELETE", "/api/v1/devices/c-9", nil); rec.Code != http.StatusNoContent {
		t.Fatalf("delete: got %d", rec.Code)
	}
	wantProblem(t, f.do("admin", "GET", "/api/v1/devices/c-9", nil), http.StatusNotFound)
	wantProblem(t, f.do("admin", "DELETE", "/api/v1/devices/c-9", nil), http.StatusNotFound)
	wantProblem(t, f.do("viewer", "GET", "/api/v1/devices?kind=rocket", nil), http.StatusBadRequest)
	wantProblem(t, f.do("viewer", "GET", "/api/v1/devices?status=broken", nil), http.StatusBadRequest)
	wantProblem(t, f.do("viewer", "GET", "/api/v1/devices?format=xml", nil), http.StatusBadRequest)

	var audit List[store.AuditEntry]
	f.ok("admin", "GET", "/api/v1/audit?limit=2", nil, &audit)
	if len(audit.Items) != 2 || audit.Items[0].Action != "device.delete" || audit.Items[1].Action != "device.update" || audit.Next == "" {
		t.Fatalf("audit page 1: got %+v", audit)
	}
	var older List[store.AuditEntry]
	f.ok("admin", "GET", "/api/v1/audit?limit=2&cursor="+audit.Next, nil, &older)
	if len(older.Items) != 1 || older.Items[0].Action != "device.create" || older.Items[0].Target != "c-9" || older.Next != "" {
		t.Fatalf("audit page 2: got %+v", older)
	}
}

func TestPaging(t *testing.T) {
	f := newFixture(t)
	for i := range 25 {
		if _, err := f.reg.Put(context.Background(), plant.Device{ID: plant.DeviceID(fmt.Sprintf("p-%02d", i)), Kind: plant.KindPSA, Region: "east"}); err != nil {
			t.Fatal(err)
		}
	}
	f.h = New(f.opt) // a fresh device cache
	var seen []plant.DeviceID
	cursor, pages := "", 0
	for {
		var page List[plant.Device]
		f.ok("viewer", "GET", "/api/v1/devices?region=east&limit=10&cursor="+cursor, nil, &page)
		pages++
		for _, d := range page.Items {
			seen = append(seen, d.ID)
		}
		if page.Next == "" {
			break
		}
		cursor = page.Next
	}
	if pages != 3 || len(seen) != 25 || seen[0] != "p-00" || seen[24] != "p-24" {
		t.Errorf("got %d pages and %v, want 3 pages of p-00…p-24 in order", pages, seen)
	}
	for _, q := range []string{"limit=0", "limit=abc", "limit=10001", "cursor=***"} {
		wantProblem(t, f.do("viewer", "GET", "/api/v1/devices?"+q, nil), http.StatusBadRequest)
	}
	// Alerts page newest first.
	var alerts List[plant.Alert]
	f.ok("viewer", "GET", "/api/v1/alerts?limit=2", nil, &alerts)
	if len(alerts.Items) != 2 || alerts.Items[0].ID != 3 || alerts.Next == "" {
		t.Fatalf("alerts page 1: %+v", alerts)
	}
	var rest List[plant.Alert]
	f.ok("viewer", "GET", "/api/v1/alerts?limit=2&cursor="+alerts.Next, nil, &rest)
	if len(rest.Items) != 1 || rest.Items[0].ID != 1 || rest.Next != "" {
		t.Fatalf("alerts page 2: %+v", rest)
	}
}

func TestCSVExport(t *testing.T) {
	f := newFixture(t)
	rec := f.do("viewer", "GET", "/api/v1/devices?format=csv&region=north", nil)
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/csv") {
		t.Fatalf("got %d %s", rec.Code, rec.Header())
	}
	want := "id,kind,model,facility,region,country,rated_flow_lpm,report_interval_s,commissioned_at,decommissioned_at,beds,sms_number,use,measurement_point,status,last_seen\n" +
		"n-con-2,concentrator,,f-north,north,UG,10,0,,,120,,bedside,outlet,operational,2026-11-23T09:59:30Z\n" +
		"n-psa-1,psa,,f-north,north,UG,500,60,,,120,,pipeline,outlet,down,2026-11-23T09:59:30Z\n"
	if rec.Body.String() != want {
		t.Errorf("got\n%s\nwant\n%s", rec.Body, want)
	}
	// What was exported imports back unchanged.
	var res ImportResult
	f.ok("admin", "POST", "/api/v1/devices/import", rec.Body.String(), &res)
	if res.Updated != 2 || res.Rejected != 0 || strings.Join(res.IgnoredColumns, ",") != "status,last_seen" {
		t.Errorf("re-import: got %+v", res)
	}
}

func TestAlertsRoutes(t *testing.T) {
	f := newFixture(t)
	var list List[plant.Alert]
	f.ok("viewer", "GET", "/api/v1/alerts?state=firing&severity=critical", nil, &list)
	if len(list.Items) != 1 || list.Items[0].ID != 1 {
		t.Errorf("firing critical: got %+v", list.Items)
	}
	f.ok("viewer", "GET", "/api/v1/alerts?state=active", nil, &list)
	if len(list.Items) != 2 {
		t.Errorf("active: got %d, want 2", len(list.Items))
	}
	f.ok("viewer", "GET", "/api/v1/alerts?device=n-con-2", nil, &list)
	if len(list.Items) != 1 || list.Items[0].State != plant.AlertResolved {
		t.Errorf("by device: got %+v", list.Items)
	}
	// The filter, the token's regions and the page go down to the store.
	f.ok("north-viewer", "GET", "/api/v1/alerts?limit=1&rule=device_fault", nil, &list)
	if s := f.alerts.seen; s.Limit != 2 || s.Rule != "device_fault" || !slices.Equal(s.Regions, []string{"north"}) || s.BeforeID != 0 {
		t.Errorf("store asked %+v, want limit 2 (one more than the page), the rule and region north", s)
	}
	if len(list.Items) != 1 || list.Items[0].Region != "north" {
		t.Errorf("north device_fault: got %+v", list.Items)
	}
	f.ok("viewer", "GET", "/api/v1/alerts?limit=1", nil, &list)
	if list.Next == "" || len(list.Items) != 1 {
		t.Fatalf("first page %+v: want one alert and a cursor", list)
	}
	newest := list.Items[0].ID
	f.ok("viewer", "GET", "/api/v1/alerts?limit=1&cursor="+list.Next, nil, &list)
	if f.alerts.seen.BeforeID != newest || len(list.Items) != 1 || list.Items[0].ID >= newest {
		t.Errorf("second page: store asked before id %d, got %+v; want below %d", f.alerts.seen.BeforeID, list.Items, newest)
	}
	wantProblem(t, f.do("viewer", "GET", "/api/v1/alerts?cursor=eHl6", nil), 400)
	wantProblem(t, f.do("viewer", "GET", "/api/v1/alerts?state=sleeping", nil), 400)
	wantProblem(t, f.do("viewer", "GET", "/api/v1/alerts?severity=meh", nil), 400)
	wantProblem(t, f.do("viewer", "GET", "/api/v1/alerts/99", nil), 404)
	wantProblem(t, f.do("viewer", "GET", "/api/v1/alerts/x", nil), 400)

	var a plant.Alert
	f.ok("engineer", "POST", "/api/v1/alerts/1/ack", AckRequest{Note: "compressor breaker reset"}, &a)
	if a.State != plant.AlertAcknowledged || !strings.Contains(a.AckedBy, "engineer") || a.AckNote != "compressor breaker reset" {
		t.Errorf("ack: got %+v", a)
	}
	// An empty body is fine.
	rec := f.do("engineer", "POST", "/api/v1/alerts/2/ack", nil)
	if rec.Code != 200 {
		t.Errorf("ack without body: got %d %s", rec.Code, rec.Body)
	}
	wantProblem(t, f.do("engineer", "POST", "/api/v1/alerts/3/ack", nil), http.StatusConflict)
	wantProblem(t, f.do("engineer", "POST", "/api/v1/alerts/99/ack", nil), http.StatusNotFound)
	wantProblem(t, f.do("engineer", "POST", "/api/v1/alerts/1/ack", `{"note": 5}`), http.StatusBadRequest)
}

func TestSilencesRoutes(t *testing.T) {
	f := newFixture(t)
	var s Silence
	rec := f.do("engineer", "POST", "/api/v1/silences", map[string]any{"device": "n-psa-1", "rule": "device_fault",
		"ends_at": testNow.Add(2 * time.Hour), "comment": "sieve change", "maintenance": true})
	if rec.Code != http.StatusCreated {
		t.Fatalf("create: got %d %s", rec.Code, rec.Body)
	}
	json.Unmarshal(rec.Body.Bytes(), &s)
	if !s.StartsAt.Equal(testNow) || !s.Maintenance || !strings.Contains(s.CreatedBy, "engineer") {
		t.Errorf("got %+v", s)
	}
	for name, body := range map[string]map[string]any{
		"no matcher":       {"ends_at": testNow.Add(time.Hour), "comment": "x"},
		"no end":           {"region": "north", "comment": "x"},
		"ends in past":     {"region": "north", "starts_at": testNow.Add(-3 * time.Hour), "ends_at": testNow.Add(-time.Hour), "comment": "x"},
		"end before start": {"region": "north", "starts_at": testNow.Add(3 * time.Hour), "ends_at": testNow.Add(time.Hour), "comment": "x"},
		"no comment":       {"region": "north", "ends_at": testNow.Add(time.Hour)},
		"bad device":       {"device": "../x", "ends_at": testNow.Add(time.Hour), "comment": "x"},
	} {
		t.Run(name, func(t *testing.T) {
			p := wantProblem(t, f.do("engineer", "POST", "/api/v1/silences", body), 400)
			if len(p.Errors) == 0 {
				t.Errorf("problem names no field: %+v", p)
			}
		})
	}
	var list List[Silence]
	f.ok("viewer", "GET", "/api/v1/silences?active=true", nil, &list)
	if len(list.Items) != 4 || list.Items[0].ID != s.ID {
		t.Errorf("got %+v, want 4 newest first", list.Items)
	}
	if rec := f.do("engineer", "DELETE", fmt.Sprintf("/api/v1/silences/%d", s.ID), nil); rec.Code != 204 {
		t.Errorf("delete: got %d", rec.Code)
	}
	wantProblem(t, f.do("engineer", "DELETE", fmt.Sprintf("/api/v1/silences/%d", s.ID), nil), 404)
}

func TestMaintenanceRoutes(t *testing.T) {
	f := newFixture(t)
	var rec plant.ServiceRecord
	f.ok("engineer", "POST", "/api/v1/devices/n-psa-1/maintenance", ServiceRequest{Component: "filter", DoneAt: "2026-11-22T08:00:00Z", RuntimeH: 4501, Note: "replaced both elements"}, &rec)
	if rec.Device != "n-psa-1" || rec.Component != "filter" || !rec.DoneAt.Equal(time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)) || rec.By == "" {
		t.Errorf("got %+v", rec)
	}
	for name, body := range map[string]any{
		"no component": ServiceRequest{RuntimeH: 1},
		"negative":     ServiceRequest{Component: "filter", RuntimeH: -1},
		"bad time":     ServiceRequest{Component: "filter", DoneAt: "yesterday"},
		"future":       ServiceRequest{Component: "filter", DoneAt: "2027-01-01T00:00:00Z"},
	} {
		t.Run(name, func(t *testing.T) {
			wantProblem(t, f.do("engineer", "POST", "/api/v1/devices/n-psa-1/maintenance", body), 400)
		})
	}
	wantProblem(t, f.do("engineer", "POST", "/api/v1/devices/nope/maintenance", ServiceRequest{Component: "filter"}), 404)
	var due List[MaintenanceDue]
	f.ok("viewer", "GET", "/api/v1/maintenance/due?region=south", nil, &due)
	if len(due.Items) != 1 || due.Items[0].Device != "s-psa-1" {
		t.Errorf("due: got %+v", due.Items)
	}
}

func TestFacilitiesRoutes(t *testing.T) {
	f := newFixture(t)
	rec := f.do("admin", "PUT", "/api/v1/facilities/f-east", plant.Facility{Name: "East HC IV", Region: "east", Country: "UG", Lat: 0.3, Lon: 32.6, Beds: 40, DemandLPM: 120})
	if rec.Code != http.StatusCreated {
		t.Fatalf("got %d %s", rec.Code, rec.Body)
	}
	if rec := f.do("admin", "PUT", "/api/v1/facilities/f-east", plant.Facility{Name: "East HC IV", Region: "east", Beds: 45}); rec.Code != 200 {
		t.Fatalf("update: got %d", rec.Code)
	}
	var fac plant.Facility
	f.ok("viewer", "GET", "/api/v1/facilities/f-east", nil, &fac)
	if fac.Beds != 45 {
		t.Errorf("got %+v", fac)
	}
	p := wantProblem(t, f.do("admin", "PUT", "/api/v1/facilities/f-east", map[string]any{"lat": 91, "beds": -1}), 400)
	if len(p.Errors) != 2 {
		t.Errorf("got field errors %+v, want lat and beds", p.Errors)
	}
	wantProblem(t, f.do("viewer", "GET", "/api/v1/facilities/nope", nil), 404)
	var list List[plant.Facility]
	f.ok("viewer", "GET", "/api/v1/facilities?region=east", nil, &list)
	if len(list.Items) != 1 {
		t.Errorf("got %+v", list.Items)
	}
}

func TestContactsAndDeliveries(t *testing.T) {
	f := newFixture(t)
	var c Contact
	f.ok("admin", "POST", "/api/v1/contacts", Contact{Name: "Amina", Phone: "+256772000003", Regions: []string{"north"}}, &c)
	if c.ID == 0 {
		t.Fatalf("got %+v", c)
	}
	wantProblem(t, f.do("admin", "POST", "/api/v1/contacts", Contact{Name: "No way to reach"}), 400)
	c.OnCall = "08:00-18:00"
	f.ok("admin", "PUT", fmt.Sprintf("/api/v1/contacts/%d", c.ID), c, &c)
	if c.OnCall != "08:00-18:00" {
		t.Errorf("update: got %+v", c)
	}
	var list List[Contact]
	f.ok("engineer", "GET", "/api/v1/contacts?region=north", nil, &list)
	if len(list.Items) != 2 {
		t.Errorf("got %+v", list.Items)
	}
	if rec := f.do("admin", "DELETE", fmt.Sprintf("/api/v1/contacts/%d", c.ID), nil); rec.Code != 204 {
		t.Errorf("delete: got %d", rec.Code)
	}
	wantProblem(t, f.do("admin", "GET", fmt.Sprintf("/api/v1/contacts/%d", c.ID), nil), 404)

	var dl List[Delivery]
	f.ok("engineer", "GET", "/api/v1/deliveries?limit=2", nil, &dl)
	if len(dl.Items) != 2 || dl.Items[0].ID != 3 || dl.Next == "" {
		t.Fatalf("deliveries page 1: %+v", dl)
	}
	var dl2 List[Delivery]
	f.ok("engineer", "GET", "/api/v1/deliveries?limit=2&cursor="+dl.Next, nil, &dl2)
	if len(dl2.Items) != 1 || dl2.Items[0].ID != 1 || dl2.Next != "" {
		t.Fatalf("deliveries page 2: %+v", dl2)
	}
	wantProblem(t, f.do("engineer", "GET", "/api/v1/deliveries?alert_id=x", nil), 400)
}

func TestReadingsRoute(t *testing.T) {
	f := newFixture(t)
	var ans ReadingsAnswer
	f.ok("viewer", "GET", "/api/v1/devices/n-psa-1/readings", nil, &ans)
	q := f.readings.seen[0]
	if !q.To.Equal(testNow) || !q.From.Equal(testNow.Add(-24*time.Hour)) || q.Every != 5*time.Minute || q.Device != "n-psa-1" {
		t.Errorf("default query: got %+v, want the last 24 h in 5 min windows", q)
	}
	if len(ans.Items) == 0 || ans.Items[0]["purity_pct"] == nil || ans.Items[0]["ts"] == nil {
		t.Errorf("got %+v", ans.Items)
	}
	f.ok("viewer", "GET", "/api/v1/devices/n-psa-1/readings?from=2026-11-16T00:00:00Z&to=2026-11-23T00:00:00Z&every=1h", nil, &ans)
	if q := f.readings.seen[1]; q.Every != time.Hour || q.From.Day() != 16 {
		t.Errorf("explicit query: got %+v", q)
	}
	for _, qs := range []string{"from=yesterday", "to=2026-13-01T00:00:00Z", "from=2026-11-23T00:00:00Z&to=2026-11-22T00:00:00Z",
		"every=1ms", "every=soon", "from=2020-01-01T00:00:00Z", "from=2026-11-01T00:00:00Z&every=1s"} {
		wantProblem(t, f.do("viewer", "GET", "/api/v1/devices/n-psa-1/readings?"+qs, nil), 400)
	}
	wantProblem(t, f.do("viewer", "GET", "/api/v1/devices/ghost/readings", nil), 404)
	f.readings.err = errBoom
	p := wantProblem(t, f.do("viewer", "GET", "/api/v1/devices/n-psa-1/readings", nil), 500)
	if strings.Contains(p.Detail, "fire") || !strings.Contains(f.logs.String(), "fire") {
		t.Errorf("an internal error must be logged, not shown: %q", p.Detail)
	}
}

func TestReportsRoutes(t *testing.T) {
	f := newFixture(t)
	for format, ctype := range map[string]string{"json": "application/json", "csv": "text/csv; charset=utf-8", "html": "text/html; charset=utf-8"} {
		rec := f.do("viewer", "GET", "/api/v1/reports/uptime?group=region&from=2026-10-01&to=2026-11-01&format="+format, nil)
		if rec.Code != 200 || rec.Header().Get("Content-Type") != ctype || !strings.Contains(rec.Body.String(), "f-south") {
			t.Errorf("%s: got %d %q %s", format, rec.Code, rec.Header().Get("Content-Type"), rec.Body)
		}
	}
	if q := f.reports.seen[0]; q.From != "2026-10-01" || q.To != "2026-11-01" || q.Group != "region" || q.Regions != nil {
		t.Errorf("got query %+v", q)
	}
	wantProblem(t, f.do("viewer", "GET", "/api/v1/reports/uptime?group=planet", nil), 400)
	wantProblem(t, f.do("viewer", "GET", "/api/v1/supply?group=device", nil), 400)
	wantProblem(t, f.do("viewer", "GET", "/api/v1/supply?format=pdf", nil), 400)
	wantProblem(t, f.do("viewer", "GET", "/api/v1/reports/uptime?from=bad&to=x", nil), 400)
	f.ok("viewer", "GET", "/api/v1/supply?group=country&region=south", nil, nil)
	if q := f.reports.seen[len(f.reports.seen)-1]; strings.Join(q.Regions, ",") != "south" {
		t.Errorf("region parameter: got %+v", q)
	}
}

// Routes whose component is not wired answer 501.
func TestUnconfiguredRoutes(t *testing.T) {
	f := newFixture(t, func(o *Options) {
		o.Registry, o.Alerts, o.Silences, o.Maintenance, o.Contacts, o.Deliveries, o.Reports, o.Readings, o.Audit = nil, nil, nil, nil, nil, nil, nil, nil, nil
	})
	for _, path := range []string{"/api/v1/devices", "/api/v1/devices/x", "/api/v1/facilities", "/api/v1/alerts", "/api/v1/silences",
		"/api/v1/maintenance/due", "/api/v1/contacts", "/api/v1/deliveries", "/api/v1/reports/uptime", "/api/v1/supply", "/api/v1/audit"} {
		wantProblem(t, f.do("admin", "GET", path, nil), http.StatusNotImplemented)
	}
}

func TestRateLimitPerToken(t *testing.T) {
	now := testNow
	f := newFixture(t, func(o *Options) {
		o.RateLimit, o.RateBurst = 1, 3
		o.Now = func() time.Time { return now }
	})
	for i := range 3 {
		if rec := f.do("viewer", "GET", "/api/v1/me", nil); rec.Code != 200 {
			t.Fatalf("request %d: got %d", i, rec.Code)
		}
	}
	rec := f.do("viewer", "GET", "/api/v1/me", nil)
	wantProblem(t, rec, http.StatusTooManyRequests)
	if rec.Header().Get("Retry-After") != "1" {
		t.Errorf("Retry-After: got %q, want 1", rec.Header().Get("Retry-After"))
	}
	if rec := f.do("engineer", "GET", "/api/v1/me", nil); rec.Code != 200 {
		t.Errorf("another token is limited too: got %d", rec.Code)
	}
	now = now.Add(time.Second)
	if rec := f.do("viewer", "GET", "/api/v1/me", nil); rec.Code != 200 {
		t.Errorf("after a second: got %d, want 200", rec.Code)
	}
}

func TestUnknownRouteAndMethod(t *testing.T) {
	f := newFixture(t)
	wantProblem(t, f.do("viewer", "GET", "/api/v1/nothing", nil), 404)
	wantProblem(t, f.do("viewer", "PATCH", "/api/v1/devices/n-psa-1", nil), 405)
}

// slowAlerts blocks until the request's deadline.
type slowAlerts struct{ fakeAlerts }

func (s *slowAlerts) List(ctx context.Context, _ AlertFilter) ([]plant.Alert, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

func TestRequestTimeoutAndRequestID(t *testing.T) {
	f := newFixture(t, func(o *Options) {
		o.Timeout = 50 * time.Millisecond
		o.Alerts = &slowAlerts{}
	})
	rec := f.do("viewer", "GET", "/api/v1/alerts", nil)
	p := wantProblem(t, rec, http.StatusServiceUnavailable)
	if id := rec.Header().Get("X-Request-Id"); id == "" || id != p.RequestID {
		t.Errorf("X-Request-Id %q, problem request_id %q: want the same id", id, p.RequestID)
	}
	if !strings.Contains(f.logs.String(), p.RequestID) {
		t.Errorf("the request id %s is not in the log", p.RequestID)
	}
}
