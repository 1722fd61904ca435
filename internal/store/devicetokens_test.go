package store

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/oxywatch/oxywatch/internal/plant"
)

func testDevice(id plant.DeviceID) plant.Device {
	return plant.Device{ID: id, Kind: plant.KindPSA, Facility: "zomba-dh", Region: "south", Country: "MW"}
}

func TestDeviceTokens(t *testing.T) {
	ctx := context.Background()
	db, err := OpenSQLite(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	toks, err := OpenDeviceTokens(ctx, db, nil)
	if err != nil {
		t.Fatal(err)
	}
	secret, tok, err := toks.Create(ctx, []plant.DeviceID{"psa-1", "conc-2"}, "gateway", "test")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, DeviceTokenPrefix) || len(secret) < 40 {
		t.Fatalf("secret %q", secret)
	}
	got, ok := toks.Lookup(secret)
	if !ok || got.ID != tok.ID || !got.Covers("psa-1") || !got.Covers("conc-2") || got.Covers("psa-3") {
		t.Fatalf("lookup: %+v %v", got, ok)
	}
	if _, ok := toks.Lookup(secret + "x"); ok {
		t.Error("a wrong secret was accepted")
	}
	// Only the hash is stored.
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM device_tokens WHERE hash = ? OR name = ? OR devices LIKE ?`, secret, secret, "%"+secret+"%").Scan(&n); err != nil || n != 0 {
		t.Errorf("the secret is stored in clear (%d rows, %v)", n, err)
	}
	if list, _ := toks.List(ctx, "conc-2"); len(list) != 1 {
		t.Errorf("tokens of conc-2: %d, want 1", len(list))
	}
	if list, _ := toks.List(ctx, "psa-9"); len(list) != 0 {
		t.Errorf("tokens of psa-9: %d, want 0", len(list))
	}
	if err := toks.Revoke(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, ok := toks.Lookup(secret); ok {
		t.Error("a revoked token still works")
	}
	if err := toks.Revoke(ctx, tok.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("revoke twice: %v, want ErrNotFound", err)
	}
	if _, _, err := toks.Create(ctx, nil, "", "test"); err == nil {
		t.Error("a token for no device was made")
	}
}

func TestSMSNumber(t *testing.T) {
	ctx := context.Background()
	db, err := OpenSQLite(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	reg, err := OpenRegistry(ctx, db, nil)
	if err != nil {
		t.Fatal(err)
	}
	d := testDevice("psa-1")
	d.SMSNumber = "+265991000111"
	if _, err := reg.Put(ctx, d); err != nil {
		t.Fatal(err)
	}
	if got, ok := reg.DeviceByPhone("+265991000111"); !ok || got.ID != "psa-1" {
		t.Errorf("by phone: %+v %v", got, ok)
	}
	e := testDevice("psa-2")
	e.SMSNumber = d.SMSNumber
	if _, err := reg.Put(ctx, e); !errors.Is(err, ErrSMSNumberTaken) {
		t.Errorf("the same number twice: %v", err)
	}
	e.SMSNumber = "0991000111"
	if _, err := reg.Put(ctx, e); err == nil || !strings.Contains(err.Error(), "E.164") {
		t.Errorf("not E.164: %v", err)
	}
	// It survives a restart and a retirement.
	reg2, err := OpenRegistry(ctx, db, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := reg2.Get(ctx, "psa-1"); got.SMSNumber != d.SMSNumber {
		t.Errorf("after reopening: %q", got.SMSNumber)
	}
	if err := reg2.Delete(ctx, "psa-1"); err != nil {
		t.Fatal(err)
	}
	if _, ok := reg2.DeviceByPhone(d.SMSNumber); ok {
		t.Error("a deleted device still owns its number")
	}
}
