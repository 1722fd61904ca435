package alerting

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// Notifier receives alert transitions inside the SQL transaction that
// persists them, so an alert's state and its outbox rows commit together.
type Notifier interface {
	Enqueue(ctx context.Context, tx *sql.Tx, ts []plant.Transition) error
}

// Committer is implemented by a Notifier that wants to hear when the
// transaction it was handed transitions in has committed: its rows can be
// read from then on, not before.
type Committer interface {
	Committed()
}

// NotifierFunc adapts a function to Notifier.
type NotifierFunc func(ctx context.Context, tx *sql.Tx, ts []plant.Transition) error

// Enqueue calls f.
func (f NotifierFunc) Enqueue(ctx context.Context, tx *sql.Tx, ts []plant.Transition) error {
	return f(ctx, tx, ts)
}

// LookupFunc finds a device in the registry.
type LookupFunc func(plant.DeviceID) (plant.Device, bool)

// Options builds an Engine. DB and Registerer are required.
type Options struct {
	DB         *sql.DB
	Registerer prometheus.Registerer
	Logger     *slog.Logger
	Rules      Rules      // zero value: the built-in defaults
	Lookup     LookupFunc // nil: every device is of kind unknown
	// Devices lists the registry at start, so that a device that never
	// reports goes offline too. Optional.
	Devices  func() []plant.Device
	Notifier Notifier         // nil: transitions are only persisted; a Committer hears each commit
	Now      func() time.Time // nil: time.Now

	Tick            time.Duration // timer resolution; default 1s
	Checkpoint      time.Duration // how often device state is saved; default 1m
	Sweep           time.Duration // how often muted alerts are re-checked; default 30s
	RegistryRefresh time.Duration // how long a registry lookup is reused; default 1m
	KeepResolved    time.Duration // resolved alerts older than this are deleted, hourly; 0 keeps them
	// RegisteredOnly gives no rules to a device the Lookup does not know:
	// one removed from the registry stops alerting (its open alerts
	// resolve) instead of going offline. Ingest lists every reporting
	// device in the registry, so only removed devices are affected.
	RegisteredOnly bool
	BatchSize      int    // operations per transaction; default 1024
	Seed           uint64 // ack code generator; 0 picks one
}

func (o *Options) defaults() error {
	if o.DB == nil {
		return errors.New("alerting: Options.DB is required")
	}
	if o.Registerer == nil {
		return errors.New("alerting: Options.Registerer is required")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	o.Rules.Flapping.fill()
	setDur(&o.Tick, time.Second)
	setDur(&o.Checkpoint, time.Minute)
	setDur(&o.Sweep, 30*time.Second)
	setDur(&o.RegistryRefresh, time.Minute)
	if o.BatchSize <= 0 {
		o.BatchSize = 1024
	}
	if o.Seed == 0 {
		o.Seed = rand.Uint64()
	}
	return nil
}

func setDur(d *time.Duration, def time.Duration) {
	if *d <= 0 {
		*d = def
	}
}

const nShards = 64

// shard holds the state of a share of the devices under one lock.
type shard struct {
	mu   sync.Mutex
	devs map[plant.DeviceID]*device
	heap timerHeap
}

// Engine evaluates readings against the rules and keeps every alert's state.
// Its methods are safe for concurrent use.
//
// Each device's state lives in one of the shards, under the shard's lock;
// the engine holds no other lock. What devices share is cut into parts that
// each own their state and lock and hold references only to the parts
// below them, never to the engine: the facilities (facility counts and
// outage alerts), the alert book (open alerts, ids, ack codes, muted
// firings), the silences and the writer (the queue of writes). A shard's
// lock is thus taken before any part's, and a part's before those below
// it, by construction (TestPartsHoldNoEngine keeps it so). The alerter,
// the maintenance clocks and the timeline hold no state and no lock: they
// are the device-level code that calls those parts under a shard's lock.
type Engine struct {
	opt  Options
	log  *slog.Logger
	comp *compiler
	m    *metrics
	seed maphash.Seed

	shards [nShards]shard

	fac    *facilities
	book   *alertBook
	sil    *silences
	w      *writer
	al     *alerter
	clocks *clocks
	tl     *timeline

	runCtx   context.Context
	cancel   context.CancelFunc
	runOnce  sync.Once
	stopOnce sync.Once
	done     chan struct{}
	running  atomic.Bool
}

// New builds an engine on opts.DB, migrating its tables and restoring the
// state a previous run left.
func New(ctx context.Context, opts Options) (*Engine, error) {
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	m, err := newMetrics(opts.Registerer)
	if err != nil {
		return nil, err
	}
	e := &Engine{opt: opts, log: opts.Logger, comp: newCompiler(opts.Rules), m: m, seed: maphash.MakeSeed(), done: make(chan struct{})}
	for i := range e.shards {
		e.shards[i].devs = map[plant.DeviceID]*device{}
	}
	e.w = newWriter(&e.opt, m)
	e.sil = newSilences(opts.DB)
	e.book = newAlertBook(e.w, m, opts.Seed)
	e.fac = newFacilities(e.comp, e.book, e.sil)
	opt := &e.opt // the parts read the clock, not the engine
	now := func() int64 { return opt.Now().UnixNano() }
	e.al = &alerter{book: e.book, sil: e.sil, fac: e.fac, now: now}
	e.clocks = &clocks{al: e.al}
	e.tl = &timeline{w: e.w}
	e.runCtx, e.cancel = context.WithCancel(context.Background())
	if err := migrate(ctx, opts.DB); err != nil {
		return nil, err
	}
	if err := e.restore(ctx); err != nil {
		return nil, fmt.Errorf("restore alerting state: %w", err)
	}
	return e, nil
}

func (e *Engine) now() int64 { return e.opt.Now().UnixNano() }

func (e *Engine) shardOf(id plant.DeviceID) *shard {
	return &e.shards[maphash.String(e.seed, string(id))%nShards]
}

// Run drives the timers and the writer until ctx is done or Stop is called,
// then saves device state and flushes every queued write before returning.
func (e *Engine) Run(ctx context.Context) error {
	started := false
	e.runOnce.Do(func() { started = true })
	if !started {
		return errors.New("alerting: Run called twice")
	}
	e.running.Store(true)
	defer close(e.done)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-e.runCtx.Done():
			cancel()
		case <-ctx.Done():
		}
	}()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); e.w.run(ctx) }()
	e.loop(ctx)
	e.checkpoint()
	e.w.close()
	wg.Wait()
	return nil
}

// Stop ends Run and waits for its flush. It is idempotent and safe to call
// when Run never ran.
func (e *Engine) Stop() {
	e.stopOnce.Do(e.cancel)
	if e.running.Load() {
		<-e.done
	}
}

func (e *Engine) loop(ctx context.Context) {
	tick := time.NewTicker(e.opt.Tick)
	defer tick.Stop()
	lastCheckpoint, lastSweep, lastPrune := e.now(), e.now(), int64(0)
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		now := e.now()
		e.tick(now)
		if now-lastSweep >= int64(e.opt.Sweep) {
			lastSweep = now
			e.sweep(now)
		}
		if now-lastCheckpoint >= int64(e.opt.Checkpoint) {
			lastCheckpoint = now
			e.checkpoint()
		}
		if e.opt.KeepResolved > 0 && now-lastPrune >= int64(time.Hour) {
			lastPrune = now
			e.pruneResolved(ctx, now)
		}
	}
}

// Sync waits until every change made before the call is committed.
func (e *Engine) Sync(ctx context.Context) error {
	return e.w.barrier(ctx)
}

// Tick runs the timers due at Options.Now. Run does it every Options.Tick; a
// caller that drives the engine on a simulated clock (the scorer) calls it
// after each move of its clock instead, and Sync to commit.
func (e *Engine) Tick() { e.tick(e.now()) }

// tick handles every device whose due time has come: it first marks devices
// past their offline deadline, so a facility whose devices all went quiet
// together raises its facility alert before any device alert is announced,
// then fires offline and pending alerts and ends flapping holds.
func (e *Engine) tick(now int64) {
	var due [nShards][]*device
	for i := range e.shards {
		sh := &e.shards[i]
		sh.mu.Lock()
		for len(sh.heap) > 0 && sh.heap[0].due <= now {
			d := sh.heap.pop()
			due[i] = append(due[i], d)
			if e.pastDeadline(d, now) {
				e.setOffline(d, true, now)
			}
		}
		sh.mu.Unlock()
	}
	e.fac.settle(now)
	for i := range e.shards {
		if len(due[i]) == 0 {
			continue
		}
		sh := &e.shards[i]
		sh.mu.Lock()
		for _, d := range due[i] {
			e.handleDue(d, now)
			e.schedule(sh, d)
		}
		sh.mu.Unlock()
	}
}

// ObserveReading implements ingest.Consumer.
func (e *Engine) ObserveReading(r plant.Reading, live bool) {
	t0 := time.Now()
	if r.Power == plant.PowerUnknown {
		r.Power = "" // a power word nobody mapped says nothing: the last known source holds
	}
	now := e.now()
	sh := e.shardOf(r.Device)
	sh.mu.Lock()
	d := e.deviceLocked(sh, r.Device, now)
	e.observe(sh, d, &r, live, now)
	sh.mu.Unlock()
	e.m.evaluated.Inc()
	e.m.evalSeconds.Observe(time.Since(t0).Seconds())
}

// ObserveStatus implements ingest.Consumer: "offline" ends the device's
// telemetry coverage and raises the offline alert two report intervals later
// unless the device comes back first; "online" only restarts the offline
// deadline (a reading is what resolves the alert).
func (e *Engine) ObserveStatus(m plant.StatusMessage) {
	now := e.now()
	sh := e.shardOf(m.Device)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	d := e.deviceLocked(sh, m.Device, now)
	at := m.Received.UnixNano()
	if m.Received.IsZero() {
		at = now
	}
	switch m.State {
	case plant.Offline:
		// The timeline ends now; the alert waits two report intervals, so
		// a device that restarts (its will published, then online again)
		// does not page.
		if !d.statusOffline {
			d.statusOffline, d.saidOffline = true, now
		}
		e.tl.cut(d, at-d.clk.skew) // the timeline is in device time
	case plant.Online:
		d.statusOffline = false
		d.lastHeard = max(d.lastHeard, now)
	}
	d.dirty = true
	e.schedule(sh, d)
}

// deviceLocked returns the device's state, creating it on first sight and
// refreshing its registry entry when it is old.
func (e *Engine) deviceLocked(sh *shard, id plant.DeviceID, now int64) *device {
	d := sh.devs[id]
	if d == nil {
		d = e.newDevice(id, now)
		sh.devs[id] = d
		return d
	}
	if now-d.infoAt > int64(e.opt.RegistryRefresh) {
		e.refresh(d, now)
	}
	return d
}

func (e *Engine) lookup(id plant.DeviceID) plant.Device {
	if e.opt.Lookup != nil {
		if dev, ok := e.opt.Lookup(id); ok {
			dev.ID = id
			return dev
		}
		if e.opt.RegisteredOnly {
			return plant.Device{ID: id, Kind: kindRemoved}
		}
	}
	return plant.Device{ID: id, Kind: plant.KindUnknown}
}

// kindRemoved marks a device no longer in the registry (RegisteredOnly).
const kindRemoved plant.Kind = "(removed)"

// noRules is the rule set of a removed device: nothing fires.
var noRules = &ruleSet{}

// Refresh re-reads a device's registry entry at once, for the API to call
// after it changed or removed a device: a new kind, model or facility takes
// effect now, and a removed device (RegisteredOnly) stops alerting.
func (e *Engine) Refresh(id plant.DeviceID) {
	now := e.now()
	sh := e.shardOf(id)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if d := sh.devs[id]; d != nil {
		e.refresh(d, now)
		e.schedule(sh, d)
	}
}

func (e *Engine) newDevice(id plant.DeviceID, now int64) *device {
	d := &device{id: id, heapIdx: -1, lastHeard: now, lastSeq: -1}
	d.clk.rate = 1
	d.values.clear()
	e.setInfo(d, e.lookup(id), now)
	return d
}

// refresh re-reads the registry entry; a changed facility moves the device
// between facility counts, a changed kind or model changes its rules.
func (e *Engine) refresh(d *device, now int64) {
	e.setInfo(d, e.lookup(d.id), now)
}

func (e *Engine) setInfo(d *device, dev plant.Device, now int64) {
	d.infoAt = now
	info := devInfo{
		kind: dev.Kind, model: dev.Model, facility: dev.Facility, region: dev.Region,
		country: dev.Country, rated: dev.RatedFlowLPM, interval: int64(dev.ReportInterval()),
		use: dev.UseOrDefault(), point: dev.PointOrDefault(),
	}
	if info == d.info && d.rs != nil {
		return
	}
	old, first := d.info.facility, d.rs == nil
	d.info = info
	if info.facility != old || first {
		e.fac.move(old, info.facility, info.region, info.country, d.outage, now)
	}
	if dev.Kind == kindRemoved {
		d.rs = noRules
	} else {
		d.rs = e.comp.forDevice(dev)
	}
	e.dropRetired(d, now)
	d.alignMaintenance()
}

// dropRetired resolves the alerts and clears the pending timers of rules
// and components the device's new rule set no longer has.
func (e *Engine) dropRetired(d *device, now int64) {
	for s := range nSlots {
		st := &d.rules[s]
		if d.rs.r[s].on {
			continue
		}
		if st.alert != nil {
			e.resolveSlot(d, s, math.NaN(), now)
		}
		if st.pendingSince != 0 {
			st.pendingSince = 0
			e.setPending(d, s, 0)
		}
	}
	for i := range d.maint {
		if d.maint[i].alert != nil && !slices.ContainsFunc(d.rs.comps, func(c component) bool { return c.name == d.maint[i].name }) {
			e.clocks.resolve(d, i, math.NaN(), now)
		}
	}
}

// Track starts watching a registered device that has not reported since the
// engine started, so that a device which never speaks still goes offline at
// its deadline. A device the engine already knows is left as it is.
func (e *Engine) Track(id plant.DeviceID) {
	now := e.now()
	sh := e.shardOf(id)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.devs[id] != nil {
		return
	}
	d := e.deviceLocked(sh, id, now)
	e.schedule(sh, d)
}
