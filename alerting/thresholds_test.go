package alerting

import (
	"strings"
	"testing"
	"time"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// thresholdRules sets a kind override, a model override, file threshold
// sets over the built-in ones, and a device override.
const thresholdRules = `
rules:
  low_purity: {for: 3m}
overrides:
  - kind: psa
    rules:
      low_pressure: {below: 3.8}
  - model: OX-500
    rules:
      low_purity: {below: 88}
  - device: psa-own
    rules:
      low_purity: {below: 91.5}
thresholds:
  psa:
    use:
      cylinder_filling: {purity_warning: 94}
    point:
      pipeline: {pressure_low: 3.2, pressure_high: 5.0}
  concentrator:
    use:
      cylinder_filling: {purity_critical: 88, purity_warning: 91}
`

func with(d plant.Device, use plant.Use, point plant.Point, model string) plant.Device {
	d.Use, d.MeasurementPoint, d.Model = use, point, model
	return d
}

// TestThresholdSets: a device's use and measurement point choose its
// threshold sets, built-in and from the file, between the model and the
// device overrides; Limits shows what applies.
func TestThresholdSets(t *testing.T) {
	level := func(t *testing.T, dl DeviceLimits, rule string) float64 {
		t.Helper()
		l, ok := limitOf(t, dl, rule)
		if !ok {
			return -1
		}
		return l.Level
	}
	builtinOnly := newHarness(t, Rules{})
	file, err := ParseRules([]byte(thresholdRules))
	if err != nil {
		t.Fatal(err)
	}
	filed := newHarness(t, file)
	type want struct{ crit, warn, low, high float64 } // -1: rule off
	cases := []struct {
		name string
		h    *harness
		dev  plant.Device
		want want
	}{
		{"pipeline PSA: DOMAIN.md defaults", builtinOnly, psa("p1", ""), want{82, 90, 3.5, 7}},
		{"cylinder-filling PSA: Oxygen 93", builtinOnly, with(psa("p2", ""), plant.UseCylinderFilling, "", ""), want{90, 93, 3.5, 7}},
		{"buffer tank PSA", builtinOnly, with(psa("p3", ""), "", plant.PointBufferTank, ""), want{82, 90, 5.5, 8.5}},
		{"filling manifold PSA", builtinOnly, with(psa("p4", ""), plant.UseCylinderFilling, plant.PointFillingManifold, ""), want{90, 93, -1, 210}},
		{"concentrator: no built-in cylinder set", builtinOnly, with(concentrator("c1", ""), plant.UseCylinderFilling, "", ""), want{82, 85, -1, -1}},
		{"file: kind override under the point set", filed, with(psa("p5", ""), "", plant.PointPipeline, ""), want{82, 90, 3.2, 5}},
		{"file: kind override where no set applies", filed, psa("p6", ""), want{82, 90, 3.8, 7}},
		{"file: use set over the built-in one", filed, with(psa("p7", ""), plant.UseCylinderFilling, "", ""), want{90, 94, 3.8, 7}},
		{"file: use set beats the model override", filed, with(psa("p8", ""), plant.UseCylinderFilling, "", "OX-500"), want{90, 94, 3.8, 7}},
		{"file: model override without a set", filed, with(psa("p9", ""), "", "", "OX-500"), want{82, 88, 3.8, 7}},
		{"file: device override beats the use set", filed, with(psa("psa-own", ""), plant.UseCylinderFilling, "", ""), want{90, 91.5, 3.8, 7}},
		{"file: a concentrator's set", filed, with(concentrator("c2", ""), plant.UseCylinderFilling, "", ""), want{88, 91, -1, -1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dl := tc.h.e.Limits(tc.dev)
			got := want{level(t, dl, RuleCriticalPurity), level(t, dl, RuleLowPurity), level(t, dl, RuleLowPressure), level(t, dl, RuleHighPressure)}
			if got != tc.want {
				t.Errorf("levels (critical_purity, low_purity, low_pressure, high_pressure) = %v, want %v", got, tc.want)
			}
			if dl.Use != tc.dev.UseOrDefault() || dl.Point != tc.dev.PointOrDefault() {
				t.Errorf("limits name use %q point %q, want %q %q", dl.Use, dl.Point, tc.dev.UseOrDefault(), tc.dev.PointOrDefault())
			}
		})
	}
	if l, _ := limitOf(t, builtinOnly.e.Limits(with(psa("p2", ""), plant.UseCylinderFilling, "", "")), RuleLowPurity); l.Clear != 94 || l.For != 2*time.Minute {
		t.Errorf("cylinder-filling low_purity = %+v, want the default margin kept (clear 94) and for 2m", l)
	}
}

// TestCylinderFillingAlertsAndStatus: the same purity judged by two uses.
// At 89 % a cylinder-filling PSA raises critical_purity and is down, a
// pipeline PSA raises the low_purity warning and is degraded; at 91 % the
// cylinder-filling one warns and is degraded, the pipeline one is
// operational with nothing open. Status and alerts read the same levels.
func TestCylinderFillingAlertsAndStatus(t *testing.T) {
	type dev struct {
		d          plant.Device
		purity     float64
		wantRules  []string // open alerts
		wantSev    plant.Severity
		wantStatus plant.Status
	}
	devs := []dev{
		{with(psa("fill-89", "f1"), plant.UseCylinderFilling, "", ""), 89, []string{RuleCriticalPurity, RuleLowPurity}, plant.SeverityCritical, plant.StatusDown},
		{psa("pipe-89", "f2"), 89, []string{RuleLowPurity}, plant.SeverityWarning, plant.StatusDegraded},
		{with(psa("fill-91", "f3"), plant.UseCylinderFilling, "", ""), 91, []string{RuleLowPurity}, plant.SeverityWarning, plant.StatusDegraded},
		{psa("pipe-91", "f4"), 91, nil, "", plant.StatusOperational},
	}
	var regs []plant.Device
	for _, d := range devs {
		regs = append(regs, d.d)
	}
	h := newHarness(t, Rules{}, regs...)
	for m := range 6 {
		h.at(time.Duration(m) * time.Minute)
		for _, d := range devs {
			h.read(string(d.d.ID), running(purity(d.purity)))
		}
	}
	h.sync()
	for _, d := range devs {
		var rules []string
		worst := plant.Severity("")
		for _, rule := range []string{RuleCriticalPurity, RuleLowPurity} {
			if a, ok := h.open(string(d.d.ID), rule); ok {
				rules = append(rules, rule)
				if worst == "" || a.Severity == plant.SeverityCritical {
					worst = a.Severity
				}
			}
		}
		if strings.Join(rules, ",") != strings.Join(d.wantRules, ",") || worst != d.wantSev {
			t.Errorf("%s at %g %%: open %v (worst %q), want %v (%q)", d.d.ID, d.purity, rules, worst, d.wantRules, d.wantSev)
		}
		if st := h.e.Status(d.d, h.clk.Now()); st != d.wantStatus {
			t.Errorf("%s at %g %%: status %s, want %s", d.d.ID, d.purity, st, d.wantStatus)
		}
	}
}

// TestUseChangeRecompiles: a registry change of use takes effect on the
// device's next refresh, like a change of kind or model.
func TestUseChangeRecompiles(t *testing.T) {
	d := psa("p1", "f1")
	h := newHarness(t, Rules{}, d)
	for m := range 4 {
		h.at(time.Duration(m) * time.Minute)
		h.read("p1", running(purity(89)))
	}
	h.wantOpen("p1", RuleCriticalPurity, false)
	d.Use = plant.UseCylinderFilling
	h.reg[d.ID] = d
	h.e.Refresh(d.ID)
	for m := 4; m < 7; m++ {
		h.at(time.Duration(m) * time.Minute)
		h.read("p1", running(purity(89)))
	}
	if a := h.wantOpen("p1", RuleCriticalPurity, true); a.Severity != plant.SeverityCritical {
		t.Errorf("critical_purity severity %s after the change to cylinder_filling", a.Severity)
	}
}

func TestThresholdValidation(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"thresholds: {psa: {use: {oxygen_bar: {purity_warning: 93}}}}", "thresholds.psa.use.oxygen_bar: unknown use"},
		{"thresholds: {psa: {point: {tank: {pressure_low: 5}}}}", "thresholds.psa.point.tank: unknown measurement_point"},
		{"thresholds: {plant: {use: {pipeline: {purity_warning: 93}}}}", "thresholds.plant: unknown kind"},
		{"thresholds: {psa: {use: {cylinder_filling: {purity_critical: 94, purity_warning: 93}}}}", "thresholds.psa.use.cylinder_filling.purity_critical: 94 is above purity_warning 93"},
		{"thresholds: {psa: {point: {buffer_tank: {pressure_low: 8, pressure_high: 6}}}}", "thresholds.psa.point.buffer_tank.pressure_low: 8 is not below pressure_high 6"},
		{"thresholds: {psa: {use: {pipeline: {purity_warning: 120}}}}", "thresholds.psa.use.pipeline.purity_warning: 120 is outside 0 to 100"},
		{"thresholds: {psa: {use: {pipeline: {purity: 93}}}}", "field purity not found"},
	} {
		_, err := ParseRules([]byte(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want it to say %q", tc.yaml, err, tc.want)
		}
	}
}
