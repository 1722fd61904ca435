package sim

import (
	"math"
	"math/rand/v2"
	"time"
)

// Equipment kinds the simulator models.
const (
	KindPSA          = "psa"
	KindConcentrator = "concentrator"
	KindLOXTank      = "lox_tank"
)

// Spec is a device as the inventory describes it.
type Spec struct {
	ID             string
	Kind           string
	Model          string
	Facility       string
	Region         string
	Country        string
	RatedFlowLPM   float64
	ReportInterval time.Duration
	Password       string // MQTT password; empty: the fleet default
	Booster        bool   // PSA with a booster compressor filling cylinders
	Generator      bool   // the facility has a standby generator
	NoRTC          bool   // no real-time clock: live readings carry no ts at real speed
	// ClockError is how far the device's clock is behind the true time
	// (negative: ahead), for as long as it runs: a clock set wrong and
	// never synchronised. A clock_drift fault adds to it.
	ClockError time.Duration
	// Load is the share of its rated flow a PSA plant's demand runs at
	// (before the hour of the day and the booster); 0: drawn at random
	// (0.6 to 0.95, one plant in seven above 1).
	Load float64
}

// Device is one simulated device: its firmware state and the physics of the
// equipment behind it. Only the simulation goroutine touches it.
type Device struct {
	Spec
	idx int
	rng *rand.Rand

	seq     int64
	last    time.Time // time of the last step
	running bool
	since   time.Time // start of the current run

	purity, pressure, temp, dew  float64
	runtimeH, cylinders, battery float64
	tankBar, rssi                float64
	sieveLoss, clog              float64
	walk, load, pmax, ambientOff float64

	patient     bool
	setting     float64
	nextPatient time.Time
	silent      bool // the controller has no power at all: no readings
	stuck       float64
	offset      time.Duration
	malformN    int
	linkDown    bool // the link was dropped on purpose (offline, reboot, no power)

	backlog    *Backlog
	faults     []*active
	nextRandom time.Time
	nextDrop   time.Time
}

// newDevice sets a device to its state at start: running a while already,
// with a runtime and wear that differ between devices.
func newDevice(spec Spec, idx int, seed uint64, start time.Time) *Device {
	rng := rand.New(rand.NewPCG(seed, uint64(idx)+1))
	d := &Device{Spec: spec, idx: idx, rng: rng, last: start, offset: -spec.ClockError}
	if d.ReportInterval <= 0 {
		d.ReportInterval = time.Minute
	}
	d.runtimeH = 200 + rng.Float64()*15000
	d.pmax = 94 + rng.Float64()*1.5
	d.load = 0.6 + rng.Float64()*0.35
	if rng.Float64() < 0.15 {
		d.load = 1.0 + rng.Float64()*0.15 // an overloaded plant
	}
	if spec.Load > 0 {
		d.load = spec.Load
	}
	d.ambientOff = rng.NormFloat64() * 2
	d.battery, d.tankBar, d.rssi = 100, 10, -75+rng.NormFloat64()*8
	d.dew = -40 + rng.NormFloat64()
	d.temp = d.ambient(start)
	d.cylinders = math.Floor(rng.Float64() * 3000)
	d.nextPatient = start
	// Warm: running for a day already, at the purity and pressure of its load.
	p := params[spec.Kind]
	d.running, d.since = true, start.Add(-24*time.Hour)
	d.purity = steadyPurity(d.pmax, d.load*0.8)
	d.pressure = p.pressSet - p.pressLoad*d.load*d.load*0.64
	d.temp += p.tempRise
	return d
}

// DeviceID returns the device id.
func (d *Device) DeviceID() string { return d.ID }

func (d *Device) isPSA() bool  { return d.Kind == KindPSA }
func (d *Device) isConc() bool { return d.Kind == KindConcentrator }
func (d *Device) isLOX() bool  { return d.Kind == KindLOXTank }

// localHour is the hour of day at the facility (the fleets modelled sit
// around UTC+2).
func localHour(t time.Time) float64 {
	u := t.UTC()
	h := float64(u.Hour()) + float64(u.Minute())/60 + 2
	return math.Mod(h, 24)
}

// dayShape is hospital oxygen demand over a day: 0.6 at night, 1.0 early
// afternoon.
func dayShape(t time.Time) float64 {
	x := (localHour(t) - 13) / 5
	return 0.6 + 0.4*math.Exp(-x*x)
}

func (d *Device) ambient(t time.Time) float64 {
	return 24 + d.ambientOff + 6*math.Sin(2*math.Pi*(localHour(t)-9)/24)
}

// approach moves x toward target with time constant tau over dt.
func approach(x, target float64, dt, tau time.Duration) float64 {
	if tau <= 0 {
		return target
	}
	return x + (target-x)*(1-math.Exp(-float64(dt)/float64(tau)))
}

// steadyPurity is the purity a healthy unit reaches at load x (flow over
// rated flow): flat below 80 %, falling fast past rated capacity.
func steadyPurity(pmax, x float64) float64 {
	if x <= 0.8 {
		return pmax - 0.6*x
	}
	return pmax - 0.48 - 45*(x-0.8)*(x-0.8)
}
