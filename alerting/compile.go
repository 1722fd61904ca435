package alerting

import (
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// compiledRule is one rule resolved for one kind, model or device.
type compiledRule struct {
	on     bool
	sev    plant.Severity
	forNs  int64
	level  float64 // fires below (or above) this
	clear  float64 // clears at or above (or at or below) this
	days   int
	steady float64
	forN   int   // fire after this many bad readings in a row too; autoForN: from for and the interval
	warmUp int64 // purity rules: hold after the device starts running, ns
}

// autoForN makes a value rule's `for` also satisfied by for/interval + 1
// bad readings in a row (3 for 2 min at 60 s): readings that span the `for`
// fire it even when jitter, a clock running slow or a burst delivery makes
// them look a little shorter than `for` on the engine's clock.
const autoForN = -1

// forCount is how many bad readings in a row satisfy the rule's `for` on a
// device reporting every interval ns; 0: only time does.
func (c *compiledRule) forCount(interval int64) int {
	if c.forN != autoForN {
		return c.forN
	}
	if c.forNs <= 0 || interval <= 0 {
		return 0
	}
	return int((c.forNs+interval-1)/interval) + 1
}

// component is a part with a service interval in running hours and,
// optionally, in calendar time (whichever comes first).
type component struct {
	name         string
	hours        float64
	months, days int
}

// ruleSet is every rule resolved for one device profile. Devices of the same
// kind and model share one.
type ruleSet struct {
	r         [nSlots]compiledRule
	intervals float64 // offline deadline in report intervals
	maintOn   bool
	maintWarn float64 // share of the interval past which maintenance_due warns
	comps     []component
	calendar  bool                 // a component has a calendar interval
	alarms    map[string]alarmCode // device alarm codes the rules know
}

// builtinMaintenance holds DOMAIN.md's service intervals in running hours,
// and in calendar time where the guidance gives one: PSA filter elements
// every 6 months (4,380 h is 6 months at 24/7; a plant run 12 h a day
// still needs them), a concentrator's preventive service yearly.
var builtinMaintenance = map[plant.Kind][]component{
	plant.KindPSA: {
		{name: "filter_elements", hours: 4380, months: 6}, {name: "air_compressor", hours: 4000}, {name: "zeolite", hours: 40000},
	},
	plant.KindConcentrator: {
		{name: "inlet_filter_clean", hours: 168}, {name: "inlet_filter", hours: 4000},
		{name: "preventive_service", hours: 8760, months: 12}, {name: "sieve_beds", hours: 20000},
	},
}

func rule(sev plant.Severity, forD time.Duration, level, clear float64) compiledRule {
	return compiledRule{on: true, sev: sev, forNs: int64(forD), level: level, clear: clear}
}

// value is a value rule: `for` by time or by bad readings in a row.
func value(on bool, sev plant.Severity, forD time.Duration, level, clear float64) compiledRule {
	return compiledRule{on: on, sev: sev, forNs: int64(forD), level: level, clear: clear, forN: autoForN}
}

// builtin returns DOMAIN.md's default rules for a kind, with what
// alert-noise scoring added (firmware-sim/score): power_loss waits 2 min so
// a generator that takes over does not page; purity rules hold through the
// warm-up after a start (30 min for a PSA plant, 10 min for a
// concentrator); a clock more than 2 min off warns; a purity sensor that
// repeats one value for 10 readings warns.
func builtin(kind plant.Kind) ruleSet {
	crit, warn := plant.SeverityCritical, plant.SeverityWarning
	rs := ruleSet{intervals: 3, maintOn: true, maintWarn: 1.1}
	rs.r[slotOffline] = rule(crit, 0, 0, 0)
	rs.r[slotCriticalPurity] = value(true, crit, time.Minute, 82, 83)
	rs.r[slotNoFlow] = value(true, warn, 2*time.Minute, 0.1, 0.5)
	rs.r[slotOverload] = value(true, warn, 10*time.Minute, 110, 105)
	rs.r[slotDeviceFault] = rule(crit, 0, 0, 0)
	rs.r[slotPowerLoss] = rule(warn, 2*time.Minute, 0, 0)
	rs.r[slotClockSkew] = rule(warn, 0, 120, 60)
	switch kind {
	case plant.KindPSA:
		rs.r[slotLowPurity] = value(true, warn, 2*time.Minute, 90, 91)
		rs.r[slotLowPressure] = value(true, warn, 2*time.Minute, 3.5, 3.7)
		rs.r[slotHighPressure] = value(true, warn, 2*time.Minute, 7, 6.8)
	case plant.KindConcentrator:
		rs.r[slotLowPurity] = value(true, warn, 2*time.Minute, 85, 86)
		// Concentrator outlet pressure limits depend on the model: set them
		// per model in the rules file.
		rs.r[slotLowPressure] = value(false, warn, 2*time.Minute, 0.2, 0.25)
		rs.r[slotHighPressure] = value(false, warn, 2*time.Minute, 1, 0.9)
	default:
		rs.r[slotLowPurity] = value(false, warn, 2*time.Minute, 90, 91)
		rs.r[slotLowPressure] = value(false, warn, 2*time.Minute, 0, 0)
		rs.r[slotHighPressure] = value(false, warn, 2*time.Minute, 0, 0)
	}
	if kind == plant.KindPSA || kind == plant.KindConcentrator {
		rs.r[slotPurityDeclining] = compiledRule{on: true, sev: warn, level: 0.5, clear: 0.25, days: 7, steady: 10}
		rs.r[slotSensorStuck] = rule(warn, 0, 0, 0)
		rs.r[slotSensorStuck].forN = 10
		warm := map[plant.Kind]time.Duration{plant.KindPSA: 30 * time.Minute, plant.KindConcentrator: 10 * time.Minute}[kind]
		rs.r[slotCriticalPurity].warmUp = int64(warm)
		rs.r[slotLowPurity].warmUp = int64(warm)
	}
	rs.comps = slices.Clone(builtinMaintenance[kind])
	rs.alarms = maps.Clone(alarmCodes)
	return rs
}

// apply overlays the settings a rules file gives.
func (rs *ruleSet) apply(specs map[string]RuleSpec, maint map[string]Interval) {
	for name, s := range specs {
		if name == RuleMaintenanceDue {
			rs.applyMaintenance(s)
			continue
		}
		if sl, ok := slotByName(name); ok {
			rs.r[sl].apply(s)
			if sl == slotOffline && s.Intervals != nil {
				rs.intervals = *s.Intervals
			}
		}
	}
	for name, iv := range maint {
		rs.setComponent(name, iv)
	}
	rs.calendar = slices.ContainsFunc(rs.comps, func(c component) bool { return c.months > 0 || c.days > 0 })
}

func (rs *ruleSet) applyMaintenance(s RuleSpec) {
	if s.Enabled != nil {
		rs.maintOn = *s.Enabled
	}
	if s.Above != nil {
		rs.maintWarn = *s.Above / 100
	}
}

// applyAlarms overlays alarm codes' meanings.
func (rs *ruleSet) applyAlarms(alarms map[string]AlarmSpec) {
	for code, a := range alarms {
		rs.alarms[code] = alarmCode{rule: a.Rule, sev: plant.Severity(a.Severity), ignore: a.Ignore}
	}
}

// setComponent sets a component's interval; all zero removes it.
func (rs *ruleSet) setComponent(name string, iv Interval) {
	c := component{name: name, hours: iv.Hours, months: iv.Months, days: iv.Days}
	i := slices.IndexFunc(rs.comps, func(c component) bool { return c.name == name })
	switch {
	case i >= 0 && iv.zero():
		rs.comps = slices.Delete(rs.comps, i, i+1)
	case i >= 0:
		rs.comps[i] = c
	case !iv.zero():
		rs.comps = append(rs.comps, c)
	}
}

func (c *compiledRule) apply(s RuleSpec) {
	if s.Enabled != nil {
		c.on = *s.Enabled
	}
	if s.Severity != "" {
		c.sev = plant.Severity(s.Severity)
	}
	if s.For != nil {
		c.forNs = int64(*s.For)
	}
	margin := c.clear - c.level
	for _, lv := range []*float64{s.Below, s.Above} {
		if lv != nil {
			c.level = *lv
			c.clear = c.level + margin
		}
	}
	if s.Clear != nil {
		c.clear = *s.Clear
	}
	if s.Days != nil {
		c.days = *s.Days
	}
	if s.SteadyFlow != nil {
		c.steady = *s.SteadyFlow
	}
	if s.ForReadings != nil {
		c.forN = *s.ForReadings
	}
	if s.WarmUp != nil {
		c.warmUp = int64(*s.WarmUp)
	}
	if s.Readings != nil {
		c.forN = *s.Readings
	}
}

// compiler resolves and caches rule sets per kind, model, device, use and
// measurement point.
type compiler struct {
	rules Rules
	mu    sync.Mutex
	cache map[profile]*ruleSet
	byDev map[string]bool // devices with an override of their own
}

func newCompiler(r Rules) *compiler {
	c := &compiler{rules: r, cache: map[profile]*ruleSet{}, byDev: map[string]bool{}}
	for _, o := range r.Overrides {
		if o.Device != "" {
			c.byDev[o.Device] = true
		}
	}
	return c
}

// profile is what decides a device's rules; devices that share one share
// a rule set. device is set only for a device with an override of its own.
type profile struct {
	kind          plant.Kind
	model, device string
	use           plant.Use
	point         plant.Point
}

func (c *compiler) forDevice(d plant.Device) *ruleSet {
	key := profile{kind: d.Kind, model: d.Model, use: d.UseOrDefault(), point: d.PointOrDefault()}
	if c.byDev[string(d.ID)] {
		key.device = string(d.ID)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if rs, ok := c.cache[key]; ok {
		return rs
	}
	rs := c.compile(key)
	c.cache[key] = rs
	return rs
}

// compile resolves one profile's rules, the later winning: built-in kind
// defaults, the file's rules, its kind and then model overrides, the
// point's and use's threshold sets (thresholds.go), the device's override.
func (c *compiler) compile(p profile) *ruleSet {
	rs := builtin(p.kind)
	rs.apply(c.rules.Rules, c.rules.Maintenance[string(p.kind)])
	rs.applyAlarms(c.rules.Alarms)
	for i, pass := range []func(Override) bool{
		func(o Override) bool { return o.Kind != "" && o.Kind == string(p.kind) },
		func(o Override) bool { return o.Model != "" && o.Model == p.model },
		func(o Override) bool { return o.Device != "" && o.Device == p.device },
	} {
		if i == 2 {
			rs.applySets(p.kind, p.use, p.point, c.rules.Thresholds)
		}
		for _, o := range c.rules.Overrides {
			if pass(o) {
				rs.apply(o.Rules, o.Maintenance)
				rs.applyAlarms(o.Alarms)
			}
		}
	}
	return &rs
}

// facilitySpec is the facility_outage rule, which only the top-level rules
// section sets.
func (c *compiler) facilitySpec() (on bool, sev plant.Severity, minDevices int, forNs int64) {
	on, sev, minDevices, forNs = true, plant.SeverityCritical, 2, int64(30*time.Second)
	s, ok := c.rules.Rules[RuleFacilityOutage]
	if !ok {
		return on, sev, minDevices, forNs
	}
	if s.For != nil {
		forNs = int64(*s.For)
	}
	if s.Enabled != nil {
		on = *s.Enabled
	}
	if s.Severity != "" {
		sev = plant.Severity(s.Severity)
	}
	if s.MinDevices != nil {
		minDevices = *s.MinDevices
	}
	return on, sev, minDevices, forNs
}
