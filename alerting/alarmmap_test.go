package alerting

import (
	"strings"
	"testing"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// A model's alarm codes, mapped in the rules file, fold into the rule that
// covers them, raise device_fault at their severity or are ignored; the
// same code from another model is unknown there, so critical.
func TestAlarmCodesPerModel(t *testing.T) {
	rules, err := ParseRules([]byte(`
overrides:
  - model: OX-500
    alarms:
      E12: {rule: critical_purity}
      E07: {severity: warning}
      DOOR: {ignore: true}
`))
	if err != nil {
		t.Fatal(err)
	}
	ox := psa("ox", "f1")
	ox.Model = "OX-500"
	h := newHarness(t, rules, ox, psa("other", "f2"))
	h.at(0)
	h.read("ox", running(alarms("DOOR")))
	h.wantOpen("ox", RuleDeviceFault, false)
	h.read("ox", running(alarms("E07")))
	if a := h.wantOpen("ox", RuleDeviceFault, true); a.Severity != plant.SeverityWarning {
		t.Errorf("E07 on OX-500: %s, want warning", a.Severity)
	}
	h.read("ox", running(alarms("E12"), purity(93)))
	h.wantOpen("ox", RuleDeviceFault, false) // E12 alone is the purity rule's to judge, and purity is fine
	h.read("other", running(alarms("E07")))
	if a := h.wantOpen("other", RuleDeviceFault, true); a.Severity != plant.SeverityCritical {
		t.Errorf("E07 on another model: %s, want critical (unknown code)", a.Severity)
	}

	for yaml, want := range map[string]string{
		"alarms:\n  X1: {rule: offline}\n":                      "alarms.X1.rule",
		"alarms:\n  X1: {severity: loud}\n":                     "alarms.X1.severity",
		"alarms:\n  X1: {severity: info, ignore: true}\n":       "alarms.X1: set exactly one",
		"overrides:\n  - kind: psa\n    alarms:\n      X: {}\n": "overrides[0].alarms.X",
	} {
		if _, err := ParseRules([]byte(yaml)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want an error naming %s", yaml, err, want)
		}
	}
}
