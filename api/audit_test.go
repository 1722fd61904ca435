package api

import (
	"bytes"
	"context"
	"database/sql"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// breakAuditLog makes every audit insert fail, as a locked or full
// database does, while the rest of the database still takes writes.
func breakAuditLog(t *testing.T, db *sql.DB) {
	t.Helper()
	if _, err := db.Exec(`CREATE TRIGGER audit_broken BEFORE INSERT ON audit_log
		BEGIN SELECT RAISE(ABORT, 'audit log unwritable'); END`); err != nil {
		t.Fatal(err)
	}
}

// TestChangeAndAuditCommitTogether replays issue 13 finding 7: an ack
// answered 200 while its audit entry failed. A change and its audit entry
// commit together or not at all; where the change lives in a store that
// cannot take the entry in its own transaction, the API never answers a
// change whose entry failed as a success.
func TestChangeAndAuditCommitTogether(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	breakAuditLog(t, f.db)

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
	if !strings.Contains(f.logs.String(), "audit") || !strings.Contains(f.logs.String(), "alert.ack") {
		t.Errorf("the log does not name the unrecorded changes: %s", f.logs.String())
	}

	// The command line: the token and its entry or neither.
	var out, errOut bytes.Buffer
	if err := TokenCLI(ctx, []string{"create", "--role", "viewer"}, f.db, &out, &errOut); err == nil {
		t.Error("token create with a broken audit log: got no error")
	}
	if out.Len() > 0 {
		t.Errorf("a secret was printed for a token that must not exist: %q", out.String())
	}
	if list, _ := f.opt.Tokens.List(ctx); len(list) != len(tokenNames) {
		t.Errorf("the CLI created a token without its audit entry: %d tokens", len(list))
	}
	if err := TokenCLI(ctx, []string{"revoke", f.tokIDs["engineer"]}, f.db, &out, &errOut); err == nil {
		t.Error("token revoke with a broken audit log: got no error")
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
