package api

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/oxywatch/oxywatch/internal/store"
)

func TestTokenCLI(t *testing.T) {
	ctx := context.Background()
	db, err := store.OpenSQLite(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	run := func(args ...string) (string, string, error) {
		var out, errOut bytes.Buffer
		err := TokenCLI(ctx, args, db, &out, &errOut)
		return out.String(), errOut.String(), err
	}
	secret, msg, err := run("create", "--role", "engineer", "--regions", "north, east", "--name", "district team")
	if err != nil {
		t.Fatal(err)
	}
	secret = strings.TrimSpace(secret)
	if !strings.HasPrefix(secret, store.TokenPrefix) || strings.Contains(msg, secret) {
		t.Fatalf("stdout %q stderr %q: want the secret alone on stdout", secret, msg)
	}
	toks, _ := store.OpenTokens(ctx, db, nil)
	tok, ok := toks.Lookup(secret)
	if !ok || tok.Role != "engineer" || strings.Join(tok.Regions, ",") != "north,east" || tok.Name != "district team" {
		t.Fatalf("got %+v %v", tok, ok)
	}
	list, _, err := run("list")
	if err != nil || !strings.Contains(list, tok.ID) || !strings.Contains(list, "north,east") || strings.Contains(list, secret) {
		t.Fatalf("list: %v\n%s", err, list)
	}
	if _, _, err := run("revoke", tok.ID); err != nil {
		t.Fatal(err)
	}
	toks, _ = store.OpenTokens(ctx, db, nil)
	if _, ok := toks.Lookup(secret); ok {
		t.Error("revoked token still works")
	}
	for _, bad := range [][]string{{}, {"create"}, {"create", "--role", "god"}, {"create", "--role", "viewer", "extra"}, {"revoke"}, {"revoke", "nope"}, {"dance"}} {
		if _, _, err := run(bad...); err == nil {
			t.Errorf("token %v: got no error", bad)
		}
	}
	audit, _ := store.OpenAudit(ctx, db)
	entries, _ := audit.List(ctx, 0, 10)
	if len(entries) != 2 || entries[0].Action != "token.revoke" || entries[1].Actor != "cli" {
		t.Errorf("audit: %+v", entries)
	}
}

func TestEnsureAdminToken(t *testing.T) {
	ctx := context.Background()
	db, err := store.OpenSQLite(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	toks, _ := store.OpenTokens(ctx, db, nil)
	secret, created, err := EnsureAdminToken(ctx, toks)
	if err != nil || !created || secret == "" {
		t.Fatalf("first start: %q %v %v", secret, created, err)
	}
	if tok, ok := toks.Lookup(secret); !ok || tok.Role != "admin" || len(tok.Regions) != 0 {
		t.Fatalf("got %+v", tok)
	}
	again, created, err := EnsureAdminToken(ctx, toks)
	if err != nil || created || again != "" {
		t.Fatalf("second start: %q %v %v, want nothing created", again, created, err)
	}
}
