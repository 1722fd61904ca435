package store

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// A deleted device leaves the registry but stays listed as retired for the
// periods it existed in, so reports keep counting it there.
func TestDeleteRetiresDevice(t *testing.T) {
	db, err := OpenSQLite(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Date(2026, 11, 10, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	reg, err := OpenRegistry(t.Context(), db, clock)
	if err != nil {
		t.Fatal(err)
	}
	dev := plant.Device{ID: "psa-001", Kind: plant.KindPSA, Facility: "mbale-rrh", Region: "east", Country: "UG", RatedFlowLPM: 500}
	if _, err := reg.Put(t.Context(), dev); err != nil {
		t.Fatal(err)
	}
	now = now.Add(48 * time.Hour)
	if err := reg.Delete(t.Context(), "psa-001"); err != nil {
		t.Fatal(err)
	}
	if _, ok := reg.Device("psa-001"); ok {
		t.Error("deleted device still in the cache")
	}
	if _, err := reg.Get(t.Context(), "psa-001"); !errors.Is(err, ErrNotFound) {
		t.Errorf("get after delete: %v, want ErrNotFound", err)
	}
	if err := reg.Delete(t.Context(), "psa-001"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second delete: %v, want ErrNotFound", err)
	}

	nov := func(day int) time.Time { return time.Date(2026, 11, day, 0, 0, 0, 0, time.UTC) }
	for _, c := range []struct {
		name     string
		from, to time.Time
		want     int
	}{
		{"the month it lived and died in", nov(1), nov(30), 1},
		// a backlog may hold readings from before its registration
		{"before it was created", nov(1), nov(5), 1},
		{"after it was retired", nov(20), nov(30), 0},
	} {
		got, err := reg.Retired(t.Context(), c.from, c.to)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != c.want {
			t.Errorf("%s: %d retired devices, want %d", c.name, len(got), c.want)
			continue
		}
		if c.want == 1 {
			r := got[0]
			if r.Device.Facility != "mbale-rrh" || r.Device.RatedFlowLPM != 500 || !r.RetiredAt.Equal(now) || !r.Device.CreatedAt.Equal(nov(10).Add(12*time.Hour)) {
				t.Errorf("%s: %+v", c.name, r)
			}
		}
	}
}

// Commissioning dates are the operator's: kept as given, changed by a later
// Put, carried into the retired list; created_at stays the first registration.
func TestCommissioningDates(t *testing.T) {
	db, err := OpenSQLite(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Date(2026, 11, 10, 12, 0, 0, 0, time.UTC)
	reg, err := OpenRegistry(t.Context(), db, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	commissioned := time.Date(2024, 3, 15, 0, 0, 0, 0, time.UTC)
	dev := plant.Device{ID: "psa-001", Kind: plant.KindPSA, CommissionedAt: commissioned}
	if _, err := reg.Put(t.Context(), dev); err != nil {
		t.Fatal(err)
	}
	got, err := reg.Get(t.Context(), "psa-001")
	if err != nil {
		t.Fatal(err)
	}
	if !got.CommissionedAt.Equal(commissioned) || !got.CreatedAt.Equal(now) || !got.DecommissionedAt.IsZero() {
		t.Errorf("got commissioned %s created %s decommissioned %s, want %s, %s and zero", got.CommissionedAt, got.CreatedAt, got.DecommissionedAt, commissioned, now)
	}
	if cached, _ := reg.Device("psa-001"); !cached.CommissionedAt.Equal(commissioned) {
		t.Errorf("cache: commissioned %s, want %s", cached.CommissionedAt, commissioned)
	}

	later := now.Add(24 * time.Hour)
	now = now.Add(48 * time.Hour)
	dev.DecommissionedAt = later
	if _, err := reg.Put(t.Context(), dev); err != nil {
		t.Fatal(err)
	}
	if got, _ = reg.Get(t.Context(), "psa-001"); !got.DecommissionedAt.Equal(later) || !got.CreatedAt.Equal(now.Add(-48*time.Hour)) {
		t.Errorf("after update: decommissioned %s created %s", got.DecommissionedAt, got.CreatedAt)
	}
	if err := reg.Delete(t.Context(), "psa-001"); err != nil {
		t.Fatal(err)
	}
	retired, err := reg.Retired(t.Context(), commissioned, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(retired) != 1 || !retired[0].Device.CommissionedAt.Equal(commissioned) || !retired[0].Device.DecommissionedAt.Equal(later) {
		t.Errorf("retired: %+v", retired)
	}

	bad := plant.Device{ID: "psa-002", Kind: plant.KindPSA, CommissionedAt: later, DecommissionedAt: commissioned}
	if _, err := reg.Put(t.Context(), bad); err == nil || !strings.Contains(err.Error(), "decommissioned_at") {
		t.Errorf("decommissioned before commissioned: %v, want an error naming decommissioned_at", err)
	}
}

// TestRegistryChangesCommitWithTheirAuditEntry: a device or facility change
// and the audit entry its context carries commit together or not at all
// (issue 13 finding 7).
func TestRegistryChangesCommitWithTheirAuditEntry(t *testing.T) {
	ctx := t.Context()
	db, err := OpenSQLite(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	reg, err := OpenRegistry(ctx, db, nil)
	if err != nil {
		t.Fatal(err)
	}
	audit, err := OpenAudit(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	as := func(action string) context.Context {
		return WithAudit(ctx, AuditEntry{Actor: "token:ab", Action: action})
	}
	dev := plant.Device{ID: "psa-1", Kind: plant.KindPSA, Region: "east"}
	if _, err := reg.Put(as("device.create"), dev); err != nil {
		t.Fatal(err)
	}
	if err := reg.PutFacility(as("facility.create"), plant.Facility{ID: "mbale", Name: "Mbale RRH"}); err != nil {
		t.Fatal(err)
	}
	entries, _ := audit.List(ctx, 0, 10)
	if len(entries) != 2 || entries[1].Target != "psa-1" || entries[0].Target != "mbale" {
		t.Fatalf("got %+v, want the two changes with their targets", entries)
	}

	if _, err := db.Exec(`CREATE TRIGGER audit_broken BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'audit log unwritable'); END`); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Put(as("device.create"), plant.Device{ID: "psa-2", Kind: plant.KindPSA}); !errors.Is(err, ErrAudit) {
		t.Errorf("put: got %v, want ErrAudit", err)
	}
	moved := dev
	moved.Region = "west"
	if _, err := reg.Put(as("device.update"), moved); !errors.Is(err, ErrAudit) {
		t.Errorf("update: got %v, want ErrAudit", err)
	}
	if err := reg.Delete(as("device.delete"), "psa-1"); !errors.Is(err, ErrAudit) {
		t.Errorf("delete: got %v, want ErrAudit", err)
	}
	if err := reg.PutFacility(as("facility.update"), plant.Facility{ID: "mbale", Name: "renamed"}); !errors.Is(err, ErrAudit) {
		t.Errorf("facility: got %v, want ErrAudit", err)
	}
	if _, err := reg.Get(ctx, "psa-2"); !errors.Is(err, ErrNotFound) {
		t.Errorf("psa-2 was created without its audit entry (%v)", err)
	}
	if d, err := reg.Get(ctx, "psa-1"); err != nil || d.Region != "east" {
		t.Errorf("psa-1 is %+v (%v), want it unchanged in east", d, err)
	}
	if d, ok := reg.Device("psa-1"); !ok || d.Region != "east" {
		t.Errorf("the cache holds %+v, want psa-1 unchanged", d)
	}
	if fs, _ := reg.Facilities(ctx); len(fs) != 1 || fs[0].Name != "Mbale RRH" {
		t.Errorf("facilities: %+v, want Mbale RRH unchanged", fs)
	}
	// No entry asked (internal writes): nothing to fail.
	if _, err := reg.Put(ctx, plant.Device{ID: "psa-3", Kind: plant.KindPSA}); err != nil {
		t.Errorf("put without an audit entry: %v", err)
	}
}
