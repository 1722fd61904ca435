package sim

import (
	"math"
	"time"
)

// step advances the device to t. It returns the reading taken at t and the
// conditions in force; ok is false while the controller is down (rebooting,
// or a concentrator monitor with an empty battery).
func (d *Device) step(t time.Time) (r Reading, c cond, ok bool) {
	dt := t.Sub(d.last)
	if dt < 0 {
		dt = 0
	}
	d.last = t
	d.expire(t)
	c = d.conditions(t)
	power, powered := c.power()
	state := d.state(&c, powered, t)
	wasSilent := d.silent
	d.updateBattery(dt, powered || d.isLOX())
	flow := d.physics(t, dt, &c, state == "running")
	if wasSilent && !d.silent {
		d.seq = 0 // the controller booted again
	}
	if c.rebooting || d.silent {
		return Reading{}, c, false
	}
	if power == "none" && !d.isPSA() {
		power = "battery"
	}
	r = d.measure(t, &c, state, power, flow)
	return r, c, true
}

// expire ends faults whose time is up, undoing what they leave behind.
func (d *Device) expire(t time.Time) {
	kept := d.faults[:0]
	for _, a := range d.faults {
		if t.Before(a.until) {
			kept = append(kept, a)
			continue
		}
		switch a.Fault {
		case FaultReboot:
			d.seq = 0
			d.running = false
		case FaultClockDrift:
			d.offset = 0 // the clock resynchronises
		case FaultFilter:
			d.clog = 0 // the filter is replaced
		case FaultSensorStuck:
			d.stuck = 0
		}
	}
	clear(d.faults[len(kept):])
	d.faults = kept
}

// measure builds the reading the firmware reports, with sensor noise.
func (d *Device) measure(t time.Time, c *cond, state, power string, flow float64) Reading {
	r := Reading{TS: t.Add(d.offset).Truncate(time.Millisecond), Seq: d.seq, State: state, Power: power}
	d.seq++
	r.setPurity(d.sensePurity(c))
	r.setFlow(flow * (1 + 0.01*d.rng.NormFloat64()))
	r.setPressure(d.pressure + params[d.Kind].pressSet*0.004*d.rng.NormFloat64())
	r.setRSSI(math.Round(d.rssi))
	switch d.Kind {
	case KindLOXTank:
		d.tankBar = clamp(approach(d.tankBar, 10+math.Sin(float64(t.Unix())/43200), time.Minute, time.Hour), 2, 18)
		r.setTankBar(d.tankBar + 0.05*d.rng.NormFloat64())
	default:
		d.measureMachine(&r, c, power)
	}
	r.Alarms = d.alarms(t, c, &r)
	return r
}

func (d *Device) measureMachine(r *Reading, c *cond, power string) {
	r.setRuntime(d.runtimeH)
	r.setTemp(d.temp + 0.2*d.rng.NormFloat64())
	r.setSupplyV(d.supplyV(power))
	if d.isPSA() {
		r.setDewPoint(d.dew + 0.3*d.rng.NormFloat64())
		if d.Booster {
			r.setCylinders(d.cylinders)
		}
	}
	if d.isConc() {
		r.setBattery(d.battery)
	}
}

func (d *Device) supplyV(power string) float64 {
	nominal := params[d.Kind].supplyV
	switch power {
	case "mains":
		return nominal * (1 + 0.015*d.rng.NormFloat64())
	case "generator":
		return nominal * (1 + 0.06*d.rng.NormFloat64()) // poor regulation
	}
	return 0
}

func (d *Device) sensePurity(c *cond) float64 {
	if c.stuck {
		if d.stuck == 0 {
			d.stuck = math.Round(d.purity*10) / 10
		}
		return d.stuck
	}
	sd := 0.12
	if c.noisy {
		sd = 2.5
	}
	if d.isLOX() {
		return clamp(99.5+0.05*d.rng.NormFloat64(), 0, 100)
	}
	return clamp(d.purity+sd*d.rng.NormFloat64(), 0, 100)
}

// alarms are the codes the controller raises itself.
func (d *Device) alarms(t time.Time, c *cond, r *Reading) []string {
	var a []string
	if c.compressorFault {
		a = append(a, "compressor_fault")
	}
	if c.dryerFault && d.isPSA() {
		a = append(a, "dryer_fault")
	}
	p := params[d.Kind]
	if p.hotAlarm > 0 && d.temp > p.hotAlarm {
		a = append(a, "high_temp")
	}
	if purity, _ := r.Purity(); r.State == "running" && !d.isLOX() && t.Sub(d.since) > p.warmUp && purity < p.puritySpec {
		a = append(a, "low_purity")
	}
	return append(a, c.codes...)
}
