package alerting

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/oxywatch/oxywatch/ingest"
	"github.com/oxywatch/oxywatch/internal/plant"
	"github.com/oxywatch/oxywatch/internal/store"
	"github.com/oxywatch/oxywatch/report"
)

// t0 is where every test's clock starts.
var t0 = time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// recorder is a Notifier that keeps what it was handed.
type recorder struct {
	mu  sync.Mutex
	trs []plant.Transition
}

func (r *recorder) Enqueue(_ context.Context, _ *sql.Tx, ts []plant.Transition) error {
	r.mu.Lock()
	r.trs = append(r.trs, ts...)
	r.mu.Unlock()
	return nil
}

func (r *recorder) all() []plant.Transition {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.trs)
}

// keys lists the transitions as "rule/device/to" for readable diffs.
func (r *recorder) keys() []string {
	var out []string
	for _, t := range r.all() {
		out = append(out, fmt.Sprintf("%s/%s/%s", t.Alert.Rule, t.Alert.Device, t.To))
	}
	return out
}

// registry is a fixed device registry.
type registry map[plant.DeviceID]plant.Device

func (r registry) lookup(id plant.DeviceID) (plant.Device, bool) {
	d, ok := r[id]
	return d, ok
}

type harness struct {
	t   testing.TB
	e   *Engine
	clk *clock
	rec *recorder
	db  *sql.DB
	reg registry
	ctx context.Context
}

func openDB(t testing.TB, path string) *sql.DB {
	t.Helper()
	db, err := store.OpenSQLiteFile(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// psa and friends build registry entries.
func psa(id, facility string) plant.Device {
	return plant.Device{ID: plant.DeviceID(id), Kind: plant.KindPSA, Facility: facility, Region: "north", Country: "UG", RatedFlowLPM: 100}
}

func concentrator(id, facility string) plant.Device {
	return plant.Device{ID: plant.DeviceID(id), Kind: plant.KindConcentrator, Facility: facility, Region: "south", Country: "UG", RatedFlowLPM: 10}
}

// newHarness builds an engine on a fresh database. Its timers are driven by
// h.at (no Run loop), so tests control time exactly.
func newHarness(t testing.TB, rules Rules, devs ...plant.Device) *harness {
	t.Helper()
	return openHarness(t, filepath.Join(t.TempDir(), "oxywatch.db"), t0, rules, devs...)
}

func openHarness(t testing.TB, path string, now time.Time, rules Rules, devs ...plant.Device) *harness {
	t.Helper()
	// The reading builders repeat one purity: sensor_stuck only where a
	// test asks for it.
	if _, ok := rules.Rules[RuleSensorStuck]; !ok {
		rules.Rules = maps.Clone(rules.Rules)
		if rules.Rules == nil {
			rules.Rules = map[string]RuleSpec{}
		}
		off := false
		rules.Rules[RuleSensorStuck] = RuleSpec{Enabled: &off}
	}
	h := &harness{t: t, clk: &clock{t: now}, rec: &recorder{}, reg: registry{}, ctx: context.Background()}
	for _, d := range devs {
		h.reg[d.ID] = d
	}
	h.db = openDB(t, path)
	e, err := New(h.ctx, Options{
		DB: h.db, Registerer: prometheus.NewRegistry(), Rules: rules, Lookup: h.reg.lookup,
		Notifier: h.rec, Now: h.clk.Now, Seed: 7,
	})
	if err != nil {
		t.Fatal(err)
	}
	h.e = e
	return h
}

// at moves the clock to t0+d and runs the timers.
func (h *harness) at(d time.Duration) {
	h.clk.Set(t0.Add(d))
	h.e.tick(h.clk.Now().UnixNano())
}

// read feeds a live reading taken now.
func (h *harness) read(dev string, r plant.Reading) {
	r.Device, r.Time = plant.DeviceID(dev), h.clk.Now()
	h.e.ObserveReading(r, true)
}

func (h *harness) sync() {
	h.t.Helper()
	if err := h.e.Sync(h.ctx); err != nil {
		h.t.Fatal(err)
	}
}

// open returns the device's open (firing or acknowledged) alert of a rule.
func (h *harness) open(dev, rule string) (plant.Alert, bool) {
	h.t.Helper()
	list, err := h.e.Alerts(h.ctx, AlertFilter{Device: dev, Rule: rule})
	if err != nil {
		h.t.Fatal(err)
	}
	for _, a := range list {
		if a.State == plant.AlertFiring || a.State == plant.AlertAcknowledged {
			return a, true
		}
	}
	return plant.Alert{}, false
}

func (h *harness) wantOpen(dev, rule string, want bool) plant.Alert {
	h.t.Helper()
	a, got := h.open(dev, rule)
	if got != want {
		h.t.Fatalf("at %s: %s on %s open = %v, want %v", h.clk.Now().Sub(t0), rule, dev, got, want)
	}
	return a
}

func (h *harness) wantTransitions(want ...string) {
	h.t.Helper()
	h.sync()
	got := h.rec.keys()
	if !slices.Equal(got, want) {
		h.t.Fatalf("transitions:\n got %q\nwant %q", got, want)
	}
}

// immediatePower is a rules set whose power_loss has no `for`.
func immediatePower() Rules {
	var zero time.Duration
	return Rules{Rules: map[string]RuleSpec{RulePowerLoss: {For: &zero}}}
}

// Reading builders.
func running(mods ...func(*plant.Reading)) plant.Reading {
	r := plant.Reading{State: plant.StateRunning, Power: plant.PowerMains}
	r.Purity, r.Pressure, r.Flow = plant.Float(93), plant.Float(5), plant.Float(50)
	for _, m := range mods {
		m(&r)
	}
	return r
}

func purity(v float64) func(*plant.Reading)   { return func(r *plant.Reading) { r.Purity = &v } }
func pressure(v float64) func(*plant.Reading) { return func(r *plant.Reading) { r.Pressure = &v } }
func flow(v float64) func(*plant.Reading)     { return func(r *plant.Reading) { r.Flow = &v } }
func runtime(v float64) func(*plant.Reading)  { return func(r *plant.Reading) { r.Runtime = &v } }
func state(s plant.State) func(*plant.Reading) {
	return func(r *plant.Reading) { r.State = s }
}
func power(p plant.Power) func(*plant.Reading) { return func(r *plant.Reading) { r.Power = p } }
func alarms(a ...string) func(*plant.Reading)  { return func(r *plant.Reading) { r.Alarms = a } }

// The engine is what ingest feeds and what reports read.
var (
	_ ingest.Consumer       = (*Engine)(nil)
	_ report.TimelineSource = (*Engine)(nil)
)
