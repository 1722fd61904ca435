package alerting

import (
	"time"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// Limit is one value rule as it applies to a device: the built-in default
// with the rules file's settings and overrides (kind, then model), the
// threshold sets of the device's measurement point and use, and its device
// override laid over it (thresholds.go).
type Limit struct {
	Rule  string // critical_purity, low_purity, low_pressure, high_pressure, no_flow, overload
	Field string // the reading it looks at: purity_pct, pressure_bar, flow_lpm
	// Above: the rule fires above Level (and clears at or below Clear);
	// otherwise below it (clearing at or above Clear).
	Above bool
	// Level and Clear are in the field's unit, except overload's, which are
	// per cent of the device's rated flow.
	Level, Clear float64
	Unit         string // "%", "bar", "L/min" or "% of rated flow"
	Severity     plant.Severity
	For          time.Duration // how long the value must stay bad
	// ForReadings: this many bad readings in a row also fire it; 0: only
	// time does.
	ForReadings int
	WarmUp      time.Duration // purity rules: hold after the device starts running
}

// ServiceInterval is a component's service interval: running hours and, if
// set, calendar time (whichever comes first).
type ServiceInterval struct {
	Component string
	Hours     float64
	Months    int
	Days      int
}

// DeviceLimits is what the engine judges a device against: its value rules
// that are on and its service intervals.
type DeviceLimits struct {
	Device plant.DeviceID
	// Use and Point chose the threshold sets applied (the registry's, else
	// the defaults).
	Use    plant.Use
	Point  plant.Point
	Limits []Limit // in rule order; rules that are off are left out
	// OfflineIntervals is how many report intervals of silence make it
	// offline.
	OfflineIntervals float64
	// Maintenance is off when maintenance_due is disabled; MaintenanceWarn
	// is the share of an interval past which it warns (1.1: 110 %).
	Maintenance     bool
	MaintenanceWarn float64
	Service         []ServiceInterval
}

// limitFields says what each value rule reads and which way it fires.
var limitFields = [...]struct {
	s     slot
	field string
	unit  string
	above bool
}{
	{slotCriticalPurity, "purity_pct", "%", false},
	{slotLowPurity, "purity_pct", "%", false},
	{slotLowPressure, "pressure_bar", "bar", false},
	{slotHighPressure, "pressure_bar", "bar", true},
	{slotNoFlow, "flow_lpm", "L/min", false},
	{slotOverload, "flow_lpm", "% of rated flow", true},
}

// Limits describes the rules the engine applies to d, read from the same
// compiled rule set that evaluates its readings (so what a chart draws is
// what fires). It changes nothing. The device's report interval decides
// ForReadings when the rules leave it to the engine.
func (e *Engine) Limits(d plant.Device) DeviceLimits {
	rs := e.comp.forDevice(d)
	out := DeviceLimits{
		Device: d.ID, Use: d.UseOrDefault(), Point: d.PointOrDefault(), OfflineIntervals: rs.intervals,
		Maintenance: rs.maintOn, MaintenanceWarn: rs.maintWarn,
		Limits: []Limit{}, Service: make([]ServiceInterval, 0, len(rs.comps)),
	}
	interval := int64(d.ReportInterval())
	for _, f := range limitFields {
		c := &rs.r[f.s]
		if !c.on || (f.s == slotOverload && d.RatedFlowLPM <= 0) {
			continue // overload needs a rated flow to judge against
		}
		out.Limits = append(out.Limits, Limit{
			Rule: slotNames[f.s], Field: f.field, Above: f.above, Level: c.level, Clear: c.clear, Unit: f.unit,
			Severity: c.sev, For: time.Duration(c.forNs), ForReadings: c.forCount(interval), WarmUp: time.Duration(c.warmUp),
		})
	}
	for _, c := range rs.comps {
		out.Service = append(out.Service, ServiceInterval{Component: c.name, Hours: c.hours, Months: c.months, Days: c.days})
	}
	return out
}
