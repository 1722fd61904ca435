// Package sim is the core of firmware-sim: device models, faults, backlogs
// and the scheduler that wakes devices in simulated time. It knows nothing of
// MQTT: readings leave through the Publisher interface (package mqttpub
// publishes to a broker, Recorder keeps them in memory).
//
// A run without a Clock goes as fast as the links take readings, which is
// how a Go test drives the real pipeline through weeks of simulated time.
// The ground truth of what was injected, where and when, comes from
// Sim.Injections (or Config.OnInject as it happens).
//
// A typical use, from a Go test or another program:
//
//	pub, err := mqttpub.New(mqttpub.Options{Broker: "tcp://127.0.0.1:1883"})
//	s, err := sim.New(sim.Config{
//		Fleet:     sim.GenerateFleet(40, 0, 1, time.Minute),
//		Seed:      1,
//		Start:     time.Now().Add(-30 * 24 * time.Hour),
//		Until:     time.Now(),
//		Publisher: pub,
//		Events:    sc.Events, // from scenario.Load("sieve-wear-30d")
//	})
//	err = s.Run(ctx)   // 30 simulated days, as fast as the broker takes them
//	err = s.Flush(ctx) // every backlog handed over and acknowledged
//	s.Close()          // devices say offline
//	truth := s.Injections() // what was injected, on which device, when
package sim

import (
	"container/heap"
	"context"
	"fmt"
	"log/slog"
	"math"
	"path"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Config describes one simulation run.
type Config struct {
	Fleet []Spec
	Seed  uint64
	Start time.Time // simulated start
	Until time.Time // simulated end; zero: until the context ends (needs a Clock)
	// Clock paces the run in real time. Without one the run goes as fast as
	// the links take readings: it waits for each device's connection and
	// never drops a reading for speed (an unreachable broker holds it until
	// ctx ends). Such a run needs Until, and Until not in the future: the
	// server rejects readings more than 5 minutes ahead of its clock. Its
	// drop-outs last microseconds of real time, too short for some brokers
	// to publish the last will: pace the run when wills matter.
	Clock     *Clock
	Publisher Publisher
	Events    []Event
	// RandomFaultsPerDay and DropsPerDay are per device and simulated day.
	RandomFaultsPerDay float64
	DropsPerDay        float64
	BacklogCap         int // readings a device keeps while offline; default 20,000
	// LiveTS: live readings always carry ts. Otherwise devices without a
	// real-time clock leave it out, but only in a run paced at real speed
	// (Clock with Speed 1): in any other run the receive time would be wrong.
	LiveTS bool
	Stamp  bool             // add sim_sent_ns, real Unix ns at production, for latency
	Now    func() time.Time // real clock for Stamp; nil: time.Now
	Log    *slog.Logger     // nil: discard
	// OnInject, when set, is called (on the simulation goroutine) for every
	// fault as it starts, scheduled or random.
	OnInject func(Injection)
	// OnStep, when set, is called (on the simulation goroutine) with the
	// simulated time before each device wakes at it: an in-process consumer
	// such as the scorer keeps its clock in simulated time with it.
	OnStep func(t time.Time)
}

// Injection is one fault as it was applied to one device: the ground truth
// a test compares reports and alerts with. From and Until are simulated
// times; Until is when the fault was due to end (a run may stop earlier).
// Random GSM drop-outs are offline injections too. Consequences are not
// listed separately: a concentrator whose battery runs out in a long outage
// falls silent within the outage's span.
type Injection struct {
	Device    string    `json:"device"`
	Facility  string    `json:"facility,omitempty"`
	Fault     Fault     `json:"fault"`
	From      time.Time `json:"from"`
	Until     time.Time `json:"until"`
	Random    bool      `json:"random,omitempty"` // drawn at random, not from the scenario
	Value     float64   `json:"value,omitempty"`
	Code      string    `json:"code,omitempty"`
	Generator bool      `json:"generator,omitempty"` // outage: a generator takes over after 45 s
	// Chronic marks a condition the device has from the start rather than a
	// fault injected: a plant whose demand exceeds its rated flow (overload,
	// Value the demand over rated flow at the day's peak), a clock set wrong
	// (clock_drift, Value seconds behind). Until is zero.
	Chronic bool `json:"chronic,omitempty"`
}

// Stats are counters safe to read from any goroutine.
type Stats struct {
	Readings  atomic.Int64 // readings taken
	Sent      atomic.Int64 // readings handed to links, live or in backlogs
	Backlogs  atomic.Int64 // backlog payloads handed to links
	Queued    atomic.Int64 // readings waiting in backlogs
	Dropped   atomic.Int64 // readings lost to full backlogs
	Malformed atomic.Int64 // malformed payloads sent on purpose
	SimNanos  atomic.Int64 // simulated time reached, Unix ns
}

// Sim runs a fleet. Run it from one goroutine.
type Sim struct {
	cfg     Config
	devices []*Device
	links   []Link
	wakes   wakeHeap
	events  []Event
	next    int // next event to apply
	Stats   Stats

	mu       sync.Mutex
	injected []Injection
}

// New builds a simulation. It fails on an empty fleet or duplicate ids.
func New(cfg Config) (*Sim, error) {
	if len(cfg.Fleet) == 0 {
		return nil, fmt.Errorf("empty fleet")
	}
	if cfg.Publisher == nil {
		return nil, fmt.Errorf("no publisher")
	}
	if cfg.Clock == nil && cfg.Until.IsZero() {
		return nil, fmt.Errorf("a run without a clock needs an end (Until)")
	}
	if cfg.Start.IsZero() {
		return nil, fmt.Errorf("no start time")
	}
	if cfg.Clock == nil || cfg.Clock.Speed != 1 {
		cfg.LiveTS = true
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.BacklogCap <= 0 {
		cfg.BacklogCap = 20000
	}
	s := &Sim{cfg: cfg, events: slices.Clone(cfg.Events)}
	defer s.chronic()
	slices.SortStableFunc(s.events, func(a, b Event) int { return cmpDuration(a.At, b.At) })
	seen := map[string]bool{}
	for i, spec := range cfg.Fleet {
		if seen[spec.ID] {
			return nil, fmt.Errorf("duplicate device id %q", spec.ID)
		}
		seen[spec.ID] = true
		s.addDevice(spec, i)
	}
	heap.Init(&s.wakes)
	return s, nil
}

func cmpDuration(a, b time.Duration) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (s *Sim) addDevice(spec Spec, i int) {
	d := newDevice(spec, i, s.cfg.Seed, s.cfg.Start)
	d.backlog = NewBacklog(s.cfg.BacklogCap)
	d.nextRandom = d.drawNext(s.cfg.Start, s.cfg.RandomFaultsPerDay)
	d.nextDrop = d.drawNext(s.cfg.Start, s.cfg.DropsPerDay)
	s.devices = append(s.devices, d)
	s.links = append(s.links, s.cfg.Publisher.Link(spec))
	first := s.cfg.Start.Add(time.Duration(d.rng.Float64() * float64(d.ReportInterval)))
	s.wakes = append(s.wakes, wake{at: first, idx: i})
}

// Connect connects every device and waits until all are connected, or
// ctx ends: then it says how many are not. Run connects them anyway; calling
// Connect first keeps the first readings out of backlogs and lets a paced
// run start its clock once the fleet is online.
func (s *Sim) Connect(ctx context.Context) error {
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		down := 0
		for _, l := range s.links {
			if !l.Connected() {
				l.Connect()
				down++
			}
		}
		if down == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d of %d devices not connected: %w", down, len(s.links), ctx.Err())
		case <-tick.C:
		}
	}
}

// Devices returns the simulated devices, in fleet order.
func (s *Sim) Devices() []*Device { return s.devices }

// Run wakes devices in time order until cfg.Until or until ctx ends. It
// returns nil in both cases; links stay open (call Close).
func (s *Sim) Run(ctx context.Context) error {
	for _, l := range s.links {
		l.Connect()
	}
	for s.wakes.Len() > 0 {
		w := s.wakes[0]
		if !s.cfg.Until.IsZero() && w.at.After(s.cfg.Until) {
			return nil
		}
		if s.cfg.Clock != nil && s.cfg.Clock.Wait(ctx, w.at) != nil {
			return nil
		}
		if ctx.Err() != nil {
			return nil
		}
		if s.cfg.OnStep != nil {
			s.cfg.OnStep(w.at)
		}
		s.applyEvents(w.at)
		s.wake(w.idx, w.at)
		if s.cfg.Clock == nil {
			s.keepUp(ctx, w.idx)
		}
		s.Stats.SimNanos.Store(w.at.UnixNano())
		s.wakes[0].at = w.at.Add(s.devices[w.idx].jitter())
		heap.Fix(&s.wakes, 0)
	}
	return nil
}

// keepUp, in a run without a clock, holds the simulation back while a
// device's link is behind: still connecting, or with a backlog that grew
// only because the broker takes readings slower than they are made. So a
// fast run loses nothing to speed, and its connections (online, last will)
// follow simulated time. A link down on purpose (offline fault, no power)
// does not hold it back.
func (s *Sim) keepUp(ctx context.Context, i int) {
	d, link := s.devices[i], s.links[i]
	var t *time.Timer
	for !d.linkDown && ctx.Err() == nil {
		if !link.Connected() {
			link.Connect()
		} else if s.flushDevice(d, link); d.backlog.Len() < MaxBacklogReadings {
			return
		}
		if t == nil {
			t = time.NewTimer(time.Millisecond)
			defer t.Stop()
		} else {
			t.Reset(time.Millisecond)
		}
		select {
		case <-ctx.Done():
		case <-t.C:
		}
	}
}

// jitter is the time to the next report: the interval ± 0.5 %.
func (d *Device) jitter() time.Duration {
	iv := float64(d.ReportInterval)
	return time.Duration(iv * (1 + 0.01*(d.rng.Float64()-0.5)))
}

// Close says goodbye on every link (offline, retained) in parallel.
func (s *Sim) Close() {
	var wg sync.WaitGroup
	for _, l := range s.links {
		wg.Go(l.Close)
	}
	wg.Wait()
}

// drawNext draws the time of the next random event at rate per day.
func (d *Device) drawNext(t time.Time, perDay float64) time.Time {
	if perDay <= 0 {
		return time.Time{}
	}
	days := d.rng.ExpFloat64() / perDay
	return t.Add(time.Duration(math.Min(days, 1e4) * 24 * float64(time.Hour)))
}

// applyEvents starts every scheduled event due by t.
func (s *Sim) applyEvents(t time.Time) {
	for s.next < len(s.events) && !s.cfg.Start.Add(s.events[s.next].At).After(t) {
		ev := s.events[s.next]
		s.next++
		targets := s.targets(ev)
		if len(targets) == 0 {
			s.cfg.Log.Warn("scenario event matches no device", "fault", ev.Fault, "device", ev.Device, "kind", ev.Kind, "facility", ev.Facility)
		}
		for _, d := range targets {
			s.inject(d, ev, s.cfg.Start.Add(ev.At), false)
		}
		s.cfg.Log.Info("fault", "fault", ev.Fault, "devices", len(targets), "for", ev.For, "sim_time", t.UTC().Format(time.RFC3339))
	}
}

// targets are the devices an event applies to.
func (s *Sim) targets(ev Event) []*Device {
	var out []*Device
	skipped := 0
	for _, d := range s.devices {
		if !ev.matches(d) {
			continue
		}
		if skipped < ev.Skip {
			skipped++
			continue
		}
		out = append(out, d)
		if ev.Pick > 0 && len(out) == ev.Pick {
			break
		}
	}
	if ev.Site {
		out = s.sites(out)
	}
	return out
}

// sites widens devices to every device at their facilities.
func (s *Sim) sites(devs []*Device) []*Device {
	fac := map[string]bool{}
	for _, d := range devs {
		fac[d.Facility] = true
	}
	var out []*Device
	for _, d := range s.devices {
		if fac[d.Facility] {
			out = append(out, d)
		}
	}
	return out
}

func (ev *Event) matches(d *Device) bool {
	if ev.Device != "" {
		if ok, _ := path.Match(ev.Device, d.ID); !ok {
			return false
		}
	}
	return (ev.Kind == "" || ev.Kind == d.Kind) && (ev.Facility == "" || ev.Facility == d.Facility) &&
		(ev.Region == "" || ev.Region == d.Region)
}

// inject starts a fault on the device at t and records it.
func (s *Sim) inject(d *Device, ev Event, t time.Time, random bool) {
	if ev.For <= 0 {
		ev.For = defaultFor(ev.Fault)
	}
	if ev.Fault == FaultCode && ev.Code == "" {
		ev.Code = "E07"
	}
	a := &active{Event: ev, from: t, until: t.Add(ev.For)}
	d.faults = append(d.faults, a)
	in := Injection{Device: d.ID, Facility: d.Facility, Fault: ev.Fault, From: a.from, Until: a.until, Random: random,
		Value: ev.Value, Code: ev.Code, Generator: ev.Fault == FaultOutage && ev.Generator}
	s.record(in)
}

// chronic records as ground truth the overloaded plants of the fleet and
// the devices whose clocks are wrong from the start (Spec.ClockError).
func (s *Sim) chronic() {
	for _, d := range s.devices {
		if !d.isConc() && d.load >= 1 {
			s.record(Injection{Device: d.ID, Facility: d.Facility, Fault: FaultOverload, From: s.cfg.Start,
				Value: math.Round(d.load*100) / 100, Chronic: true})
		}
		if d.ClockError != 0 {
			s.record(Injection{Device: d.ID, Facility: d.Facility, Fault: FaultClockDrift, From: s.cfg.Start,
				Value: d.ClockError.Seconds(), Chronic: true})
		}
	}
}

func (s *Sim) record(in Injection) {
	s.mu.Lock()
	s.injected = append(s.injected, in)
	s.mu.Unlock()
	if s.cfg.OnInject != nil {
		s.cfg.OnInject(in)
	}
}

// Injections returns every fault applied so far, in the order applied. It
// is safe to call while Run runs.
func (s *Sim) Injections() []Injection {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.injected)
}

// Flush ends a run: every device connects, cut off or not, hands its
// backlog to its link, and Flush waits until the links have nothing left to
// send (the broker acknowledged it all), or ctx ends. So every reading
// taken is delivered. Call it after Run, from the same goroutine.
func (s *Sim) Flush(ctx context.Context) error {
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		busy := false
		for i, d := range s.devices {
			link := s.links[i]
			switch {
			case !link.Connected():
				d.linkDown = false
				link.Connect()
				busy = true
			default:
				s.flushDevice(d, link)
				busy = busy || d.backlog.Len() > 0 || link.Pending() > 0
			}
		}
		if !busy {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("flush: %w", ctx.Err())
		case <-tick.C:
		}
	}
}

type wake struct {
	at  time.Time
	idx int
}

// wakeHeap orders wake-ups by time, then fleet order, so a seed replays
// exactly.
type wakeHeap []wake

func (h wakeHeap) Len() int { return len(h) }
func (h wakeHeap) Less(i, j int) bool {
	if h[i].at.Equal(h[j].at) {
		return h[i].idx < h[j].idx
	}
	return h[i].at.Before(h[j].at)
}
func (h wakeHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *wakeHeap) Push(x any)   { *h = append(*h, x.(wake)) }
func (h *wakeHeap) Pop() any {
	old := *h
	w := old[len(old)-1]
	*h = old[:len(old)-1]
	return w
}
