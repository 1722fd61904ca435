package sim

import (
	"math"
	"time"
)

// kindParams are the figures that differ between equipment kinds.
type kindParams struct {
	warmTau, decayTau time.Duration // purity rise when running, fall when stopped
	pressTauOff       time.Duration // outlet pressure bleeding off when stopped
	pressSet          float64       // outlet pressure at no load, bar
	pressLoad         float64       // drop at rated flow, bar
	pressClog         float64       // drop with a fully clogged filter, bar
	tempRise          float64       // compressor temperature above ambient when running
	hotAlarm          float64       // high_temp above this, °C
	puritySpec        float64       // low_purity alarm below this once warm
	warmUp            time.Duration // no low_purity alarm during warm-up
	supplyV           float64
}

var params = map[string]kindParams{
	KindPSA: {warmTau: 8 * time.Minute, decayTau: 40 * time.Minute, pressTauOff: 10 * time.Minute,
		pressSet: 5.3, pressLoad: 0.6, pressClog: 2.4, tempRise: 18, hotAlarm: 55,
		puritySpec: 90, warmUp: 30 * time.Minute, supplyV: 400},
	KindConcentrator: {warmTau: 3 * time.Minute, decayTau: 3 * time.Minute, pressTauOff: 20 * time.Second,
		pressSet: 0.6, pressLoad: 0.12, pressClog: 0.3, tempRise: 12, hotAlarm: 50,
		puritySpec: 85, warmUp: 10 * time.Minute, supplyV: 230},
	KindLOXTank: {pressSet: 4.5, pressLoad: 0.2, supplyV: 230},
}

// physics advances the equipment by dt under c and returns the outlet flow.
func (d *Device) physics(t time.Time, dt time.Duration, c *cond, running bool) float64 {
	p := params[d.Kind]
	if d.running {
		d.runtimeH += dt.Hours() // the unit ran through the interval just ended
		d.sieveLoss = math.Min(d.sieveLoss+c.sieveRate*dt.Hours(), 70)
	}
	if running && !d.running {
		d.since = t
	}
	d.running = running
	d.clog = math.Max(d.clog, c.clogTarget)
	flow := 0.0
	if running {
		flow = d.demand(t, dt, c) * (1 - 0.3*d.clog)
		flow += d.fillCylinders(t, dt)
	}
	x := flow / math.Max(d.RatedFlowLPM, 0.1)
	d.updatePurity(dt, c, p, running, x)
	d.updatePressure(dt, p, running, x)
	d.updateTemp(t, dt, p, running)
	d.dew = approach(d.dew, c.dewTarget, dt, 3*time.Hour)
	d.rssi = clamp(approach(d.rssi, -75, dt, 6*time.Hour)+d.rng.NormFloat64()*1.5, -113, -51)
	return flow
}

func (d *Device) updatePurity(dt time.Duration, c *cond, p kindParams, running bool, x float64) {
	if !running {
		d.purity = approach(d.purity, 20.9, dt, p.decayTau)
		return
	}
	target := steadyPurity(d.pmax, x) - d.sieveLoss
	if c.dryerFault {
		target -= 1.5
	}
	if c.purityCap > 0 {
		target = math.Min(target, c.purityCap)
	}
	target = clamp(target, 20.9, 96)
	tau := p.warmTau
	if target < d.purity {
		tau /= 3 // a failing valve or wet bed shows within minutes
	}
	d.purity = approach(d.purity, target, dt, tau)
}

func (d *Device) updatePressure(dt time.Duration, p kindParams, running bool, x float64) {
	if !running {
		d.pressure = approach(d.pressure, 0, dt, p.pressTauOff)
		return
	}
	target := p.pressSet - p.pressLoad*x*x - p.pressClog*d.clog
	d.pressure = approach(d.pressure, math.Max(target, 0.05), dt, 30*time.Second)
}

func (d *Device) updateTemp(t time.Time, dt time.Duration, p kindParams, running bool) {
	target := d.ambient(t)
	if running {
		target += p.tempRise + 25*d.clog
	}
	d.temp = approach(d.temp, target, dt, 15*time.Minute)
}

// fillCylinders runs the booster of a PSA plant in the day shift while the
// product is within spec, and returns the flow it draws.
func (d *Device) fillCylinders(t time.Time, dt time.Duration) float64 {
	h := localHour(t)
	if !d.Booster || h < 7 || h >= 19 || d.purity < 90 {
		return 0
	}
	lpm := 0.3 * d.RatedFlowLPM
	d.cylinders += lpm * dt.Minutes() / 6800 // one large cylinder holds about 6,800 L
	return lpm
}

// updateBattery charges the controller's battery on power and drains it in
// about six hours without; the monitor goes silent when it is empty.
func (d *Device) updateBattery(dt time.Duration, powered bool) {
	if powered {
		d.battery = math.Min(d.battery+20*dt.Hours(), 100)
		d.silent = false
		return
	}
	d.battery = math.Max(d.battery-100.0/6*dt.Hours(), 0)
	if d.battery == 0 {
		d.silent = true
	}
}
