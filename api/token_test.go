package api

import (
	"context"
	"testing"

	"github.com/oxywatch/oxywatch/internal/store"
)

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
