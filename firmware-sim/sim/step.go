package sim

import (
	"math"
	"time"
)

// cond is what the active faults impose on a device at one instant.
type cond struct {
	mains, generator   bool
	compressorFault    bool
	dryerFault         bool
	codes              []string
	maintenance        bool
	overload           float64 // demand as a fraction of rated flow; 0: normal
	purityCap          float64 // 0: none
	stuck, noisy       bool
	offline, rebooting bool
	malformed          bool
	sieveRate          float64 // purity points lost per hour of running
	dewTarget          float64
	clogTarget         float64
}

func (d *Device) conditions(t time.Time) cond {
	c := cond{mains: true, dewTarget: -40}
	for _, a := range d.faults {
		d.applyFault(&c, a, t)
	}
	return c
}

func (d *Device) applyFault(c *cond, a *active, t time.Time) {
	switch a.Fault {
	case FaultOutage:
		c.mains = false
		c.generator = a.Generator && t.Sub(a.from) >= 45*time.Second
	case FaultCompressor:
		c.compressorFault = true
	case FaultDryer:
		c.dryerFault = true
		c.dewTarget = math.Max(c.dewTarget, 5)
		c.sieveRate += 0.5 / 24
	case FaultFilter:
		c.clogTarget = math.Max(c.clogTarget, valueOr(a.Value, 0.9)*a.progress(t))
	case FaultSieve:
		hours := a.until.Sub(a.from).Hours()
		c.sieveRate += valueOr(a.Value, 15) / math.Max(hours, 1)
		c.dewTarget = math.Max(c.dewTarget, -40+30*a.progress(t))
	case FaultPurity:
		c.purityCap = valueOr(a.Value, 78)
	case FaultOverload:
		c.overload = math.Max(c.overload, valueOr(a.Value, 1.3))
	case FaultSensorStuck:
		c.stuck = true
	case FaultSensorNoisy:
		c.noisy = true
	case FaultReboot:
		c.rebooting = true
	case FaultClockDrift:
		d.offset = -time.Duration(valueOr(a.Value, 240) * a.progress(t) * float64(time.Second))
	case FaultCode:
		c.codes = append(c.codes, a.Code)
	case FaultOffline:
		c.offline = true
	case FaultMaintenance:
		c.maintenance = true
	case FaultMalformed:
		c.malformed = true
	}
}

func valueOr(v, def float64) float64 {
	if v == 0 {
		return def
	}
	return v
}

// powered reports whether the equipment has power, and from what.
func (c *cond) power() (string, bool) {
	switch {
	case c.mains:
		return "mains", true
	case c.generator:
		return "generator", true
	}
	return "none", false
}

// state is the operating state the controller reports.
func (d *Device) state(c *cond, powered bool, t time.Time) string {
	switch {
	case d.isLOX():
		return "running" // a tank needs no power to deliver
	case !powered:
		return "off"
	case len(c.codes) > 0 || c.compressorFault:
		return "fault"
	case c.maintenance:
		return "maintenance"
	case d.isConc() && !d.hasPatient(t):
		return "standby"
	}
	return "running"
}

// hasPatient runs the bedside demand of a concentrator: a patient on it or
// not, at a flow setting, changing every few hours.
func (d *Device) hasPatient(t time.Time) bool {
	if !t.Before(d.nextPatient) {
		p := 0.45 + 0.4*dayShape(t)
		d.patient = d.rng.Float64() < p
		settings := []float64{1, 2, 2, 3, 4, 5}
		d.setting = settings[d.rng.IntN(len(settings))] * math.Max(d.RatedFlowLPM, 5) / 5
		d.nextPatient = t.Add(time.Hour + time.Duration(d.rng.Float64()*5*float64(time.Hour)))
	}
	return d.patient
}

// demand is the flow drawn from a running unit, L/min.
func (d *Device) demand(t time.Time, dt time.Duration, c *cond) float64 {
	tau := 2 * time.Hour
	k := math.Min(float64(dt)/float64(tau), 1)
	d.walk += -d.walk*k + 0.08*math.Sqrt(k)*d.rng.NormFloat64()
	var f float64
	switch {
	case d.isConc():
		f = d.setting * (1 + 0.2*d.walk)
	default:
		f = d.RatedFlowLPM * d.load * dayShape(t) * (1 + d.walk)
	}
	if c.overload > 0 {
		f = math.Max(f, c.overload*d.RatedFlowLPM*(1+0.2*d.walk))
	}
	return clamp(f, 0, 2*d.RatedFlowLPM)
}
