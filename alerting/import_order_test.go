package alerting

import (
	"context"
	"strings"
	"testing"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// importHistory records a concentrator's service history (11,389 h run,
// none on record) a row at a time, in the CSV's order, in ctx.
func importHistory(t *testing.T, h *harness, ctx context.Context) {
	t.Helper()
	now := h.clk.Now()
	for _, r := range []struct {
		comp string
		ago  int
	}{{"inlet_filter_clean", 2}, {"inlet_filter", 70}, {"preventive_service", 131}, {"sieve_beds", 700}} {
		if _, err := h.e.RecordService(ctx, plant.ServiceRecord{Device: "c1", Component: r.comp, DoneAt: now.AddDate(0, 0, -r.ago)}); err != nil {
			t.Fatal(err)
		}
	}
}

// maintAlerts lists c1's maintenance alerts, open or resolved.
func maintAlerts(t *testing.T, h *harness) []plant.Alert {
	t.Helper()
	h.sync()
	all, err := h.e.Alerts(h.ctx, AlertFilter{Device: "c1", Rule: RuleMaintenanceDue})
	if err != nil {
		t.Fatal(err)
	}
	return all
}

// TestServiceHistoryImport: whatever the rows' order, an imported history
// leaves nothing open but what is due; held (as POST /maintenance/import
// does) it raises no passing "no service on record" item for components
// whose own row comes later, only resolving the "service history missing".
func TestServiceHistoryImport(t *testing.T) {
	t.Run("row by row", func(t *testing.T) {
		h := newHarness(t, Rules{}, concentrator("c1", ""))
		h.read("c1", running(runtime(11389)))
		importHistory(t, h, h.ctx)
		for _, a := range maintAlerts(t, h) {
			if a.State != plant.AlertResolved {
				t.Errorf("still open after the import: %s %s", a.Severity, a.Summary)
			}
		}
	})
	t.Run("held", func(t *testing.T) {
		h := newHarness(t, Rules{}, concentrator("c1", ""))
		h.read("c1", running(runtime(11389)))
		ctx, release := h.e.HoldClocks(h.ctx)
		importHistory(t, h, ctx)
		h.wantOpen("c1", RuleMaintenanceDue, true) // nothing ran yet
		if err := release(h.ctx); err != nil {
			t.Fatal(err)
		}
		all := maintAlerts(t, h)
		if len(all) != 1 || all[0].State != plant.AlertResolved || !strings.HasPrefix(all[0].Summary, "service history missing") {
			for _, a := range all {
				t.Errorf("%s %s %s", a.State, a.Severity, a.Summary)
			}
			t.Fatalf("%d maintenance alerts; want only the history-missing item, resolved", len(all))
		}
		recs, err := h.e.ServiceRecords(h.ctx, "c1")
		if err != nil || len(recs) != 4 {
			t.Fatalf("%d records, %v; want the 4 imported", len(recs), err)
		}
	})
}
