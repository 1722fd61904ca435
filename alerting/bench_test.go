package alerting

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	goruntime "runtime"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// benchDevices is the fleet size: 10,000, or OXYWATCH_BENCH_DEVICES.
var benchDevices = func() int {
	if n, err := strconv.Atoi(os.Getenv("OXYWATCH_BENCH_DEVICES")); err == nil && n > 0 {
		return n
	}
	return 10_000
}()

// benchFleet is a registry of n devices (PSA plants and concentrators in
// facilities of ten) and one healthy reading for each.
func benchFleet(n int) (registry, []plant.Reading) {
	reg := registry{}
	readings := make([]plant.Reading, n)
	for i := range n {
		id := fmt.Sprintf("dev-%06d", i)
		fac := fmt.Sprintf("fac-%05d", i/10)
		d := psa(id, fac)
		r := running(runtime(1000), purity(93))
		if i%2 == 1 {
			d = concentrator(id, fac)
			r = running(runtime(1000), purity(93), pressure(0.5), flow(5))
		}
		reg[d.ID] = d
		r.Device = d.ID
		readings[i] = r
	}
	return reg, readings
}

// benchEngine builds an engine with the default rules over a fleet, each
// device having reported once.
func benchEngine(b *testing.B, path string, n int) (*Engine, []plant.Reading) {
	b.Helper()
	reg, readings := benchFleet(n)
	return startFleet(b, path, reg, readings), readings
}

func startFleet(b *testing.B, path string, reg registry, readings []plant.Reading) *Engine {
	db := openDB(b, path)
	e, err := New(context.Background(), Options{DB: db, Registerer: prometheus.NewRegistry(), Lookup: reg.lookup})
	if err != nil {
		b.Fatal(err)
	}
	base := time.Now()
	for i := range readings {
		readings[i].Time = base
		e.ObserveReading(readings[i], true)
	}
	if err := e.Sync(context.Background()); err != nil {
		b.Fatal(err)
	}
	return e
}

// BenchmarkObserveReading evaluates readings of a healthy fleet of 10,000
// devices round-robin: ns/op is the cost of one reading against every
// default rule (timeline, trend and maintenance clocks included).
func BenchmarkObserveReading(b *testing.B) {
	e, readings := benchEngine(b, filepath.Join(b.TempDir(), "oxywatch.db"), benchDevices)
	base := time.Now()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := &readings[i%len(readings)]
		r.Time = base.Add(time.Duration(i) * time.Microsecond)
		e.ObserveReading(*r, true)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "readings/s")
}

// BenchmarkObserveReadingParallel is the same with readings arriving from
// several goroutines at once, as ingest delivers them.
func BenchmarkObserveReadingParallel(b *testing.B) {
	e, readings := benchEngine(b, filepath.Join(b.TempDir(), "oxywatch.db"), benchDevices)
	base := time.Now()
	var next int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := int(atomicAdd(&next))
			r := readings[i%len(readings)]
			r.Time = base.Add(time.Duration(i) * time.Microsecond)
			e.ObserveReading(r, true)
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "readings/s")
}

// BenchmarkDeviceMemory reports the heap the engine holds per device once
// each of 10,000 devices has reported (the test's registry excluded).
func BenchmarkDeviceMemory(b *testing.B) {
	for i := 0; i < b.N; i++ {
		reg, readings := benchFleet(benchDevices)
		var before, after goruntime.MemStats
		goruntime.GC()
		goruntime.ReadMemStats(&before)
		e := startFleet(b, filepath.Join(b.TempDir(), fmt.Sprintf("m%d.db", i)), reg, readings)
		goruntime.GC()
		goruntime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(benchDevices), "heap-B/device")
		goruntime.KeepAlive(e)
	}
}

// BenchmarkRestore measures New on a database holding 10,000 devices'
// checkpoints and timeline rows: the time to restore state after a restart.
func BenchmarkRestore(b *testing.B) {
	path := filepath.Join(b.TempDir(), "oxywatch.db")
	e, _ := benchEngine(b, path, benchDevices)
	e.checkpoint()
	if err := e.Sync(context.Background()); err != nil {
		b.Fatal(err)
	}
	db := openDB(b, path)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e2, err := New(context.Background(), Options{DB: db, Registerer: prometheus.NewRegistry(), Lookup: e.opt.Lookup})
		if err != nil {
			b.Fatal(err)
		}
		if n := len(e2.shards[0].devs); n == 0 {
			b.Fatal("nothing restored")
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/float64(benchDevices), "µs/device")
}

func atomicAdd(p *int64) int64 { return atomic.AddInt64(p, 1) - 1 }

// latencyNotifier signals each Enqueue.
type latencyNotifier chan struct{}

func (l latencyNotifier) Enqueue(context.Context, *sql.Tx, []plant.Transition) error {
	l <- struct{}{}
	return nil
}

// BenchmarkReadingToTransition measures, with the engine running as in
// serve, the time from a reading that fires an alert (device_fault) to
// the Notifier holding its transition inside the committed-to-be
// transaction; p50 and p99 are reported.
func BenchmarkReadingToTransition(b *testing.B) {
	reg, readings := benchFleet(benchDevices)
	db := openDB(b, filepath.Join(b.TempDir(), "oxywatch.db"))
	ln := make(latencyNotifier, 1)
	e, err := New(context.Background(), Options{DB: db, Registerer: prometheus.NewRegistry(), Lookup: reg.lookup, Notifier: ln})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go e.Run(ctx)
	defer e.Stop()
	base := time.Now()
	for i := range readings {
		readings[i].Time = base
		readings[i].Runtime = nil // no maintenance alerts in the way
		e.ObserveReading(readings[i], true)
	}
	if err := e.Sync(ctx); err != nil {
		b.Fatal(err)
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := readings[i%len(readings)]
		r.Time = time.Now()
		if i/len(readings)%2 == 0 {
			r.State = plant.StateFault
		}
		start := time.Now()
		e.ObserveReading(r, true)
		<-ln
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}

// BenchmarkCheckpoint measures saving every device's state (each having
// reported since the last checkpoint), queueing and committing included.
func BenchmarkCheckpoint(b *testing.B) {
	e, readings := benchEngine(b, filepath.Join(b.TempDir(), "oxywatch.db"), benchDevices)
	base := time.Now()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		for j := range readings {
			readings[j].Time = base.Add(time.Duration(i+1) * time.Second)
			e.ObserveReading(readings[j], true)
		}
		b.StartTimer()
		e.checkpoint()
		if err := e.Sync(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/float64(benchDevices), "µs/device")
}

// BenchmarkLateReadings feeds a backlog in random order: 64 devices whose
// newest reading is already in, then 200 older readings each (an outage in
// the middle of every run, so late readings split and trim rows), all of
// them late, shuffled across devices and within each device as shared
// subscriptions and a worker pool deliver them. ns/op is the cost of one
// late reading up to its timeline rows committed; goroutines-peak is the
// most goroutines seen while the backlog is written, above those running
// before it (modernc.org/sqlite starts one per statement run with a
// cancellable context).
func BenchmarkLateReadings(b *testing.B) {
	const devs, per = 64, 200
	reg := registry{}
	for i := range devs {
		d := concentrator(fmt.Sprintf("late-%03d", i), fmt.Sprintf("fac-%03d", i))
		reg[d.ID] = d
	}
	e := startFleet(b, filepath.Join(b.TempDir(), "oxywatch.db"), reg, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	defer func() { e.Stop(); <-done }()
	var peak atomic.Int64
	stop := make(chan struct{})
	go func() {
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				if n := int64(goruntime.NumGoroutine()); n > peak.Load() {
					peak.Store(n)
				}
			}
		}
	}()
	rng := rand.New(rand.NewPCG(1, 2))
	base := time.Now().Add(-1000 * 24 * time.Hour)
	idle := goruntime.NumGoroutine()
	b.ResetTimer()
	for n := 0; n < b.N; {
		base = base.Add(per * time.Hour)
		var batch []plant.Reading
		for i := range devs {
			id := plant.DeviceID(fmt.Sprintf("late-%03d", i))
			newest := running(purity(93))
			newest.Device, newest.Time = id, base.Add(per*time.Minute)
			e.ObserveReading(newest, true)
			for k := range per {
				r := running(purity(93))
				if k >= per/3 && k < per/2 {
					r = running(state(plant.StateOff), power(plant.PowerNone))
				}
				r.Device, r.Time = id, base.Add(time.Duration(k)*time.Minute)
				batch = append(batch, r)
			}
		}
		rng.Shuffle(len(batch), func(i, j int) { batch[i], batch[j] = batch[j], batch[i] })
		batch = batch[:min(len(batch), b.N-n)]
		for _, r := range batch {
			e.ObserveReading(r, false)
		}
		if err := e.Sync(ctx); err != nil {
			b.Fatal(err)
		}
		n += len(batch)
	}
	b.StopTimer()
	close(stop)
	b.ReportMetric(float64(peak.Load()-int64(idle)), "goroutines-peak")
}
