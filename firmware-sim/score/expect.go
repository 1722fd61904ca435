package score

import (
	"cmp"
	"math"
	"slices"
	"time"

	"github.com/oxywatch/oxywatch/alerting"
	"github.com/oxywatch/oxywatch/firmware-sim/sim"
	"github.com/oxywatch/oxywatch/internal/plant"
)

// expectation is what a fault of one kind should raise, and how the
// readings show it. A fault is expected to alert once a live reading shows
// it (shows) and the fault lasts long enough after that for its rule's
// `for`; it must alert by onset + forD + forN report intervals + one report
// interval. rules lists the alerts that count as detecting it; an alert of
// one of them that starts while the fault is in force (or within settle
// after it) matches it and is not noise. Kinds without shows should raise
// nothing of their own: reboot, maintenance, a generator switchover, a noisy
// sensor, malformed payloads.
type expectation struct {
	rules  []string
	forD   time.Duration
	forN   int
	shows  func(f *fault, r *plant.Reading, t time.Time) bool
	atFrom bool // the fault shows at once (a dropped link says offline)
	settle time.Duration
	sev    plant.Severity // the severity it must raise; "": any
	crit   float64        // purity: the device's critical level
}

// Rule names the scorer knows beyond alerting's.
const (
	ruleClockSkew   = "clock_skew"
	ruleSensorStuck = "sensor_stuck"
)

// Purity specs (DOMAIN.md): the low_purity levels per kind, and the
// critical level for all; a PSA plant filling cylinders must deliver
// Oxygen 93 and is critical below 90 % (its cylinders are unusable).
func puritySpec(kind string, use plant.Use) float64 {
	switch {
	case kind == sim.KindPSA && use == plant.UseCylinderFilling:
		return 93
	case kind == sim.KindConcentrator:
		return 85
	}
	return 90
}

func purityCritical(kind string, use plant.Use) float64 {
	if kind == sim.KindPSA && use == plant.UseCylinderFilling {
		return 90
	}
	return 82
}

func running(r *plant.Reading) bool { return r.State == plant.StateRunning }

func purityBelowSpec(f *fault, r *plant.Reading, _ time.Time) bool {
	return running(r) && r.Purity != nil && *r.Purity < puritySpec(f.spec.Kind, f.use)
}

func hasAlarm(r *plant.Reading, code string) bool { return slices.Contains(r.Alarms, code) }

func expectationOf(in sim.Injection, kind string, use plant.Use) expectation {
	purityRules := []string{alerting.RuleLowPurity, alerting.RuleCriticalPurity}
	e := expectation{settle: 15 * time.Minute}
	switch in.Fault {
	case sim.FaultOutage:
		if in.Generator {
			return e // a switchover: nothing to page about
		}
		e.rules = []string{alerting.RulePowerLoss, alerting.RuleFacilityOutage, alerting.RuleOffline}
		e.forD = 2 * time.Minute
		e.shows = func(_ *fault, r *plant.Reading, _ time.Time) bool {
			return r.Power == plant.PowerNone || r.Power == plant.PowerBattery
		}
	case sim.FaultCompressor:
		e.rules = []string{alerting.RuleDeviceFault, alerting.RuleNoFlow}
		e.shows = func(_ *fault, r *plant.Reading, _ time.Time) bool { return hasAlarm(r, "compressor_fault") }
	case sim.FaultCode:
		e.rules = []string{alerting.RuleDeviceFault}
		e.shows = func(f *fault, r *plant.Reading, _ time.Time) bool { return hasAlarm(r, f.Code) }
	case sim.FaultDryer:
		e.rules = append([]string{alerting.RuleDeviceFault}, purityRules...)
		e.shows = func(_ *fault, r *plant.Reading, _ time.Time) bool { return hasAlarm(r, "dryer_fault") }
	case sim.FaultFilter:
		e.rules = []string{alerting.RuleLowPressure, alerting.RuleDeviceFault}
		e.forD = 2 * time.Minute
		e.shows = func(f *fault, r *plant.Reading, _ time.Time) bool {
			if f.spec.Kind == sim.KindPSA {
				return running(r) && r.Pressure != nil && *r.Pressure < 3.5
			}
			return hasAlarm(r, "high_temp")
		}
	case sim.FaultPurity:
		e.rules, e.forD, e.shows = purityRules, 2*time.Minute, purityBelowSpec
		e.sev, e.crit = plant.SeverityWarning, purityCritical(kind, use)
		if v := cmp.Or(in.Value, 78); v < purityCritical(kind, use)-1 {
			e.sev = plant.SeverityCritical // a point below: the sensor's noise never lifts it above
		} else if v < purityCritical(kind, use)+1 {
			e.sev = "" // within a point of the critical level: either is fair
		}
	case sim.FaultSieve:
		e.rules = append([]string{alerting.RulePurityDeclining}, purityRules...)
		e.forD, e.shows = 2*time.Minute, purityBelowSpec
	case sim.FaultOverload:
		e.rules = append([]string{alerting.RuleOverload}, purityRules...)
		e.forD = 10 * time.Minute
		e.shows = func(f *fault, r *plant.Reading, _ time.Time) bool {
			return running(r) && r.Flow != nil && *r.Flow > 1.1*f.spec.RatedFlowLPM
		}
	case sim.FaultSensorStuck:
		e.rules, e.forN = []string{ruleSensorStuck}, 10
		e.shows = func(f *fault, r *plant.Reading, _ time.Time) bool {
			same := f.prev != nil && r.Purity != nil && *r.Purity == *f.prev
			f.prev = r.Purity
			return same && running(r)
		}
	case sim.FaultClockDrift:
		e.rules, e.forN = []string{ruleClockSkew}, 2
		e.shows = func(_ *fault, r *plant.Reading, t time.Time) bool {
			return math.Abs(t.Sub(r.Time).Seconds()) > 120
		}
	case sim.FaultOffline:
		e.rules = []string{alerting.RuleOffline, alerting.RuleFacilityOutage}
		e.atFrom, e.forN = true, 3
	}
	return e
}

// expected reports whether the fault should have raised an alert, and by
// when.
func (f *fault) expected() (bool, time.Time) {
	iv := f.spec.ReportInterval
	if f.exp.atFrom && f.Until.Sub(f.From) >= time.Duration(f.exp.forN)*iv {
		f.onset = f.From
	}
	if f.onset.IsZero() {
		return false, time.Time{}
	}
	need := f.exp.forD + time.Duration(f.exp.forN)*iv
	if f.Until.Sub(f.onset) < need+iv {
		return false, time.Time{} // over before its rule could have fired
	}
	return true, f.onset.Add(need + iv)
}

// matches reports whether alert a may be the detection of fault f.
func (f *fault) matches(a *plant.Alert) bool {
	if !slices.Contains(f.exp.rules, a.Rule) {
		return false
	}
	if a.Device == "" {
		if a.Facility != f.Facility {
			return false
		}
	} else if string(a.Device) != f.Device {
		return false
	}
	return !a.StartedAt.Before(f.From.Add(-f.spec.ReportInterval)) && !a.StartedAt.After(f.Until.Add(f.exp.settle))
}

// cause names what an alert that matches no fault happened during: the
// latest fault on its device (or facility) in force within the hour before.
// Warm-up after an outage or a reboot, a generator switchover and
// maintenance are the causes that must never page.
func cause(faults []*fault, a *plant.Alert) string {
	var last *fault
	for _, f := range faults {
		same := string(a.Device) == f.Device || (a.Device == "" && a.Facility == f.Facility)
		if same && !a.StartedAt.Before(f.From) && !a.StartedAt.After(f.Until.Add(time.Hour)) {
			if last == nil || f.From.After(last.From) {
				last = f
			}
		}
	}
	switch {
	case last == nil:
		return "none"
	case last.Fault == sim.FaultOutage && last.Generator:
		return causeSwitchover
	case last.Fault == sim.FaultOutage && a.StartedAt.After(last.Until), last.Fault == sim.FaultReboot:
		return causeWarmUp
	}
	return string(last.Fault)
}

const (
	causeSwitchover = "switchover"
	causeWarmUp     = "warm-up"
)

// quietCauses must raise no critical alert.
var quietCauses = []string{causeWarmUp, causeSwitchover, string(sim.FaultReboot), string(sim.FaultMaintenance)}
