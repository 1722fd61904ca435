package report_test

import (
	"context"
	"io"
	"log/slog"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/oxywatch/oxywatch/alerting"
	"github.com/oxywatch/oxywatch/firmware-sim/mqttpub"
	"github.com/oxywatch/oxywatch/firmware-sim/scenario"
	"github.com/oxywatch/oxywatch/firmware-sim/sim"
	"github.com/oxywatch/oxywatch/internal/app"
	"github.com/oxywatch/oxywatch/internal/config"
	"github.com/oxywatch/oxywatch/internal/plant"
	"github.com/oxywatch/oxywatch/internal/store"
	"github.com/oxywatch/oxywatch/internal/testenv"
	"github.com/oxywatch/oxywatch/report"
)

// pipelineInterval is the fleet's report interval: each outage's down time
// must match the injected one within it (readings sample the plant once an
// interval). A late backlog corrects the coverage the timeline inferred
// past the last reading before it, so it moves no edge.
const pipelineInterval = 5 * time.Minute

// pipelineFleet is three sites: the first loses mains for six hours (and its
// GSM link for two, so part of the outage arrives as a late backlog), the
// second's generator takes over, the third's supply flaps (outage-night);
// sieves, a dryer and a filter wear meanwhile (sieve-wear-30d).
func pipelineFleet() []sim.Spec {
	spec := func(id, kind, fac string, lpm float64) sim.Spec {
		return sim.Spec{ID: id, Kind: kind, Model: "test", Facility: fac, Region: "south", Country: "MW", RatedFlowLPM: lpm, ReportInterval: pipelineInterval}
	}
	return []sim.Spec{
		spec("psa-1", "psa", "zomba", 500), spec("conc-1", "concentrator", "zomba", 5), spec("conc-2", "concentrator", "zomba", 10),
		spec("psa-2", "psa", "mzuzu", 250), spec("conc-3", "concentrator", "mzuzu", 5), spec("conc-4", "concentrator", "mzuzu", 8),
		spec("psa-3", "psa", "dedza", 667), spec("conc-5", "concentrator", "dedza", 5),
	}
}

// pipelineEvents is sieve-wear-30d with outage-night starting on day 10 at
// 22:00 (simulated).
func pipelineEvents(t *testing.T) []sim.Event {
	t.Helper()
	wear, err := scenario.Load("sieve-wear-30d")
	if err != nil {
		t.Fatal(err)
	}
	night, err := scenario.Load("outage-night")
	if err != nil {
		t.Fatal(err)
	}
	events := slices.Clone(wear.Events)
	for _, ev := range night.Events {
		ev.At += 10*24*time.Hour + 22*time.Hour
		events = append(events, ev)
	}
	return events
}

// countingConsumer passes readings on to the alerting engine and counts them.
type countingConsumer struct {
	next     *alerting.Engine
	readings atomic.Int64 // distinct (device, ts): a redelivered message counts once
	mu       sync.Mutex
	seen     map[plant.DeviceID][]seenReading
	distinct map[string]bool
}

type seenReading struct {
	r        plant.Reading
	live     bool
	received time.Time
}

func (c *countingConsumer) ObserveReading(r plant.Reading, live bool) {
	c.next.ObserveReading(r, live)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seen[r.Device] = append(c.seen[r.Device], seenReading{r, live, time.Now()})
	if k := string(r.Device) + "@" + r.Time.String(); !c.distinct[k] {
		c.distinct[k] = true
		c.readings.Add(1)
	}
}

func (c *countingConsumer) ObserveStatus(m plant.StatusMessage) { c.next.ObserveStatus(m) }

// TestPipelineThirtyDays runs 30 simulated days of firmware-sim through
// mosquitto, the ingester, the alerting engine's status timeline and the
// uptime report, and compares each device's down hours with the outages the
// simulator injected: within one report interval per outage.
func TestPipelineThirtyDays(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test; run without -short (make test does)")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	mq := testenv.StartMosquitto(t, testenv.MosquittoOptions{})
	in := testenv.StartInfluxd(t, "")
	fleet := pipelineFleet()

	engine, consumer := startEngine(t, ctx, fleet)
	startOxyWatch(t, ctx, mq.URL, in.URL, consumer)

	end := time.Now().Add(-time.Minute).Truncate(time.Minute)
	start := end.Add(-30 * 24 * time.Hour)
	pub, err := mqttpub.New(mqttpub.Options{Broker: mq.URL})
	if err != nil {
		t.Fatal(err)
	}
	s, err := sim.New(sim.Config{Fleet: fleet, Seed: 7, Start: start, Until: end, Publisher: pub, Events: pipelineEvents(t), DropsPerDay: 0.2})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	if err := s.Run(ctx); err != nil {
		t.Fatal(err)
	}
	flushCtx, stop := context.WithTimeout(ctx, 2*time.Minute)
	defer stop()
	if err := s.Flush(flushCtx); err != nil {
		t.Fatal(err)
	}
	sent := s.Stats.Sent.Load()
	t.Logf("sim: %d readings taken, %d sent, %d queued, %d dropped, %d backlogs, run %s", s.Stats.Readings.Load(), sent, s.Stats.Queued.Load(), s.Stats.Dropped.Load(), s.Stats.Backlogs.Load(), time.Since(t0).Round(time.Millisecond))
	waitReadings(t, consumer, sent, 5*time.Minute)
	t.Logf("%d readings in %s through the pipeline (%d dropped by full backlogs)", sent, time.Since(t0).Round(time.Millisecond), s.Stats.Dropped.Load())
	s.Close()

	// The devices are registered only now, after their 30 days of history
	// arrived (a plant that ran without airtime, then connected): the
	// report must count them from their first reading, not from now.
	registered := specRegistry{fleet: fleet, createdAt: time.Now()}
	r := report.New(registered, engine, nil, report.Options{Loc: time.UTC, Now: time.Now, OutageListMin: time.Minute})
	rep, err := r.Uptime(ctx, report.Query{Period: report.Period{From: start, To: end, Loc: time.UTC}, Group: report.GroupDevice})
	if err != nil {
		t.Fatal(err)
	}
	checkAgainstInjections(t, rep, s.Injections(), start, end, engine, consumer)
}

// waitReadings polls until the engine has seen n readings, saying how far
// it got when it gives up.
func waitReadings(t *testing.T, c *countingConsumer, n int64, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for c.readings.Load() < n {
		if time.Now().After(deadline) {
			t.Fatalf("after %s the alerting engine has seen %d of %d readings", timeout, c.readings.Load(), n)
		}
		<-tick.C
	}
}

func startEngine(t *testing.T, ctx context.Context, fleet []sim.Spec) (*alerting.Engine, *countingConsumer) {
	t.Helper()
	db, err := store.OpenSQLite(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	devs := specDevices(fleet)
	engine, err := alerting.New(ctx, alerting.Options{
		DB: db, Registerer: prometheus.NewRegistry(),
		Lookup: func(id plant.DeviceID) (plant.Device, bool) {
			i := slices.IndexFunc(devs, func(d plant.Device) bool { return d.ID == id })
			if i < 0 {
				return plant.Device{}, false
			}
			return devs[i], true
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- engine.Run(ctx) }()
	t.Cleanup(func() {
		engine.Stop()
		if err := <-done; err != nil {
			t.Errorf("alerting engine: %v", err)
		}
	})
	return engine, &countingConsumer{next: engine, seen: map[plant.DeviceID][]seenReading{}, distinct: map[string]bool{}}
}

// startOxyWatch runs the app's ingest spine on mosquitto and influxd, with
// the alerting engine as its consumer.
func startOxyWatch(t *testing.T, ctx context.Context, mqttURL, influxURL string, c *countingConsumer) {
	t.Helper()
	cfg := config.Defaults()
	cfg.DataDir = t.TempDir()
	cfg.HTTP.Addr = "127.0.0.1:0"
	cfg.MQTT.URL = mqttURL
	cfg.MQTT.ClientID = "oxywatch-report-test"
	// One connection keeps most of each device's readings in order (its
	// handler pool still reorders some, and backlogs arrive late: the
	// timeline places them as if in order). The simulator replays 30 days
	// in seconds, so with shared subscriptions most readings would arrive
	// late, which the race detector makes much slower to fold in.
	cfg.MQTT.Connections = 1
	cfg.Influx.URL = influxURL
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	a, err := app.New(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), app.WithConsumer(c))
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.Run(runCtx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("oxywatch stopped with %v", err)
		}
	})
	testenv.Eventually(t, 20*time.Second, "oxywatch ready", func() bool { return a.Ready(ctx) == nil })
}

func specDevices(fleet []sim.Spec) []plant.Device {
	out := make([]plant.Device, len(fleet))
	for i, s := range fleet {
		out[i] = plant.Device{ID: plant.DeviceID(s.ID), Kind: plant.Kind(s.Kind), Model: s.Model, Facility: s.Facility,
			Region: s.Region, Country: s.Country, RatedFlowLPM: s.RatedFlowLPM, ReportIntervalS: int(s.ReportInterval / time.Second)}
	}
	return out
}

// specRegistry is the registry as the fleet file would fill it, on createdAt.
type specRegistry struct {
	fleet     []sim.Spec
	createdAt time.Time
}

func (f specRegistry) Devices(context.Context) ([]plant.Device, error) {
	devs := specDevices(f.fleet)
	for i := range devs {
		devs[i].CreatedAt = f.createdAt
	}
	return devs, nil
}

func (f specRegistry) Facilities(context.Context) ([]plant.Facility, error) {
	return nil, nil
}

// checkAgainstInjections compares each device's down hours with its injected
// outages without a generator (mains lost: state off, power none), merged
// where they overlap and cut to the period.
func checkAgainstInjections(t *testing.T, rep *report.UptimeReport, injected []sim.Injection, from, to time.Time, tl report.TimelineSource, c *countingConsumer) {
	t.Helper()
	type truth struct {
		down    time.Duration
		outages int
	}
	want := map[string]*truth{}
	spans := map[string][][2]time.Time{}
	for _, in := range injected {
		if in.Fault == sim.FaultOutage && !in.Generator {
			spans[in.Device] = append(spans[in.Device], [2]time.Time{maxTime(in.From, from), minTime(in.Until, to)})
		}
	}
	for dev, ss := range spans {
		tr := &truth{}
		for _, m := range merge(ss) {
			tr.down += m[1].Sub(m[0])
			tr.outages++
		}
		want[dev] = tr
	}
	if len(want) < 3 {
		t.Fatalf("the scenario injected outages on %d devices, want the first and third sites' (%v)", len(want), injected)
	}
	for _, row := range rep.Items {
		w := want[row.Key]
		if w == nil {
			w = &truth{}
		}
		// one interval per outage, plus the report's rounding of hours to 0.01
		tolerance := pipelineInterval.Hours()*float64(max(w.outages, 1)) + 0.01
		if w.outages > 0 && row.Outages == 0 {
			t.Errorf("%s: the report shows no outage, the simulator injected %d", row.Key, w.outages)
		}
		// Purity under the critical level is down too (not medical oxygen),
		// and some simulated concentrators run there for days on purpose:
		// the outages are what the rest of the down time must match.
		outageH := row.DownH
		for _, c := range row.TopCauses {
			if strings.HasPrefix(c.Cause, "purity:") {
				outageH -= c.Hours
			}
		}
		if diff := math.Abs(outageH - w.down.Hours()); diff > tolerance {
			t.Errorf("%s: report says %.3f h down for outages (%.3f h in all), the simulator injected %.3f h in %d outages (tolerance %.3f h)", row.Key, outageH, row.DownH, w.down.Hours(), w.outages, tolerance)
			logTimeline(t, tl, row.Key, injected, c)
		} else {
			t.Logf("%s: %.3f h down for outages (%.3f h in all), injected %.3f h in %d outages (off by %.1f report intervals); uptime %v %%, data %v %%",
				row.Key, outageH, row.DownH, w.down.Hours(), w.outages, diff/pipelineInterval.Hours(), deref(row.UptimePct), deref(row.DataCoveragePct))
		}
		if row.DataCoveragePct == nil || *row.DataCoveragePct < 99 {
			t.Errorf("%s: data coverage %v %%, want at least 99 %% (backlogs arrive late but arrive)", row.Key, deref(row.DataCoveragePct))
			logGaps(t, tl, row.Key, from, to, c)
		}
	}
	if len(rep.Items) != 8 {
		t.Errorf("got %d devices in the report, want 8", len(rep.Items))
	}
}

// logTimeline shows a device's injections and the timeline around them.
func logTimeline(t *testing.T, tl report.TimelineSource, dev string, injected []sim.Injection, c *countingConsumer) {
	t.Helper()
	for _, in := range injected {
		if in.Device != dev {
			continue
		}
		t.Logf("  injected %s %s to %s (generator %v)", in.Fault, in.From.UTC().Format(time.TimeOnly), in.Until.UTC().Format(time.TimeOnly), in.Generator)
		if in.Fault != sim.FaultOutage {
			continue
		}
		ivs, err := tl.Timelines(context.Background(), []plant.DeviceID{plant.DeviceID(dev)}, in.From.Add(-time.Hour), in.Until.Add(time.Hour))
		if err != nil {
			t.Log(err)
			return
		}
		for _, iv := range ivs[plant.DeviceID(dev)] {
			t.Logf("    %-11s %s to %s %s", iv.Status, iv.Start.UTC().Format(time.DateTime), iv.End.UTC().Format(time.DateTime), iv.Cause)
		}
		c.mu.Lock()
		for _, s := range c.seen[plant.DeviceID(dev)] {
			if s.r.Time.After(in.Until.Add(-15*time.Minute)) && s.r.Time.Before(in.Until.Add(20*time.Minute)) {
				t.Logf("    reading %s state %s power %s live %v received %s", s.r.Time.UTC().Format(time.TimeOnly), s.r.State, s.r.Power, s.live, s.received.Format("15:04:05.000"))
			}
		}
		c.mu.Unlock()
	}
}

// logGaps shows a device's no_data of more than an hour and the readings
// the engine saw around its start.
func logGaps(t *testing.T, tl report.TimelineSource, dev string, from, to time.Time, c *countingConsumer) {
	t.Helper()
	ivs, err := tl.Timelines(context.Background(), []plant.DeviceID{plant.DeviceID(dev)}, from, to)
	if err != nil {
		t.Log(err)
		return
	}
	for _, iv := range ivs[plant.DeviceID(dev)] {
		if iv.Status != plant.StatusNoData || (!iv.End.IsZero() && iv.End.Sub(iv.Start) < time.Hour) {
			continue
		}
		t.Logf("    no_data %s to %s", iv.Start.UTC().Format(time.DateTime), iv.End.UTC().Format(time.DateTime))
		c.mu.Lock()
		n := 0
		for _, s := range c.seen[plant.DeviceID(dev)] {
			if s.r.Time.After(iv.Start.Add(-20*time.Minute)) && (iv.End.IsZero() || s.r.Time.Before(iv.End.Add(20*time.Minute))) && n < 12 {
				n++
				t.Logf("    reading %s state %s live %v received %s", s.r.Time.UTC().Format(time.DateTime), s.r.State, s.live, s.received.Format("15:04:05.000"))
			}
		}
		c.mu.Unlock()
	}
}

func merge(ss [][2]time.Time) [][2]time.Time {
	slices.SortFunc(ss, func(a, b [2]time.Time) int { return a[0].Compare(b[0]) })
	var out [][2]time.Time
	for _, s := range ss {
		if !s[1].After(s[0]) {
			continue
		}
		if n := len(out); n > 0 && !s[0].After(out[n-1][1]) {
			out[n-1][1] = maxTime(out[n-1][1], s[1])
			continue
		}
		out = append(out, s)
	}
	return out
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}
