package store

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// Work orders in the real SQLite: one per alert even when two engineers
// open it at once; the device's facility and region are kept as they were
// when it was opened; closing checks the dates and is done once; the audit
// entry commits with each change.
func TestWorkOrders(t *testing.T) {
	db, err := OpenSQLite(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := t.Context()
	reg, err := OpenRegistry(ctx, db, nil)
	if err != nil {
		t.Fatal(err)
	}
	audit, err := OpenAudit(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Put(ctx, plant.Device{ID: "psa-1", Kind: plant.KindPSA, Facility: "f-1", Region: "north"}); err != nil {
		t.Fatal(err)
	}
	opened := time.Date(2026, 11, 10, 8, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	ids := make([]int64, 4)
	created := make([]bool, 4)
	for i := range ids {
		wg.Go(func() {
			actx := WithAudit(ctx, AuditEntry{Actor: "token:eng", Action: "work_order.open"})
			wo, c, err := reg.OpenWorkOrder(actx, plant.WorkOrder{Device: "psa-1", AlertID: 7, OpenedAt: opened, Fault: "device_fault"})
			if err != nil {
				t.Error(err)
			}
			ids[i], created[i] = wo.ID, c
		})
	}
	wg.Wait()
	n := 0
	for i := range ids {
		if ids[i] != ids[0] {
			t.Errorf("ids %v: one work order per alert", ids)
		}
		if created[i] {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d opens created, want 1", n)
	}
	if _, err := reg.Put(ctx, plant.Device{ID: "psa-1", Kind: plant.KindPSA, Facility: "f-2", Region: "south"}); err != nil {
		t.Fatal(err)
	}
	wo, err := reg.WorkOrder(ctx, ids[0])
	if err != nil || wo.Facility != "f-1" || wo.Region != "north" || wo.Status != plant.WorkOrderOpen || !wo.OpenedAt.Equal(opened) {
		t.Errorf("got %+v %v", wo, err)
	}
	cctx := WithAudit(ctx, AuditEntry{Actor: "token:eng", Action: "work_order.close"})
	if _, err := reg.CloseWorkOrder(cctx, wo.ID, plant.WorkOrderClose{ClosedAt: opened.Add(-time.Minute), Cause: "other"}); !errors.Is(err, plant.ErrInvalid) {
		t.Errorf("closed before opened: %v, want ErrInvalid", err)
	}
	done, err := reg.CloseWorkOrder(cctx, wo.ID, plant.WorkOrderClose{ClosedAt: opened.Add(3 * time.Hour), Cause: "compressor_fault",
		Parts: []plant.Part{{Name: "valve", Quantity: 1}}, ClosedBy: "token:eng"})
	if err != nil || done.RestoredAt != opened.Add(3*time.Hour) || done.RepairTime() != 3*time.Hour {
		t.Errorf("close: %+v %v", done, err)
	}
	if _, err := reg.CloseWorkOrder(cctx, wo.ID, plant.WorkOrderClose{ClosedAt: opened.Add(4 * time.Hour), Cause: "other"}); !errors.Is(err, plant.ErrConflict) {
		t.Errorf("second close: %v, want ErrConflict", err)
	}
	if _, err := reg.CloseWorkOrder(cctx, 999, plant.WorkOrderClose{ClosedAt: opened, Cause: "other"}); !errors.Is(err, plant.ErrNotFound) {
		t.Errorf("missing: %v, want ErrNotFound", err)
	}
	got, _ := reg.WorkOrder(ctx, wo.ID)
	if got.Cause != "compressor_fault" || len(got.Parts) != 1 || got.Parts[0].Name != "valve" || !got.RestoredAt.Equal(opened.Add(3*time.Hour)) {
		t.Errorf("stored: %+v", got)
	}
	entries, _ := audit.List(ctx, 0, 10)
	if len(entries) != 2 || entries[0].Action != "work_order.close" || entries[1].Target != "1" {
		t.Errorf("audit: %+v, want one open and one close", entries)
	}
	if _, _, err := reg.OpenWorkOrder(ctx, plant.WorkOrder{Device: "ghost", OpenedAt: opened, Fault: "other"}); !errors.Is(err, plant.ErrNotFound) {
		t.Errorf("unknown device: %v", err)
	}
}
