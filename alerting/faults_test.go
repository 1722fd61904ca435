package alerting

import (
	"testing"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// Every rule's name is a fault code of work orders (plant.FaultCodes): a
// work order opened from an alert takes the alert's rule as its fault.
func TestRulesAreFaultCodes(t *testing.T) {
	for name := range ruleKeys {
		if !plant.KnownFault(name) {
			t.Errorf("rule %s is not in plant.FaultCodes; add it there", name)
		}
	}
}
