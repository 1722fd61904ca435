package alerting

import (
	"math"
	"testing"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// A unit without mains reports itself off as well; the cause a report names
// must be the mains, not the switch.
func TestStatusCauseNamesMainsBeforeTheSwitch(t *testing.T) {
	for _, tc := range []struct {
		l         look
		st        plant.Status
		wantCause string
	}{
		{look{state: plant.StateOff, power: plant.PowerNone, purity: math.NaN()}, plant.StatusDown, "power:none"},
		{look{state: plant.StateOff, power: plant.PowerMains, purity: math.NaN()}, plant.StatusDown, "state:off"},
		{look{state: plant.StateFault, power: plant.PowerGenerator, purity: math.NaN()}, plant.StatusDown, "state:fault"},
	} {
		st, cause := statusOf(&ruleSet{}, tc.l)
		if st != tc.st || cause != tc.wantCause {
			t.Errorf("state %s, power %s: got %s %q, want %s %q", tc.l.state, tc.l.power, st, cause, tc.st, tc.wantCause)
		}
	}
}
