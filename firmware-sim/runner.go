package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/oxywatch/oxywatch/firmware-sim/mqttpub"
	"github.com/oxywatch/oxywatch/firmware-sim/scenario"
	"github.com/oxywatch/oxywatch/firmware-sim/sim"
)

// runner is one firmware-sim run: the fleet, the scenario, the publisher
// and the progress reporter.
type runner struct {
	o        *options
	log      *slog.Logger
	stdout   io.Writer
	stderr   io.Writer
	fleet    []sim.Spec
	scenario *scenario.Scenario
	results  *results
	now      func() time.Time
}

// summary is what a run achieved, for the last line and for tests.
type summary struct {
	Elapsed    time.Duration
	Readings   int64 // readings taken
	Sent       int64 // readings handed to connections
	Acked      int64 // telemetry payloads the broker acknowledged
	Errors     int64 // telemetry payloads given up
	Backlogs   int64 // backlog payloads
	Queued     int64 // readings still in backlogs at the end
	Dropped    int64 // readings lost to full backlogs
	Rate       float64
	Injected   int
	SimReached time.Time
}

func newRunner(o *options, stdout, stderr io.Writer) (*runner, error) {
	stderr = &lockedWriter{w: stderr} // the log and the progress line share it
	r := &runner{o: o, stdout: stdout, stderr: stderr, results: newResults(), now: time.Now,
		log: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: o.logLevel}))}
	var err error
	if r.fleet, err = r.loadFleet(); err != nil {
		return nil, err
	}
	if r.scenario, err = scenario.Load(o.scenario); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *runner) loadFleet() ([]sim.Spec, error) {
	o := r.o
	if o.fleet == "" {
		fleet := sim.GenerateFleet(o.devices, o.facilities, o.seed, o.interval)
		if o.protocol == mqttpub.VendorJSON {
			for i := range fleet { // the model the example mapping file maps
				fleet[i].Model = mqttpub.VendorModel
			}
		}
		return fleet, nil
	}
	f, err := os.Open(o.fleet)
	if err != nil {
		return nil, fmt.Errorf("fleet: %w", err)
	}
	defer f.Close()
	fleet, skipped, err := sim.ReadFleet(f)
	if err != nil {
		return nil, fmt.Errorf("fleet %s: %w", o.fleet, err)
	}
	if len(skipped) > 0 {
		r.log.Warn("fleet rows skipped: no model for their kind", "devices", skipped)
	}
	for i := range fleet {
		if fleet[i].ReportInterval <= 0 {
			fleet[i].ReportInterval = o.interval
		}
	}
	return fleet, nil
}

func (r *runner) writeFleet(stdout io.Writer) error {
	if r.o.writeFleet == "-" {
		return sim.WriteFleet(stdout, r.fleet)
	}
	f, err := os.Create(r.o.writeFleet)
	if err != nil {
		return fmt.Errorf("write fleet: %w", err)
	}
	if err := sim.WriteFleet(f, r.fleet); err != nil {
		f.Close()
		return fmt.Errorf("write fleet %s: %w", r.o.writeFleet, err)
	}
	return f.Close()
}

// loadInterval is the report interval that makes the fleet produce rate
// readings per real second at speed.
func loadInterval(devices int, speed, rate float64) time.Duration {
	return time.Duration(float64(devices) * speed / rate * float64(time.Second))
}

// config builds the simulation's configuration for a run starting now.
func (r *runner) config(now time.Time, pub sim.Publisher) (sim.Config, error) {
	o := r.o
	start, err := o.startTime(now)
	if err != nil {
		return sim.Config{}, err
	}
	fleet := append([]sim.Spec(nil), r.fleet...)
	if o.rate > 0 {
		iv := loadInterval(len(fleet), o.speed, o.rate)
		for i := range fleet {
			fleet[i].ReportInterval = iv
		}
	}
	cfg := sim.Config{
		Fleet: fleet, Seed: o.seed, Start: start, Publisher: pub, Events: r.scenario.Events,
		Clock:              &sim.Clock{RealStart: now, SimStart: start, Speed: o.speed},
		RandomFaultsPerDay: pick(o.randomFaults, r.scenario.RandomFaultsPerDay),
		DropsPerDay:        pick(o.drops, r.scenario.DropsPerDay),
		BacklogCap:         o.backlog, Stamp: o.stamp, Log: r.log,
	}
	return cfg, nil
}

// pick is the flag's value when set (not negative), else the scenario's,
// else zero.
func pick(flagValue, scenarioValue float64) float64 {
	switch {
	case flagValue >= 0:
		return flagValue
	case scenarioValue >= 0:
		return scenarioValue
	}
	return 0
}

func (r *runner) publisher() (sim.Publisher, func(), error) {
	if r.o.dryRun {
		p := &dryRun{w: bufio.NewWriter(r.stdout), prefix: r.o.prefix}
		return &sim.Recorder{OnMessage: p.print}, p.flush, nil
	}
	if pub, ok, err := r.devicePublisher(); ok {
		return pub, func() {}, err
	}
	pub, err := mqttpub.New(mqttpub.Options{
		Broker: r.o.broker, Prefix: r.o.prefix, Username: r.o.username, Password: r.o.password,
		DevicePassword: r.o.devicePassword, QueueLen: r.o.queue, OnResult: r.results.record, Log: r.log,
		Protocol: r.o.protocol, Group: r.o.group,
	})
	return pub, func() {}, err
}

// run simulates until ctx ends or --duration passes, then lets every device
// say offline.
func (r *runner) run(ctx context.Context) (summary, error) {
	pub, flush, err := r.publisher()
	if err != nil {
		return summary{}, err
	}
	defer flush()
	now := r.now()
	cfg, err := r.config(now, pub)
	if err != nil {
		return summary{}, err
	}
	truth, err := r.openTruth(&cfg)
	if err != nil {
		return summary{}, err
	}
	defer truth()
	s, err := sim.New(cfg)
	if err != nil {
		return summary{}, err
	}
	r.announce(&cfg)
	r.connect(ctx, s)
	// Simulated time and --duration start once the fleet is online.
	began := r.now()
	cfg.Clock.RealStart = began
	if r.o.duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.o.duration)
		defer cancel()
	}
	p := r.startProgress(s, began)
	err = s.Run(ctx)
	p.stop()
	ended := r.now()
	r.log.Info("stopping: devices publish offline")
	s.Close()
	sum := r.summary(s, ended.Sub(began))
	fmt.Fprintln(r.stderr, sum.line())
	return sum, err
}

// connect waits up to 15 s for the fleet to connect; devices still down
// keep their readings in backlogs and keep trying.
func (r *runner) connect(ctx context.Context, s *sim.Sim) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	began := r.now()
	if err := s.Connect(ctx); err != nil {
		r.log.Warn("starting with part of the fleet offline; they keep trying", "err", err)
		return
	}
	r.log.Info("fleet online", "devices", len(s.Devices()), "took", r.now().Sub(began).Round(time.Millisecond))
}

func (r *runner) announce(cfg *sim.Config) {
	kinds := map[string]int{}
	for _, f := range cfg.Fleet {
		kinds[f.Kind]++
	}
	args := []any{"broker", r.o.broker, "devices", len(cfg.Fleet), "psa", kinds[sim.KindPSA],
		"concentrator", kinds[sim.KindConcentrator], "lox_tank", kinds[sim.KindLOXTank],
		"scenario", r.scenario.Name, "seed", r.o.seed, "speed", r.o.speed,
		"interval", cfg.Fleet[0].ReportInterval, "sim_start", cfg.Start.UTC().Format(time.RFC3339)}
	if r.o.dryRun {
		args[1] = "(dry run)"
	}
	if d := r.o.dev; d.protocol != "mqtt" {
		args[0], args[1] = d.protocol, d.endpoint()
	}
	if r.o.rate > 0 {
		args = append(args, "target_rate", r.o.rate)
	}
	r.log.Info("firmware-sim starting", args...)
}

// openTruth makes cfg append every injected fault to --truth.
func (r *runner) openTruth(cfg *sim.Config) (func(), error) {
	if r.o.truth == "" {
		return func() {}, nil
	}
	f, err := os.OpenFile(r.o.truth, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("--truth: %w", err)
	}
	enc := json.NewEncoder(f)
	cfg.OnInject = func(in sim.Injection) {
		if err := enc.Encode(in); err != nil {
			r.log.Warn("write ground truth", "err", err)
		}
	}
	return func() { f.Close() }, nil
}

func (r *runner) summary(s *sim.Sim, elapsed time.Duration) summary {
	st := &s.Stats
	sum := summary{
		Elapsed: elapsed, Readings: st.Readings.Load(), Sent: st.Sent.Load(),
		Backlogs: st.Backlogs.Load(), Queued: st.Queued.Load(), Dropped: st.Dropped.Load(),
		Acked: r.results.acked.Load(), Errors: r.results.errors.Load(),
		Injected: len(s.Injections()), SimReached: time.Unix(0, st.SimNanos.Load()).UTC(),
	}
	if secs := sum.Elapsed.Seconds(); secs > 0 {
		sum.Rate = float64(sum.Readings) / secs
	}
	return sum
}

func (s summary) line() string {
	return fmt.Sprintf("firmware-sim: %s real, simulated up to %s: %d readings (%.0f/s), %d sent (%d of the payloads were backlogs), %d payloads acknowledged, %d publish errors, %d still in backlogs, %d dropped, %d faults injected",
		s.Elapsed.Round(time.Millisecond), s.SimReached.Format(time.RFC3339), s.Readings, s.Rate, s.Sent, s.Backlogs,
		s.Acked, s.Errors, s.Queued, s.Dropped, s.Injected)
}

// lockedWriter serialises writes from several goroutines, whole lines at
// a time.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// dryRun prints what would be published.
type dryRun struct {
	mu     sync.Mutex
	w      *bufio.Writer
	prefix string
}

func (d *dryRun) print(m sim.Message) {
	leaf := "telemetry"
	if m.Status {
		leaf = "status"
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	fmt.Fprintf(d.w, "%s/%s/%s %s\n", d.prefix, m.Device, leaf, m.Payload)
}

func (d *dryRun) flush() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.w.Flush()
}

func listScenarios(w io.Writer) error {
	for _, name := range scenario.Builtins() {
		sc, err := scenario.Load(name)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%s (%d events)\n  %s\n\n", name, len(sc.Events), strings.TrimSpace(sc.Description))
	}
	return nil
}
