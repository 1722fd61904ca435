package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/oxywatch/oxywatch/internal/plant"
	"github.com/oxywatch/oxywatch/internal/testenv"
)

// TestChangeAndAuditCommitTogether replays issue 13 finding 7: an ack
// answered 200 while its audit entry failed. Every change hands its entry
// to the store in the request's context (store.WithAudit), the store
// writes it in the change's own transaction, and the API answers 500 when
// it failed. The real stores' atomicity is tested beside them (registry,
// tokens, contacts, silences, service records, acknowledgements); here the
// registry and tokens are real and the other stores are fakes that honour
// the entry the same way.
func TestChangeAndAuditCommitTogether(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	testenv.BreakAuditLog(t, f.db)

	// Tokens share the audit log's database: the token and its entry
	// commit in one transaction, so neither exists.
	if rec := f.do("admin", "POST", "/api/v1/tokens", TokenRequest{Name: "ghost", Role: "admin"}); rec.Code != http.StatusInternalServerError {
		t.Errorf("create token: got %d %s, want 500", rec.Code, rec.Body)
	}
	list, err := f.opt.Tokens.List(ctx)
	if err != nil || len(list) != len(tokenNames) {
		t.Errorf("got %d tokens (%v), want the %d of the fixture: a token was created without its audit entry", len(list), err, len(tokenNames))
	}
	if rec := f.do("admin", "DELETE", "/api/v1/tokens/"+f.tokIDs["viewer"], nil); rec.Code != http.StatusInternalServerError {
		t.Errorf("revoke token: got %d %s, want 500", rec.Code, rec.Body)
	}
	if rec := f.do("viewer", "GET", "/api/v1/me", nil); rec.Code != http.StatusOK {
		t.Errorf("the viewer token was revoked without an audit entry: got %d", rec.Code)
	}

	// Every other change is refused as a success.
	later := testNow.Add(2 * time.Hour)
	changes := []struct {
		method, path string
		body         any
	}{
		{"POST", "/api/v1/alerts/1/ack", map[string]any{"note": "on my way"}},
		{"POST", "/api/v1/silences", map[string]any{"region": "north", "ends_at": later, "comment": "generator"}},
		{"DELETE", "/api/v1/silences/1", nil},
		{"POST", "/api/v1/devices/n-psa-1/maintenance", map[string]any{"component": "filter", "runtime_h": 4400}},
		{"PUT", "/api/v1/devices/n-new", map[string]any{"kind": "psa", "region": "north"}},
		{"DELETE", "/api/v1/devices/n-con-2", nil},
		{"PUT", "/api/v1/facilities/f-north", map[string]any{"name": "North Referral", "region": "north"}},
		{"POST", "/api/v1/contacts", map[string]any{"name": "Amina", "phone": "+256772000003", "regions": []string{"north"}}},
		{"PUT", "/api/v1/contacts/1", map[string]any{"name": "Grace", "phone": "+256772000001", "regions": []string{"north"}}},
		{"DELETE", "/api/v1/contacts/2", nil},
		{"POST", "/api/v1/work-orders", map[string]any{"device_id": "n-psa-1", "fault": "other"}},
		{"POST", "/api/v1/alerts/1/work-order", nil},
	}
	for _, c := range changes {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			rec := f.do("admin", c.method, c.path, c.body)
			p := wantProblem(t, rec, http.StatusInternalServerError)
			if !strings.Contains(p.Detail, "audit") {
				t.Errorf("got %q, want the problem to say the audit entry failed", p.Detail)
			}
		})
	}
	if rec := f.do("admin", "POST", "/api/v1/devices/import", "id,kind,region\nk-1,psa,north\n"); rec.Code != http.StatusInternalServerError {
		t.Errorf("import: got %d %s, want 500", rec.Code, rec.Body)
	}
	// Nothing changed: the registry is real, the fakes refuse like it.
	for id, want := range map[plant.DeviceID]bool{"n-new": false, "n-con-2": true, "k-1": false} {
		if _, err := f.reg.Get(ctx, id); (err == nil) != want {
			t.Errorf("device %s: present=%v after a refused change, want %v", id, err == nil, want)
		}
	}
	if facs, _ := f.reg.Facilities(ctx); len(facs) != 2 || facs[0].Name != "North Referral" {
		t.Errorf("facilities changed without their audit entry: %+v", facs)
	}
	if len(f.silences.list) != 3 || len(f.contacts.list) != 3 || f.contacts.list[0].Name != "Grace (north)" || len(f.maint.records) != 0 {
		t.Errorf("got %d silences, %d contacts, %d service records: a change was kept without its entry",
			len(f.silences.list), len(f.contacts.list), len(f.maint.records))
	}
	if wos, err := f.reg.WorkOrders(ctx, plant.WorkOrderFilter{}); err != nil || len(wos) != 0 {
		t.Errorf("work orders kept without their audit entry: %+v %v", wos, err)
	}
	if a, _ := f.alerts.Get(ctx, 1); a.State != plant.AlertFiring {
		t.Errorf("alert 1 is %s, want firing", a.State)
	}
	if !strings.Contains(f.logs.String(), "audit") || !strings.Contains(f.logs.String(), "alert.ack") {
		t.Errorf("the log does not name the unrecorded changes: %s", f.logs.String())
	}
}

// TestAuditOutlivesAGoneClient: the entry of a change that was made is
// written even when the client hangs up in between (the review saw
// "context canceled" in place of the entry).
func TestAuditOutlivesAGoneClient(t *testing.T) {
	f := newFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	f.alerts.onAck = cancel // the client goes away while the engine acknowledges
	req := httptest.NewRequestWithContext(ctx, "POST", "/api/v1/alerts/1/ack", strings.NewReader(`{"note":"on my way"}`))
	req.Header.Set("Authorization", "Bearer "+f.tok["engineer"])
	f.h.ServeHTTP(httptest.NewRecorder(), req)
	entries, err := f.opt.Audit.List(context.Background(), 0, 10)
	if err != nil || len(entries) != 1 || entries[0].Action != "alert.ack" {
		t.Errorf("got %+v (%v), want the ack's entry", entries, err)
	}
}
