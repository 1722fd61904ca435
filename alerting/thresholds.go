package alerting

import (
	"math"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// Threshold sets per use and per measurement point (issue 15). A device's
// registry entry says what its oxygen is for (plant.Use: pipeline,
// cylinder_filling, bedside; the kind's default when empty) and where its
// values are measured (plant.Point: outlet, buffer_tank, pipeline,
// filling_manifold; outlet when empty). A threshold set changes the levels
// of the purity and pressure rules for the devices of one kind with that
// use or point:
//
//	thresholds:
//	  psa:
//	    use:
//	      cylinder_filling: {purity_critical: 90, purity_warning: 93}
//	    point:
//	      buffer_tank: {pressure_low: 5.5, pressure_high: 8.5}
//
// Precedence, the later winning: the built-in kind defaults, the file's
// `rules`, its kind overrides, its model overrides, then the point's set
// and the use's set (built-in first, the file's keys over it; a key both
// give takes the use's), then the device's own override. So what GET
// /api/v1/devices/{id}/limits shows for a device override beats a use or
// point set, which beats the kind's defaults. A set moves levels only,
// keeping each rule's clear margin; whether a rule is on stays the rules'
// and overrides' business (`enabled`), except that a built-in set turns off
// a rule that means nothing at its point (low_pressure at a filling
// manifold).

// Thresholds is one threshold set: levels in per cent O2 and bar. Unset
// keeps the level from before it in precedence.
type Thresholds struct {
	PurityCritical *float64 `yaml:"purity_critical"` // critical_purity fires below it
	PurityWarning  *float64 `yaml:"purity_warning"`  // low_purity fires below it
	PressureLow    *float64 `yaml:"pressure_low"`    // low_pressure fires below it
	PressureHigh   *float64 `yaml:"pressure_high"`   // high_pressure fires above it
}

// ThresholdSets are one kind's threshold sets by use and by measurement
// point.
type ThresholdSets struct {
	Use   map[string]Thresholds `yaml:"use"`
	Point map[string]Thresholds `yaml:"point"`
}

// specs turns the set into rule settings (levels only).
func (t Thresholds) specs() map[string]RuleSpec {
	out := map[string]RuleSpec{}
	if t.PurityCritical != nil {
		out[RuleCriticalPurity] = RuleSpec{Below: t.PurityCritical}
	}
	if t.PurityWarning != nil {
		out[RuleLowPurity] = RuleSpec{Below: t.PurityWarning}
	}
	if t.PressureLow != nil {
		out[RuleLowPressure] = RuleSpec{Below: t.PressureLow}
	}
	if t.PressureHigh != nil {
		out[RuleHighPressure] = RuleSpec{Above: t.PressureHigh}
	}
	return out
}

func (t Thresholds) validate(key string, bad func(string, string, ...any)) {
	for _, f := range []struct {
		k   string
		v   *float64
		max float64
	}{{"purity_critical", t.PurityCritical, 100}, {"purity_warning", t.PurityWarning, 100},
		{"pressure_low", t.PressureLow, 300}, {"pressure_high", t.PressureHigh, 300}} {
		if f.v != nil && (math.IsNaN(*f.v) || *f.v < 0 || *f.v > f.max) {
			bad(key+"."+f.k, "%g is outside 0 to %g", *f.v, f.max)
		}
	}
	if t.PurityCritical != nil && t.PurityWarning != nil && *t.PurityCritical > *t.PurityWarning {
		bad(key+".purity_critical", "%g is above purity_warning %g: the critical level is the lower one", *t.PurityCritical, *t.PurityWarning)
	}
	if t.PressureLow != nil && t.PressureHigh != nil && *t.PressureLow >= *t.PressureHigh {
		bad(key+".pressure_low", "%g is not below pressure_high %g", *t.PressureLow, *t.PressureHigh)
	}
}

func validateThresholds(sets map[string]ThresholdSets, bad func(string, string, ...any)) {
	for kind, s := range sets {
		key := "thresholds." + kind
		if _, err := plant.ParseKind(kind); err != nil {
			bad(key, "%v", err)
		}
		for use, t := range s.Use {
			if _, err := plant.ParseUse(use); err != nil {
				bad(key+".use."+use, "%v", err)
			}
			t.validate(key+".use."+use, bad)
		}
		for point, t := range s.Point {
			if _, err := plant.ParsePoint(point); err != nil {
				bad(key+".point."+point, "%v", err)
			}
			t.validate(key+".point."+point, bad)
		}
	}
}

func ptr(v float64) *float64 { return &v }

// builtinUse holds the built-in sets per use: a PSA plant filling
// cylinders must deliver Oxygen 93 (90–96 %, Ph. Eur./USP; WHO PSA
// specifications 2020): it warns below 93 % and is critical below 90 %,
// where the cylinders are unusable. A pipeline plant keeps the kind's
// defaults (DOMAIN.md: warning below 90 %, critical below 82 %).
var builtinUse = map[plant.Kind]map[plant.Use]map[string]RuleSpec{
	plant.KindPSA: {
		plant.UseCylinderFilling: Thresholds{PurityCritical: ptr(90), PurityWarning: ptr(93)}.specs(),
	},
}

// builtinPoint holds the built-in sets per measurement point: a PSA
// plant's buffer tank runs at about 6–8 bar (its outlet 4–6 bar, the kind's
// default), so it warns below 5.5 and above 8.5 bar; a booster's filling
// manifold starts each fill near 0 bar and ends at 137–200 bar (DOMAIN.md),
// so only high_pressure applies, above 210 bar. The hospital pipeline point
// keeps the outlet's limits until a rules file sets its own.
var builtinPoint = map[plant.Kind]map[plant.Point]map[string]RuleSpec{
	plant.KindPSA: {
		plant.PointBufferTank: Thresholds{PressureLow: ptr(5.5), PressureHigh: ptr(8.5)}.specs(),
		plant.PointFillingManifold: {
			RuleLowPressure:  {Enabled: new(bool)},
			RuleHighPressure: {Above: ptr(210)},
		},
	},
}

// applySets lays the point's and then the use's threshold sets over the
// rule set: the built-in set first, then the rules file's.
func (rs *ruleSet) applySets(kind plant.Kind, use plant.Use, point plant.Point, file map[string]ThresholdSets) {
	fs := file[string(kind)]
	for _, specs := range []map[string]RuleSpec{
		builtinPoint[kind][point], fs.Point[string(point)].specs(),
		builtinUse[kind][use], fs.Use[string(use)].specs(),
	} {
		for name, spec := range specs {
			sl, _ := slotByName(name)
			rs.r[sl].apply(spec)
		}
	}
}
