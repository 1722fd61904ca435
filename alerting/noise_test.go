package alerting

import (
	"testing"
	"time"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// TestWarmUpAfterStart: purity rules hold through the warm-up that follows
// a start (power back), then fire at once if purity is still below spec.
func TestWarmUpAfterStart(t *testing.T) {
	for _, tc := range []struct {
		name   string
		warm   float64 // purity once warm
		firing bool
	}{{"reaches spec: nothing", 93, false}, {"still below at the end: fires", 80, true}} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Rules{}, concentrator("c1", ""))
			conc := func(mods ...func(*plant.Reading)) plant.Reading {
				return running(append([]func(*plant.Reading){pressure(0.5), flow(5)}, mods...)...)
			}
			at := time.Duration(0)
			h.at(at)
			h.read("c1", conc())
			for ; at < 5*time.Minute; at += time.Minute {
				h.at(at)
				h.read("c1", conc(state(plant.StateOff), power(plant.PowerBattery), purity(30)))
			}
			for p := 45.0; at <= 20*time.Minute; at += time.Minute {
				h.at(at)
				h.read("c1", conc(purity(min(p, tc.warm))))
				p += 8
			}
			h.wantOpen("c1", RuleCriticalPurity, tc.firing)
			if tc.firing {
				a := h.wantOpen("c1", RuleCriticalPurity, true)
				if want := t0.Add(15 * time.Minute); a.StartedAt.After(want) {
					t.Fatalf("started %s, want by the end of the 10 min warm-up, %s", a.StartedAt.Sub(t0), want.Sub(t0))
				}
			}
		})
	}
}

// TestAlarmCodesFold: a unit's own low_purity alarm is the purity rule's
// business, not a second alert; other codes raise device_fault at their
// severity, unknown ones critical.
func TestAlarmCodesFold(t *testing.T) {
	h := newHarness(t, Rules{}, psa("p1", ""))
	h.at(0)
	h.read("p1", running(purity(89), alarms("low_purity")))
	h.wantOpen("p1", RuleDeviceFault, false)
	h.at(time.Minute)
	h.read("p1", running(alarms("dryer_fault", "low_purity")))
	if a := h.wantOpen("p1", RuleDeviceFault, true); a.Severity != plant.SeverityWarning || a.Summary != "device alarm dryer_fault (state running)" {
		t.Fatalf("dryer_fault: %s %q, want a warning naming dryer_fault", a.Severity, a.Summary)
	}
	h.at(2 * time.Minute)
	h.read("p1", running(alarms("dryer_fault", "E12")))
	if a := h.wantOpen("p1", RuleDeviceFault, true); a.Severity != plant.SeverityCritical {
		t.Fatalf("unknown code E12: %s, want critical", a.Severity)
	}
}

// TestSensorStuck: a purity that repeats exactly for 10 running readings
// warns; the first change resolves it.
func TestSensorStuck(t *testing.T) {
	on := true
	h := newHarness(t, Rules{Rules: map[string]RuleSpec{RuleSensorStuck: {Enabled: &on}}}, psa("p1", ""))
	for i := range 10 {
		h.at(time.Duration(i) * time.Minute)
		h.wantOpen("p1", RuleSensorStuck, false)
		h.read("p1", running(purity(95)))
	}
	h.wantOpen("p1", RuleSensorStuck, true)
	h.at(10 * time.Minute)
	h.read("p1", running(purity(94.9)))
	h.wantOpen("p1", RuleSensorStuck, false)
}

// TestFacilityOnBattery: concentrators on battery count for the facility
// roll-up: one site alert, the device alerts muted.
func TestFacilityOnBattery(t *testing.T) {
	h := newHarness(t, Rules{}, psa("p1", "site"), concentrator("c1", "site"), concentrator("c2", "site"))
	for at := time.Duration(0); at <= 3*time.Minute; at += time.Minute {
		h.at(at)
		h.read("p1", running(power(plant.PowerNone), state(plant.StateOff)))
		h.read("c1", running(power(plant.PowerBattery), state(plant.StateOff)))
		h.read("c2", running(power(plant.PowerBattery), state(plant.StateOff)))
	}
	h.wantOpen("c1", RulePowerLoss, true)
	h.wantTransitions("facility_outage//firing")
}
