package alerting

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/oxywatch/oxywatch/internal/plant"
	"github.com/oxywatch/oxywatch/internal/store"
	"github.com/oxywatch/oxywatch/internal/testenv"
)

// TestChangesCommitWithTheirAuditEntry: silences, service records and
// acknowledgements write the audit entry their context carries in their
// own transaction (issue 13 finding 7). A silence or a service record
// whose entry fails is not made; an acknowledgement, already in the
// engine's memory, is stored and the failure is reported, logged and
// counted.
func TestChangesCommitWithTheirAuditEntry(t *testing.T) {
	h := newHarness(t, Rules{}, psa("p1", "f1"), psa("p2", "f1"))
	audit, err := store.OpenAudit(h.ctx, h.db)
	if err != nil {
		t.Fatal(err)
	}
	as := func(action string) context.Context {
		return store.WithAudit(h.ctx, store.AuditEntry{Actor: "token:ab", Action: action})
	}
	h.at(0)
	h.read("p1", running(state(plant.StateFault), runtime(100)))
	h.read("p2", running(state(plant.StateFault), runtime(100)))
	a1 := h.wantOpen("p1", RuleDeviceFault, true)
	a2 := h.wantOpen("p2", RuleDeviceFault, true)

	if _, err := h.e.Ack(as("alert.ack"), a1.ID, "amos", "on my way"); err != nil {
		t.Fatal(err)
	}
	sil, err := h.e.CreateSilence(as("silence.create"), Silence{Device: "p2", EndsAt: t0.Add(time.Hour), CreatedBy: "amos"})
	if err != nil {
		t.Fatal(err)
	}
	entries, _ := audit.List(h.ctx, 0, 10)
	if len(entries) != 2 || entries[1].Action != "alert.ack" || entries[0].Target != "1" {
		t.Fatalf("got %+v, want the ack and the silence (target 1)", entries)
	}

	testenv.BreakAuditLog(t, h.db)
	if _, err := h.e.CreateSilence(as("silence.create"), Silence{Device: "p1", EndsAt: t0.Add(time.Hour)}); !errors.Is(err, store.ErrAudit) {
		t.Errorf("create silence: got %v, want ErrAudit", err)
	}
	if err := h.e.DeleteSilence(as("silence.delete"), sil.ID); !errors.Is(err, store.ErrAudit) {
		t.Errorf("delete silence: got %v, want ErrAudit", err)
	}
	if list, _ := h.e.Silences(h.ctx); len(list) != 1 || list[0].ID != sil.ID {
		t.Errorf("silences %+v, want the first one alone", list)
	}
	if _, err := h.e.RecordService(as("maintenance.record"), plant.ServiceRecord{Device: "p1", Component: "air_compressor"}); !errors.Is(err, store.ErrAudit) {
		t.Errorf("record service: got %v, want ErrAudit", err)
	}
	if recs, _ := h.e.ServiceRecords(h.ctx, "p1"); len(recs) != 0 {
		t.Errorf("service records %+v, want none", recs)
	}

	got, err := h.e.Ack(as("alert.ack"), a2.ID, "amos", "")
	if !errors.Is(err, store.ErrAudit) || got.State != plant.AlertAcknowledged {
		t.Fatalf("ack: got %s, %v; want acknowledged and ErrAudit", got.State, err)
	}
	if stored, _ := h.e.Alert(h.ctx, a2.ID); stored.State != plant.AlertAcknowledged {
		t.Errorf("stored alert is %s, want acknowledged", stored.State)
	}
	if n := testutil.ToFloat64(h.e.m.auditLost); n != 1 {
		t.Errorf("oxywatch_alerting_audit_entries_lost_total = %g, want 1", n)
	}
	// The writer goes on: later changes commit.
	h.at(time.Minute)
	h.read("p1", running())
	h.sync()
	if stored, _ := h.e.Alert(h.ctx, a1.ID); stored.State != plant.AlertResolved {
		t.Errorf("p1's alert is %s after the fault cleared, want resolved", stored.State)
	}
}
