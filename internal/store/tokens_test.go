package store

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"
)

func TestTokensCreateLookupRevoke(t *testing.T) {
	ctx := context.Background()
	db, err := OpenSQLite(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	toks, err := OpenTokens(ctx, db, nil)
	if err != nil {
		t.Fatal(err)
	}
	secret, tok, err := toks.Create(ctx, "north engineers", "engineer", []string{"north", "east"}, "admin")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, TokenPrefix) || len(secret) < 40 {
		t.Fatalf("got secret %q, want a long %s token", secret, TokenPrefix)
	}
	var stored int
	db.QueryRow(`SELECT COUNT(*) FROM api_tokens WHERE hash = ?`, []byte(secret)).Scan(&stored)
	if stored != 0 {
		t.Fatal("the secret itself is stored")
	}
	got, ok := toks.Lookup(secret)
	if !ok || got.ID != tok.ID || got.Role != "engineer" || strings.Join(got.Regions, ",") != "north,east" {
		t.Fatalf("lookup got %+v %v, want %+v", got, ok, tok)
	}
	if _, ok := toks.Lookup(secret + "x"); ok {
		t.Error("a wrong secret was accepted")
	}
	// A second open reads the same tokens from the database.
	again, err := OpenTokens(ctx, db, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := again.Lookup(secret); !ok {
		t.Error("token not found after reopening")
	}
	if err := toks.Revoke(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, ok := toks.Lookup(secret); ok {
		t.Error("a revoked token was accepted")
	}
	if err := toks.Revoke(ctx, tok.ID); err == nil {
		t.Error("revoking twice: got no error, want not found")
	}
	list, _ := toks.List(ctx)
	if len(list) != 1 || !list[0].Revoked() {
		t.Errorf("got %+v, want one revoked token", list)
	}
	if n, _ := toks.CountActive(ctx, "engineer"); n != 0 {
		t.Errorf("got %d active engineers, want 0", n)
	}
}

func TestAuditNewestFirstAndPaged(t *testing.T) {
	ctx := context.Background()
	db, err := OpenSQLite(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	a, err := OpenAudit(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	for _, action := range []string{"device.put", "device.delete", "token.create"} {
		c := WithAudit(ctx, AuditEntry{At: now, Actor: "token:ab", Action: action})
		if err := InTx(c, db, func(*sql.Tx) (string, error) { return "x", nil }); err != nil {
			t.Fatal(err)
		}
	}
	page, err := a.List(ctx, 0, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(page) != 2 || page[0].Action != "token.create" || !page[0].At.Equal(now) {
		t.Fatalf("got %+v, want the two newest", page)
	}
	rest, _ := a.List(ctx, page[1].ID, 10)
	if len(rest) != 1 || rest[0].Action != "device.put" {
		t.Fatalf("got %+v, want the oldest", rest)
	}
}

func TestTokensSeeChangesFromAnotherProcess(t *testing.T) {
	ctx := context.Background()
	db, err := OpenSQLite(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	server, _ := OpenTokens(ctx, db, clock)
	cli, _ := OpenTokens(ctx, db, clock)
	secret, tok, err := cli.Create(ctx, "", "viewer", nil, "cli")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := server.Lookup(secret); ok {
		t.Fatal("seen within the miss interval; the test clock is not in use")
	}
	now = now.Add(tokenMissReload)
	if _, ok := server.Lookup(secret); !ok {
		t.Fatal("a token created by another process is not seen on its first use after the miss interval (make run's oxywatch token create)")
	}
	cli.Revoke(ctx, tok.ID)
	now = now.Add(3 * time.Second)
	if _, ok := server.Lookup(secret); ok {
		t.Fatal("a token revoked by another process still works")
	}
}

// TestTokenAndAuditCommitTogether: a token change and its audit entry
// commit in one transaction, so a failing audit log leaves no token behind
// (issue 13 finding 7).
func TestTokenAndAuditCommitTogether(t *testing.T) {
	ctx := context.Background()
	db, err := OpenSQLite(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	toks, err := OpenTokens(ctx, db, nil)
	if err != nil {
		t.Fatal(err)
	}
	audit, err := OpenAudit(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	entry := AuditEntry{Actor: "test", Action: "token.create", Detail: `{"role":"viewer"}`}
	secret, tok, err := toks.Create(WithAudit(ctx, entry), "ok", "viewer", nil, "test")
	if err != nil {
		t.Fatal(err)
	}
	if err := toks.Revoke(WithAudit(ctx, AuditEntry{Actor: "test", Action: "token.revoke", Target: tok.ID}), tok.ID); err != nil {
		t.Fatal(err)
	}
	entries, _ := audit.List(ctx, 0, 10)
	if len(entries) != 2 || entries[1].Target != tok.ID || entries[0].Action != "token.revoke" {
		t.Fatalf("got entries %+v, want the create (target %s) and the revoke", entries, tok.ID)
	}

	if _, err := db.Exec(`CREATE TRIGGER audit_broken BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'audit log unwritable'); END`); err != nil {
		t.Fatal(err)
	}
	if _, _, err := toks.Create(WithAudit(ctx, entry), "ghost", "admin", nil, "test"); err == nil {
		t.Error("create with a failing audit entry: got no error")
	}
	_, live, err := toks.Create(ctx, "live", "viewer", nil, "test") // no entry asked: no audit write
	if err != nil {
		t.Fatal(err)
	}
	if err := toks.Revoke(WithAudit(ctx, AuditEntry{Actor: "test", Action: "token.revoke"}), live.ID); err == nil {
		t.Error("revoke with a failing audit entry: got no error")
	}
	list, _ := toks.List(ctx)
	names := map[string]bool{} // name → revoked; created in one second, so in no set order
	for _, tk := range list {
		names[tk.Name] = tk.Revoked()
	}
	if revoked, ok := names["live"]; len(list) != 2 || !ok || revoked || !names["ok"] {
		t.Errorf("got %+v, want the first token (revoked) and a live one, no ghost", list)
	}
	if _, ok := toks.Lookup(secret); ok {
		t.Error("the revoked token came back")
	}
}
