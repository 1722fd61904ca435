// Package score runs firmware-sim scenarios through the real alerting engine
// on a simulated clock and compares every alert with the simulator's ground
// truth: per fault kind, the faults that should alert and did (on time or
// late), the latency from the first reading that showed the fault, when the
// alert resolved, and every alert that matches no fault.
//
// A run is deterministic for a seed: the simulator runs without a real-time
// clock, every payload goes through ingest's decoder and fleet state (which
// reading is live) straight into the engine, whose clock is the simulated
// time of the device being woken.
package score

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/oxywatch/oxywatch/alerting"
	"github.com/oxywatch/oxywatch/firmware-sim/sim"
	"github.com/oxywatch/oxywatch/ingest"
	"github.com/oxywatch/oxywatch/internal/plant"
	"github.com/oxywatch/oxywatch/internal/store"
)

// Suite is one scored run: a fleet, timed faults and a duration.
type Suite struct {
	Name               string
	Fleet              []sim.Spec
	Events             []sim.Event
	RandomFaultsPerDay float64
	DropsPerDay        float64
	Duration           time.Duration
	Seed               uint64
	Rules              alerting.Rules
	// Uses and Points are the registry's use and measurement point of
	// devices (by id) that do not take the defaults.
	Uses   map[string]plant.Use
	Points map[string]plant.Point
}

// Start is the simulated start of every suite: a Monday at 06:00 UTC.
var Start = time.Date(2026, 3, 2, 6, 0, 0, 0, time.UTC)

// Run scores one suite; dir holds its SQLite file.
func Run(ctx context.Context, s Suite, dir string) (*Result, error) {
	db, err := store.OpenSQLiteFile(filepath.Join(dir, s.Name+".db"))
	if err != nil {
		return nil, err
	}
	defer db.Close()
	sc := newScorer(s)
	eng, err := alerting.New(ctx, alerting.Options{
		DB: db, Registerer: prometheus.NewRegistry(), Rules: s.Rules, Now: sc.now,
		Lookup: sc.lookup, Devices: sc.devices, Seed: s.Seed + 1,
	})
	if err != nil {
		return nil, err
	}
	sc.eng = eng
	until := Start.Add(s.Duration)
	sm, err := sim.New(sim.Config{
		Fleet: s.Fleet, Seed: s.Seed, Start: Start, Until: until, Publisher: &sim.Recorder{OnMessage: sc.message},
		Events: s.Events, RandomFaultsPerDay: s.RandomFaultsPerDay, DropsPerDay: s.DropsPerDay,
		OnInject: sc.inject, OnStep: sc.step,
	})
	if err != nil {
		return nil, err
	}
	for _, d := range s.Fleet {
		eng.Track(plant.DeviceID(d.ID))
	}
	if err := sm.Run(ctx); err != nil {
		return nil, err
	}
	sc.step(until)
	if err := eng.Sync(ctx); err != nil {
		return nil, err
	}
	alerts, err := eng.Alerts(ctx, alerting.AlertFilter{})
	if err != nil {
		return nil, err
	}
	return sc.result(alerts, until), nil
}

// scorer is the in-process path from simulator to engine, and the record of
// what the readings showed while each fault was in force.
type scorer struct {
	suite  Suite
	specs  map[plant.DeviceID]sim.Spec
	eng    *alerting.Engine
	fleet  *ingest.Fleet
	t      time.Time
	ticked time.Time
	synced time.Time
	faults []*fault
	byDev  map[string][]*fault
	high   map[plant.DeviceID][]time.Time // live readings above 110 % of rated flow
}

// fault is one injection and what the readings showed of it.
type fault struct {
	sim.Injection
	spec  sim.Spec
	exp   expectation
	use   plant.Use // the device's use in the registry
	onset time.Time // first live reading that showed it; zero: never shown
	prev  *float64  // sensor_stuck: the previous purity reading
	low   float64   // the lowest purity a running live reading showed while it was in force
}

func newScorer(s Suite) *scorer {
	sc := &scorer{suite: s, specs: map[plant.DeviceID]sim.Spec{}, fleet: ingest.NewFleet(),
		t: Start, byDev: map[string][]*fault{}, high: map[plant.DeviceID][]time.Time{}}
	for _, d := range s.Fleet {
		sc.specs[plant.DeviceID(d.ID)] = d
	}
	return sc
}

func (sc *scorer) now() time.Time { return sc.t }

func (sc *scorer) lookup(id plant.DeviceID) (plant.Device, bool) {
	sp, ok := sc.specs[id]
	if !ok {
		return plant.Device{}, false
	}
	return sc.deviceOf(sp), true
}

func (sc *scorer) devices() []plant.Device {
	out := make([]plant.Device, 0, len(sc.suite.Fleet))
	for _, sp := range sc.suite.Fleet {
		out = append(out, sc.deviceOf(sp))
	}
	return out
}

func (sc *scorer) deviceOf(sp sim.Spec) plant.Device {
	d := plant.Device{ID: plant.DeviceID(sp.ID), Kind: plant.Kind(sp.Kind), Model: sp.Model,
		Facility: sp.Facility, Region: sp.Region, Country: sp.Country, RatedFlowLPM: sp.RatedFlowLPM,
		ReportIntervalS: int(sp.ReportInterval / time.Second)}
	d.Use, d.MeasurementPoint = sc.suite.Uses[sp.ID], sc.suite.Points[sp.ID]
	return d
}

// step moves the engine's clock to simulated time t and runs its timers.
func (sc *scorer) step(t time.Time) {
	if t.Before(sc.t) {
		return
	}
	sc.t = t
	if t.Sub(sc.ticked) >= time.Second {
		sc.ticked = t
		sc.eng.Tick()
	}
	if t.Sub(sc.synced) >= time.Hour {
		sc.synced = t
		_ = sc.eng.Sync(context.Background()) // keeps the write queue short; Run syncs at the end
	}
}

func (sc *scorer) inject(in sim.Injection) {
	if in.Chronic {
		in.Until = in.From.Add(100 * 365 * 24 * time.Hour)
	}
	sp := sc.specs[plant.DeviceID(in.Device)]
	dev := sc.deviceOf(sp)
	f := &fault{Injection: in, spec: sp, use: dev.UseOrDefault(), exp: expectationOf(in, sp.Kind, dev.UseOrDefault()), low: math.Inf(1)}
	sc.faults = append(sc.faults, f)
	sc.byDev[in.Device] = append(sc.byDev[in.Device], f)
}

// message hands one payload to the engine as ingest would.
func (sc *scorer) message(m sim.Message) {
	id := plant.DeviceID(m.Device)
	if m.Status {
		st, rej := ingest.DecodeStatus(m.Payload)
		if rej != nil {
			return
		}
		msg := plant.StatusMessage{Device: id, State: st, Received: sc.t}
		sc.fleet.Status(msg)
		sc.eng.ObserveStatus(msg)
		return
	}
	dec := ingest.DecodeTelemetry(id, m.Payload, sc.t)
	for i := range dec.Readings {
		r := dec.Readings[i]
		live := sc.fleet.Reading(&r, sc.t)
		if live && !dec.Backlog {
			sc.evidence(r)
			sc.demand(r)
		}
		sc.eng.ObserveReading(r, live)
	}
}

// evidence notes the first live reading that shows each fault in force.
func (sc *scorer) evidence(r plant.Reading) {
	for _, f := range sc.byDev[string(r.Device)] {
		if !sc.t.Before(f.From) && !sc.t.After(f.Until) && running(&r) && r.Purity != nil {
			f.low = min(f.low, *r.Purity)
		}
		if !f.onset.IsZero() || sc.t.Before(f.From) || sc.t.After(f.Until) || f.exp.shows == nil {
			continue
		}
		if f.exp.shows(f, &r, sc.t) {
			f.onset = sc.t
		}
	}
}

// demand notes readings of a plant running above 110 % of its rated flow:
// the simulator's demand wanders, and a plant near capacity overloads
// without any fault injected.
func (sc *scorer) demand(r plant.Reading) {
	rated := sc.specs[r.Device].RatedFlowLPM
	if rated > 0 && r.State == plant.StateRunning && r.Flow != nil && *r.Flow > 1.1*rated {
		sc.high[r.Device] = append(sc.high[r.Device], sc.t)
	}
}

// overDemand reports whether the device ran above 110 % of rated flow in
// the 20 minutes before t.
func (sc *scorer) overDemand(id plant.DeviceID, t time.Time) bool {
	for _, h := range sc.high[id] {
		if !h.After(t) && t.Sub(h) <= 20*time.Minute {
			return true
		}
	}
	return false
}

func (sc *scorer) result(alerts []plant.Alert, end time.Time) *Result {
	res := &Result{Suite: sc.suite.Name, Devices: len(sc.suite.Fleet), Duration: sc.suite.Duration}
	res.match(sc.faults, alerts, end, sc.overDemand)
	return res
}

func (f *fault) String() string {
	return fmt.Sprintf("%s on %s at +%s", f.kind(), f.Device, f.From.Sub(Start))
}

// kind is the fault's row in the table.
func (f *fault) kind() string {
	if f.Chronic {
		return "chronic " + string(f.Fault)
	}
	return string(f.Fault)
}
