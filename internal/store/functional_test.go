package store

import (
	"errors"
	"testing"
	"time"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// Functional records: the newest at or before a time wins, whatever the
// order they were recorded in; an invalid one is refused with ErrInvalid;
// each change commits with its audit entry.
func TestFunctionalRecords(t *testing.T) {
	db, err := OpenSQLite(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	reg, err := OpenRegistry(t.Context(), db, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	audit, err := OpenAudit(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	day := func(d int) time.Time { return time.Date(2026, 11, d, 0, 0, 0, 0, time.UTC) }
	for _, rec := range []plant.FunctionalRecord{
		{Device: "con-7", Status: plant.FunctionalBroken, At: day(20), Note: "sieve worn"},
		{Device: "con-7", Status: plant.FunctionalWorking, At: day(3)}, // recorded later, found earlier
		{Device: "con-7", Status: plant.FunctionalUnderRepair, At: day(20).Add(500 * time.Millisecond)},
		{Device: "con-8", Status: plant.FunctionalWorking, At: day(25)},
	} {
		ctx := WithAudit(t.Context(), AuditEntry{Actor: "token:eng", Action: "device.functional"})
		if _, err := reg.RecordFunctional(ctx, rec); err != nil {
			t.Fatal(err)
		}
	}
	got, err := reg.LatestFunctional(t.Context(), day(21))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got["con-7"].Status != plant.FunctionalUnderRepair || got["con-7"].RecordedAt != now {
		t.Errorf("latest on the 21st: %+v, want con-7 under repair (found 500 ms after the breakdown), con-8 not yet", got)
	}
	got, _ = reg.LatestFunctional(t.Context(), day(10))
	if got["con-7"].Status != plant.FunctionalWorking {
		t.Errorf("latest on the 10th: %+v", got)
	}
	hist, err := reg.FunctionalHistory(t.Context(), "con-7")
	if err != nil || len(hist) != 3 || hist[0].Status != plant.FunctionalUnderRepair || hist[1].Note != "sieve worn" {
		t.Errorf("history: %+v %v", hist, err)
	}
	for _, bad := range []plant.FunctionalRecord{
		{Device: "con-7", Status: "broken", At: day(1)},
		{Device: "con-7", Status: plant.FunctionalWorking},
		{Device: "bad id", Status: plant.FunctionalWorking, At: day(1)},
	} {
		if _, err := reg.RecordFunctional(t.Context(), bad); !errors.Is(err, plant.ErrInvalid) {
			t.Errorf("%+v: %v, want ErrInvalid", bad, err)
		}
	}
	entries, err := audit.List(t.Context(), 0, 10)
	if err != nil || len(entries) != 4 || entries[0].Target != "con-8" || entries[0].Action != "device.functional" {
		t.Errorf("audit: %+v %v", entries, err)
	}
}

// Stock records give litres and large-cylinder equivalents; the audit
// entry failing rolls the record back.
func TestStockRecords(t *testing.T) {
	db, err := OpenSQLite(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	reg, err := OpenRegistry(t.Context(), db, nil)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 28, 8, 0, 0, 0, time.UTC)
	rec, err := reg.RecordStock(t.Context(), plant.StockRecord{Device: "lox-1", At: at, Litres: 68000})
	if err != nil || rec.Cylinders != 10 || rec.ID == 0 {
		t.Fatalf("got %+v %v", rec, err)
	}
	if _, err := reg.RecordStock(t.Context(), plant.StockRecord{Device: "lox-1", At: at, Litres: -1}); !errors.Is(err, plant.ErrInvalid) {
		t.Errorf("negative stock: %v", err)
	}
	// no audit table in this database: the entry cannot be written, so
	// neither is the record.
	ctx := WithAudit(t.Context(), AuditEntry{Actor: "x", Action: "device.stock"})
	if _, err := reg.RecordStock(ctx, plant.StockRecord{Device: "lox-1", At: at.Add(time.Hour), Litres: 1}); !errors.Is(err, ErrAudit) {
		t.Errorf("without an audit log: %v, want ErrAudit", err)
	}
	got, err := reg.LatestStock(t.Context(), at.Add(2*time.Hour))
	if err != nil || got["lox-1"].Litres != 68000 || got["lox-1"].Cylinders != 10 {
		t.Errorf("latest: %+v %v", got, err)
	}
	if got, _ := reg.LatestStock(t.Context(), at.Add(-time.Second)); len(got) != 0 {
		t.Errorf("before the count: %+v", got)
	}
}
