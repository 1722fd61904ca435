package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/oxywatch/oxywatch/internal/plant"
	"github.com/oxywatch/oxywatch/internal/store"
	"github.com/oxywatch/oxywatch/internal/testenv"
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
		err := newCmdline(&out, &errOut, noEnv).tokenCLI(ctx, args, db)
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

// A token change and its audit entry commit together: with the audit log
// broken, create and revoke fail and no secret is printed.
func TestTokenCLIWithBrokenAuditLog(t *testing.T) {
	ctx := context.Background()
	db, err := store.OpenSQLite(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var out, errOut bytes.Buffer
	if err := newCmdline(&out, &errOut, noEnv).tokenCLI(ctx, []string{"create", "--role", "viewer", "--name", "kept"}, db); err != nil {
		t.Fatal(err)
	}
	toks, _ := store.OpenTokens(ctx, db, nil)
	list, _ := toks.List(ctx)
	out.Reset()
	testenv.BreakAuditLog(t, db)
	if err := newCmdline(&out, &errOut, noEnv).tokenCLI(ctx, []string{"create", "--role", "viewer"}, db); err == nil {
		t.Error("token create with a broken audit log: got no error")
	}
	if out.Len() > 0 {
		t.Errorf("a secret was printed for a token that must not exist: %q", out.String())
	}
	if err := newCmdline(&out, &errOut, noEnv).tokenCLI(ctx, []string{"revoke", list[0].ID}, db); err == nil {
		t.Error("token revoke with a broken audit log: got no error")
	}
	after, _ := toks.List(ctx)
	if len(after) != 1 || after[0].Revoked() {
		t.Errorf("tokens %+v, want the first one alone, not revoked", after)
	}
}

// The device-token command: the secret alone on stdout, devices must be
// registered, list never shows secrets, revoke.
func TestDeviceTokenCLI(t *testing.T) {
	ctx := context.Background()
	db, err := store.OpenSQLite(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	reg, err := store.OpenRegistry(ctx, db, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []plant.DeviceID{"n-psa-1", "n-con-2"} {
		if _, err := reg.Put(ctx, plant.Device{ID: id, Kind: plant.KindPSA}); err != nil {
			t.Fatal(err)
		}
	}
	var out, errb bytes.Buffer
	if err := newCmdline(&out, &errb, noEnv).deviceTokenCLI(ctx, []string{"create", "--name", "gprs gateway", "n-psa-1", "n-con-2"}, db); err != nil {
		t.Fatal(err, errb.String())
	}
	secret := strings.TrimSpace(out.String())
	if !strings.HasPrefix(secret, store.DeviceTokenPrefix) || strings.Count(secret, "\n") != 0 {
		t.Fatalf("stdout %q: want the secret alone", out.String())
	}
	toks, _ := store.OpenDeviceTokens(ctx, db, nil)
	if tok, ok := toks.Lookup(secret); !ok || len(tok.Devices) != 2 {
		t.Fatalf("the token made does not work: %+v %v", tok, ok)
	}
	if err := newCmdline(&out, &errb, noEnv).deviceTokenCLI(ctx, []string{"create", "nobody-1"}, db); err == nil || !strings.Contains(err.Error(), "not registered") {
		t.Errorf("token for an unregistered device: %v", err)
	}
	out.Reset()
	if err := newCmdline(&out, &errb, noEnv).deviceTokenCLI(ctx, []string{"list", "n-con-2"}, db); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), secret) || !strings.Contains(out.String(), "gprs gateway") {
		t.Errorf("list: %s", out.String())
	}
	id := strings.Fields(strings.Split(out.String(), "\n")[1])[0]
	if err := newCmdline(&out, &errb, noEnv).deviceTokenCLI(ctx, []string{"revoke", id}, db); err != nil {
		t.Fatal(err)
	}
	toks, _ = store.OpenDeviceTokens(ctx, db, nil)
	if _, ok := toks.Lookup(secret); ok {
		t.Error("a revoked device token still works")
	}
	audit, _ := store.OpenAudit(ctx, db)
	if entries, _ := audit.List(ctx, 0, 10); len(entries) != 2 || entries[1].Action != "device_token.create" || entries[0].Actor != "cli" {
		t.Errorf("audit: %+v", entries)
	}
}

// noEnv is an environment that names no language: English.
func noEnv(string) string { return "" }
