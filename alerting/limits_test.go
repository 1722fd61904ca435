package alerting

import (
	"slices"
	"testing"
	"time"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// limitsRules is a rules file with a top-level change, a kind's service
// intervals, a model override and a device override.
const limitsRules = `
rules:
  low_purity:
    for: 3m
maintenance:
  psa:
    air_compressor: 3000
overrides:
  - model: OX-500
    rules:
      low_pressure: {below: 4.0, clear: 4.2, severity: critical}
  - model: EverFlo
    rules:
      low_pressure: {enabled: true, below: 0.3, clear: 0.35}
  - device: psa-quiet
    rules:
      high_pressure: {enabled: false}
      overload: {above: 120}
`

func limitOf(t *testing.T, dl DeviceLimits, rule string) (Limit, bool) {
	t.Helper()
	i := slices.IndexFunc(dl.Limits, func(l Limit) bool { return l.Rule == rule })
	if i < 0 {
		return Limit{}, false
	}
	return dl.Limits[i], true
}

// TestLimits: Limits reads the compiled rule set: built-in defaults, the
// file's settings, then kind, model and device overrides; rules that are
// off are left out; and what it says is what fires.
func TestLimits(t *testing.T) {
	rules, err := ParseRules([]byte(limitsRules))
	if err != nil {
		t.Fatal(err)
	}
	ox, plain, quiet := psa("psa-ox", "f1"), psa("psa-plain", "f1"), psa("psa-quiet", "f1")
	ox.Model, ox.ReportIntervalS = "OX-500", 60
	ever, conc := concentrator("conc-ever", "f2"), concentrator("conc-plain", "f2")
	ever.Model = "EverFlo"
	h := newHarness(t, rules, ox, plain, quiet, ever, conc)

	lp, ok := limitOf(t, h.e.Limits(ox), RuleLowPressure)
	if !ok || lp.Level != 4.0 || lp.Clear != 4.2 || lp.Severity != plant.SeverityCritical || lp.Above || lp.Field != "pressure_bar" ||
		lp.For != 2*time.Minute || lp.ForReadings != 3 {
		t.Errorf("OX-500 low_pressure = %+v (found %v), want the model override: below 4.0, clear 4.2, critical, for 2m (3 readings at 60 s)", lp, ok)
	}
	if lp, _ := limitOf(t, h.e.Limits(plain), RuleLowPressure); lp.Level != 3.5 || lp.Clear != 3.7 || lp.Severity != plant.SeverityWarning {
		t.Errorf("another PSA's low_pressure = %+v, want the default 3.5 / 3.7 warning", lp)
	}
	if l, _ := limitOf(t, h.e.Limits(plain), RuleLowPurity); l.Level != 90 || l.For != 3*time.Minute || l.WarmUp != 30*time.Minute {
		t.Errorf("PSA low_purity = %+v, want 90 %% for the file's 3m, with the 30 min warm-up", l)
	}
	if l, _ := limitOf(t, h.e.Limits(plain), RuleHighPressure); !l.Above || l.Level != 7 || l.Clear != 6.8 {
		t.Errorf("PSA high_pressure = %+v, want above 7, clear 6.8", l)
	}
	q := h.e.Limits(quiet)
	if _, on := limitOf(t, q, RuleHighPressure); on {
		t.Error("psa-quiet lists high_pressure, which its device override turns off")
	}
	if l, _ := limitOf(t, q, RuleOverload); l.Level != 120 || l.Clear != 115 || l.Unit != "% of rated flow" {
		t.Errorf("psa-quiet overload = %+v, want 120 %% of rated flow, clearing at 115 (the default margin kept)", l)
	}
	if _, on := limitOf(t, h.e.Limits(conc), RuleLowPressure); on {
		t.Error("a concentrator without a model override lists low_pressure, which is off by default")
	}
	if l, on := limitOf(t, h.e.Limits(ever), RuleLowPressure); !on || l.Level != 0.3 || l.Clear != 0.35 {
		t.Errorf("EverFlo low_pressure = %+v (on %v), want the override's 0.3 / 0.35", l, on)
	}
	noRated := plain
	noRated.RatedFlowLPM = 0
	if _, on := limitOf(t, h.e.Limits(noRated), RuleOverload); on {
		t.Error("overload listed for a device without a rated flow, which it cannot judge")
	}

	svc := h.e.Limits(plain).Service
	want := []ServiceInterval{{"filter_elements", 4380, 6, 0}, {"air_compressor", 3000, 0, 0}, {"zeolite", 40000, 0, 0}}
	if !slices.Equal(svc, want) {
		t.Errorf("PSA service intervals %+v, want %+v", svc, want)
	}
	if dl := h.e.Limits(plain); !dl.Maintenance || dl.MaintenanceWarn != 1.1 || dl.OfflineIntervals != 3 {
		t.Errorf("maintenance %v warn %v offline %v, want on, 1.1, 3", dl.Maintenance, dl.MaintenanceWarn, dl.OfflineIntervals)
	}

	// What Limits says is what fires: 3.8 bar is low for the OX-500 only.
	for _, at := range []time.Duration{0, time.Minute, 2 * time.Minute} {
		h.at(at)
		h.read("psa-ox", running(pressure(3.8)))
		h.read("psa-plain", running(pressure(3.8)))
	}
	h.at(2*time.Minute + time.Second)
	if a := h.wantOpen("psa-ox", RuleLowPressure, true); a.Severity != plant.SeverityCritical {
		t.Errorf("OX-500 low_pressure fired at %s, want critical as Limits says", a.Severity)
	}
	h.wantOpen("psa-plain", RuleLowPressure, false)
}
