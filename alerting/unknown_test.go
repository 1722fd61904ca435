package alerting

import (
	"testing"
	"time"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// A state word nobody mapped (issue 19) is stored as unknown. It must not
// look like running (status degraded, not operational), must not page
// (no purity alert fires, none resolves), and must not make a power loss
// critical; an unknown power word leaves the last known source in place.
func TestUnknownStateNeitherRunsNorPages(t *testing.T) {
	h := newHarness(t, immediatePower(), psa("p1", ""), psa("p2", ""))
	h.at(0)
	h.read("p1", running(purity(75)))
	h.read("p2", running(purity(75), state(plant.StateUnknown)))
	h.at(time.Minute)
	h.read("p1", running(purity(75)))
	h.read("p2", running(purity(75), state(plant.StateUnknown)))
	h.at(5 * time.Minute)
	h.read("p2", running(purity(75), state(plant.StateUnknown)))
	h.wantOpen("p1", RuleCriticalPurity, true)
	h.wantOpen("p2", RuleCriticalPurity, false)
	if st := h.e.Status(psa("p2", ""), h.clk.Now()); st != plant.StatusDegraded {
		t.Errorf("status with state unknown: got %s, want degraded", st)
	}
	// An unknown state holds p1's alert: it does not resolve on good purity.
	h.at(6 * time.Minute)
	h.read("p1", running(purity(95), state(plant.StateUnknown)))
	h.wantOpen("p1", RuleCriticalPurity, true)
	// Power lost with the state unknown: the rule's own severity, not critical.
	h.at(7 * time.Minute)
	h.read("p2", running(state(plant.StateUnknown), power(plant.PowerBattery)))
	if a := h.wantOpen("p2", RulePowerLoss, true); a.Severity == plant.SeverityCritical {
		t.Errorf("power_loss with state unknown is %s, want the rule's severity", a.Severity)
	}
	// An unknown power word neither resolves the power loss nor raises one.
	h.at(8 * time.Minute)
	h.read("p2", running(state(plant.StateUnknown), power(plant.PowerUnknown)))
	h.wantOpen("p2", RulePowerLoss, true)
}
