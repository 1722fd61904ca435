package app

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/oxywatch/oxywatch/internal/config"
	"github.com/oxywatch/oxywatch/internal/plant"
	"github.com/oxywatch/oxywatch/internal/testenv"
)

// The ingest benchmark runs the publisher in a child process (this test
// binary, re-executed), so the CPU and memory measured here are the
// subscriber's alone.
func TestMain(m *testing.M) {
	if os.Getenv("OXYBENCH_PUBLISHER") != "" {
		if err := runPublisher(); err != nil {
			fmt.Fprintln(os.Stderr, "publisher:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// pubSpec is what one publisher run does.
type pubSpec struct {
	Broker  string        `json:"broker"`
	Devices int           `json:"devices"`
	Total   int           `json:"total"`
	Rate    int           `json:"rate"`  // readings/s; 0 = as fast as the broker takes them
	Conns   int           `json:"conns"` // MQTT connections the devices share
	Epoch   int64         `json:"epoch"` // unix ns; seq carries µs since then
	TSBase  time.Time     `json:"ts_base"`
	Window  int           `json:"window"` // unacknowledged publishes per connection
	Timeout time.Duration `json:"timeout"`
}

type pubResult struct {
	Acked   int64         `json:"acked"`
	Errors  int64         `json:"errors"`
	Seconds float64       `json:"seconds"`
	CPU     time.Duration `json:"-"` // the publisher process's CPU, user and system
}

// runPublisher publishes spec.Total readings from spec.Devices devices over
// spec.Conns connections with QoS 1 and prints a pubResult.
func runPublisher() error {
	var spec pubSpec
	if err := json.Unmarshal([]byte(os.Getenv("OXYBENCH_PUBLISHER")), &spec); err != nil {
		return err
	}
	epoch := time.Unix(0, spec.Epoch)
	var acked, errs atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	perConn := spec.Total / spec.Conns
	for c := range spec.Conns {
		o := mqtt.NewClientOptions().AddBroker(spec.Broker).SetClientID(fmt.Sprintf("bench-pub-%d", c)).
			SetAutoReconnect(false).SetWriteTimeout(30 * time.Second)
		cl := mqtt.NewClient(o)
		if tok := cl.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			return fmt.Errorf("connect: %v", tok.Error())
		}
		defer cl.Disconnect(250)
		wg.Go(func() {
			window := make([]mqtt.Token, 0, spec.Window)
			wait := func(tok mqtt.Token) {
				if tok.WaitTimeout(spec.Timeout) && tok.Error() == nil {
					acked.Add(1)
				} else {
					errs.Add(1)
				}
			}
			var interval time.Duration
			if spec.Rate > 0 {
				interval = time.Duration(float64(time.Second) * float64(spec.Conns) / float64(spec.Rate))
			}
			var buf []byte
			for i := range perConn {
				if interval > 0 {
					if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
						time.Sleep(d) // pacing the publisher, not waiting for a result
					}
				}
				dev := c + spec.Conns*(i%(spec.Devices/spec.Conns))
				k := i / (spec.Devices / spec.Conns) // this device's k-th reading
				buf = fmt.Appendf(buf[:0], `{"ts":%d,"seq":%d,"purity_pct":93.4,"pressure_bar":4.6,"flow_lpm":%d,"runtime_h":%d,"state":"running","power":"mains"}`,
					spec.TSBase.Add(time.Duration(k)*time.Second).UnixMilli(), time.Since(epoch).Microseconds(), 300+i%200, 1000+k)
				tok := cl.Publish(fmt.Sprintf("o2/bench-%04d/telemetry", dev), 1, false, bytes.Clone(buf))
				if len(window) == spec.Window {
					wait(window[0])
					window = window[1:]
				}
				window = append(window, tok)
			}
			for _, tok := range window {
				wait(tok)
			}
		})
	}
	wg.Wait()
	return json.NewEncoder(os.Stdout).Encode(pubResult{Acked: acked.Load(), Errors: errs.Load(), Seconds: time.Since(start).Seconds()})
}

func publish(b testing.TB, spec pubSpec) pubResult {
	b.Helper()
	spec.Conns = max(spec.Conns, 1)
	spec.Window = max(spec.Window, 500)
	spec.Timeout = max(spec.Timeout, time.Minute)
	js, _ := json.Marshal(spec)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	// The publisher runs with Go's defaults whatever the benchmark tries.
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "GOMEMLIMIT=") || strings.HasPrefix(kv, "GOGC=") || strings.HasPrefix(kv, "GODEBUG=")
	})
	cmd.Env = append(env, "OXYBENCH_PUBLISHER="+string(js))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		b.Fatalf("publisher: %v\n%s", err, stderr.String())
	}
	var r pubResult
	if err := json.Unmarshal(out, &r); err != nil {
		b.Fatalf("publisher output %q: %v", out, err)
	}
	r.CPU = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	if r.Errors > 0 || r.Acked != int64(spec.Total) {
		b.Fatalf("publisher: %d acknowledged, %d errors, want %d acknowledged", r.Acked, r.Errors, spec.Total)
	}
	return r
}

// usage is the process's CPU time and peak RSS.
type usage struct {
	cpu    time.Duration
	peakKB int64
}

func measure() usage {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	u := usage{cpu: time.Duration(ru.Utime.Nano() + ru.Stime.Nano())}
	if f, err := os.Open("/proc/self/status"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
				u.peakKB, _ = strconv.ParseInt(strings.Fields(rest)[0], 10, 64)
			}
		}
		f.Close()
	}
	return u
}

// resetPeakRSS makes VmHWM start again from the current RSS (Linux).
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// arrivals records when readings arrive and how long after publishing.
type arrivals struct {
	epoch  time.Time
	n      atomic.Int64
	mu     sync.Mutex
	first  time.Time
	last   time.Time
	lat    []time.Duration
	newest map[plant.DeviceID]int64 // each device's highest seq so far
	late   int                      // readings that came after a newer one of their device
}

func (a *arrivals) reset(capacity int) {
	a.mu.Lock()
	a.n.Store(0)
	a.first, a.last = time.Time{}, time.Time{}
	a.lat = make([]time.Duration, 0, capacity)
	a.newest, a.late = map[plant.DeviceID]int64{}, 0
	a.mu.Unlock()
}

func (a *arrivals) arrived(seq int64) {
	now := time.Now()
	a.mu.Lock()
	if a.first.IsZero() {
		a.first = now
	}
	a.last = now
	a.lat = append(a.lat, now.Sub(a.epoch)-time.Duration(seq)*time.Microsecond)
	a.mu.Unlock()
	a.n.Add(1)
}

func (a *arrivals) ObserveReading(r plant.Reading, _ bool) {
	if r.Seq == nil {
		return
	}
	a.mu.Lock()
	if *r.Seq < a.newest[r.Device] {
		a.late++
	}
	a.newest[r.Device] = max(a.newest[r.Device], *r.Seq)
	a.mu.Unlock()
	a.arrived(*r.Seq)
}

func (a *arrivals) lateShare() float64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return 100 * float64(a.late) / float64(max(a.n.Load(), 1))
}
func (a *arrivals) ObserveStatus(plant.StatusMessage) {}

func (a *arrivals) rate() float64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return float64(a.n.Load()) / a.last.Sub(a.first).Seconds()
}

func (a *arrivals) percentile(p float64) time.Duration {
	a.mu.Lock()
	defer a.mu.Unlock()
	s := slices.Clone(a.lat)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[min(len(s)-1, int(p*float64(len(s))))]
}

func waitArrivals(b *testing.B, a *arrivals, want int, within time.Duration) {
	b.Helper()
	testenv.Eventually(b, within, fmt.Sprintf("%d readings to arrive", want), func() bool { return a.n.Load() >= int64(want) })
}

// BenchmarkIngest compares, fed by the same publisher of 1000 devices on
// one connection each (as in the field): a bare paho subscriber that only
// counts, on a tuned Mosquitto; the full ingester (decode, durable buffer
// with fsync, InfluxDB) behind that Mosquitto; and the full ingester with
// its embedded broker, the default path. Then, for both full runs,
// publish→buffer latency at a steady 10,000 readings/s, with CPU and peak
// RSS. Run it once: make bench.
func BenchmarkIngest(b *testing.B) {
	const devices, total = 1000, 100_000
	mq := testenv.StartMosquitto(b, testenv.MosquittoOptions{Extra: os.Getenv("OXYBENCH_MOSQUITTO_EXTRA")})
	in := testenv.StartInfluxd(b, "")
	epoch := time.Now()
	spec := pubSpec{Devices: devices, Total: total, Conns: devices, Window: 10, Epoch: epoch.UnixNano()}

	for range b.N {
		spec.Broker, spec.TSBase = mq.URL, epoch.Add(-12*time.Hour)
		bare := benchBare(b, spec, mq)
		stored := 0
		spec.TSBase = epoch.Add(-11 * time.Hour)
		m0 := mq.CPU()
		external := benchFull(b, spec, in, mq.URL, &stored)
		external.brokerPer = perReading(mq.CPU()-m0, spec.Total)
		external.brokerMiB = mq.PeakRSSMiB()
		spec.TSBase = epoch.Add(-10 * time.Hour)
		embedded := benchFull(b, spec, in, "", &stored)

		fmt.Printf("\ningest benchmark: %d devices on one connection each, %d readings each run, QoS 1, influxd 1.8\n", devices, total)
		for _, r := range []benchRun{bare, external, embedded} {
			fmt.Printf("  %-38s %8.0f readings/s   CPU %5.1f µs/reading   peak RSS %4d MiB", r.name, r.rate, r.cpuPer, r.peakMiB)
			if r.brokerPer > 0 {
				fmt.Printf("   + Mosquitto %4.1f µs = %5.1f µs", r.brokerPer, r.cpuPer+r.brokerPer)
			}
			fmt.Printf("   (%d GCs, %.1f KiB allocated/reading; publisher %4.1f µs/reading)\n", r.gcs, r.allocPer/1024, r.pubPer)
		}
		fmt.Printf("  CPU per reading, broker included: embedded %.1f µs vs bare subscriber + Mosquitto %.1f µs (%.2f ×)\n",
			embedded.cpuPer, bare.cpuPer+bare.brokerPer, embedded.cpuPer/(bare.cpuPer+bare.brokerPer))
		fmt.Printf("  ingester via Mosquitto / bare    %6.1f %%   (target ≥ 80 %%)\n", 100*external.rate/bare.rate)
		fmt.Printf("  embedded / bare                  %6.1f %%   (target ≥ 80 %%)\n", 100*embedded.rate/bare.rate)
		fmt.Printf("  embedded / via Mosquitto         %6.2f ×   (target ≥ 1)\n", embedded.rate/external.rate)
		fmt.Printf("  at a steady %d readings/s from %d devices (target: peak RSS ≤ 64 MiB):\n", pacedRate, devices)
		for _, r := range []benchRun{external, embedded} {
			fmt.Printf("    %-36s CPU %5.1f µs/reading   peak RSS %4d MiB", r.name, r.pacedCPU, r.pacedMiB)
			if r.brokerMiB > 0 {
				fmt.Printf(" + Mosquitto's %d MiB", r.brokerMiB)
			}
			fmt.Printf("   publish→buffer p50 %s  p99 %s  max %s\n", r.lat.percentile(0.50).Round(10*time.Microsecond),
				r.lat.percentile(0.99).Round(10*time.Microsecond), r.lat.percentile(1).Round(10*time.Microsecond))
		}
		b.ReportMetric(bare.rate, "bare_readings/s")
		b.ReportMetric(external.rate, "mosquitto_readings/s")
		b.ReportMetric(embedded.rate, "embedded_readings/s")
		b.ReportMetric(embedded.cpuPer, "embedded_µs/reading")
		b.ReportMetric(external.cpuPer, "mosquitto_µs/reading")
	}
}

type benchRun struct {
	name      string
	rate      float64
	cpuPer    float64 // this process
	brokerPer float64 // the external broker's CPU, when there is one
	pubPer    float64 // the publisher's CPU (the same program in every run)
	gcs       uint32  // garbage collections during the run
	allocPer  float64 // heap bytes allocated per reading
	peakMiB   int64
	brokerMiB int64     // the external broker's peak RSS
	lat       *arrivals // at pacedRate
	pacedCPU  float64   // µs per reading at pacedRate
	pacedMiB  int64     // peak RSS at pacedRate
}

// Each full run ends with pacedTotal readings at a steady pacedRate:
// latency, CPU and peak RSS at issue 12's rate.
const pacedTotal, pacedRate = 50_000, 10_000

// startRun returns this process's memory to the OS (what earlier runs left
// would count as this run's), makes the peak RSS start again from there,
// and returns the usage and GC count to measure from.
func startRun() (usage, uint32) {
	debug.FreeOSMemory()
	resetPeakRSS()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return measure(), ms.NumGC
}

// allocated is how many bytes the heap has handed out since the start.
func allocated() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

func gcsSince(n uint32) uint32 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.NumGC - n
}

// benchBare measures the ceiling: a paho subscriber that only counts.
func benchBare(b *testing.B, spec pubSpec, mq *testenv.Mosquitto) benchRun {
	bare := &arrivals{epoch: time.Unix(0, spec.Epoch)}
	bare.reset(spec.Total)
	o := mqtt.NewClientOptions().AddBroker(spec.Broker).SetClientID("bench-bare").SetOrderMatters(false)
	o.SetDefaultPublishHandler(func(_ mqtt.Client, m mqtt.Message) { bare.arrived(0) })
	cl := mqtt.NewClient(o)
	if tok := cl.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		b.Fatal(tok.Error())
	}
	defer cl.Disconnect(250)
	if tok := cl.Subscribe("o2/+/telemetry", 1, nil); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		b.Fatal(tok.Error())
	}
	u0, gc0 := startRun()
	a0 := allocated()
	m0 := mq.CPU()
	pub := publish(b, spec)
	waitArrivals(b, bare, spec.Total, 2*time.Minute)
	u1, m1 := measure(), mq.CPU()
	return benchRun{name: "bare paho subscriber (tuned Mosquitto)", rate: bare.rate(), cpuPer: perReading(u1.cpu-u0.cpu, spec.Total),
		brokerPer: perReading(m1-m0, spec.Total), pubPer: perReading(pub.CPU, spec.Total), gcs: gcsSince(gc0), peakMiB: u1.peakKB / 1024,
		allocPer: float64(allocated()-a0) / float64(spec.Total)}
}

// benchFull runs the whole app in this process, behind the external broker
// at mqttURL or, when it is empty, with its embedded broker; *stored counts
// the readings InfluxDB must hold afterwards. Then it measures latency,
// CPU and memory at a steady rate.
func benchFull(b *testing.B, spec pubSpec, in *testenv.Influxd, mqttURL string, stored *int) benchRun {
	cfg := config.Defaults()
	cfg.DataDir = b.TempDir()
	cfg.HTTP.Addr = "127.0.0.1:0"
	cfg.Influx.URL = in.URL
	if v := os.Getenv("OXYBENCH_MEMORY_LIMIT_MIB"); v != "" {
		cfg.MemoryLimitMiB, _ = strconv.Atoi(v)
	}
	name := "full ingester via tuned Mosquitto"
	if mqttURL != "" {
		cfg.MQTT.URL, cfg.MQTT.ClientID = mqttURL, "bench-ingest"
	} else {
		cfg.MQTT.Listen = fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(b))
		spec.Broker = "tcp://" + cfg.MQTT.Listen
		name = "full ingester, embedded broker"
	}
	full := &arrivals{epoch: time.Unix(0, spec.Epoch)}
	full.reset(spec.Total)
	a, err := New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), WithConsumer(full))
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	testenv.Eventually(b, 20*time.Second, "ingester connected", func() bool { return a.intake != nil && a.intake.Connected() })
	u0, gc0 := startRun()
	a0 := allocated()
	stopProfile := profileIngest(b, mqttURL == "")
	allocs := os.Getenv("OXYBENCH_ALLOCPROFILE") // allocations of the run: go tool pprof -diff_base PATH.start.BOOL PATH.end.BOOL
	if allocs != "" {
		writeHeapProfile(fmt.Sprintf("%s.start.%t", allocs, mqttURL == ""))
	}
	if path := os.Getenv("OXYBENCH_MEMPROFILE"); path != "" {
		// the heap in the middle of the run, when it is largest
		time.AfterFunc(3*time.Second, func() {
			if f, err := os.Create(fmt.Sprintf("%s.%t", path, mqttURL == "")); err == nil {
				_ = pprof.Lookup("heap").WriteTo(f, 0)
				f.Close()
			}
			if f, err := os.Create(fmt.Sprintf("%s.goroutines.%t", path, mqttURL == "")); err == nil {
				_ = pprof.Lookup("goroutine").WriteTo(f, 1)
				f.Close()
			}
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			fmt.Printf("  %s, mid-run: heap in use %d MiB, heap idle %d MiB, stacks %d MiB, goroutines %d, Sys %d MiB\n",
				name, ms.HeapInuse>>20, (ms.HeapIdle-ms.HeapReleased)>>20, ms.StackInuse>>20, runtime.NumGoroutine(), ms.Sys>>20)
		})
	}
	peaks := watchMemory()
	pub := publish(b, spec)
	waitArrivals(b, full, spec.Total, 5*time.Minute)
	u1 := measure()
	stopProfile()
	if allocs != "" {
		writeHeapProfile(fmt.Sprintf("%s.end.%t", allocs, mqttURL == ""))
	}
	fmt.Printf("  %s, peaks: %s\n", name, peaks())
	fmt.Printf("  %s: %.2f %% of readings came after a newer one of their device\n", name, full.lateShare())
	run := benchRun{name: name, rate: full.rate(), cpuPer: perReading(u1.cpu-u0.cpu, spec.Total), pubPer: perReading(pub.CPU, spec.Total),
		gcs: gcsSince(gc0), peakMiB: u1.peakKB / 1024, allocPer: float64(allocated()-a0) / float64(spec.Total)}
	*stored += spec.Total
	waitCount(b, in, *stored, 5*time.Minute)
	full.reset(pacedTotal)
	lspec := spec
	// Live readings, newer than the run's: each device's readings
	// older than its newest are a backlog, which alerting folds into
	// the timeline with SQL each (a replay's cost, not this one's).
	lspec.Total, lspec.Rate, lspec.TSBase = pacedTotal, pacedRate, spec.TSBase.Add(30*time.Minute)
	p0, _ := startRun()
	peaks = watchMemory()
	pacedProfile := "OXYBENCH_CPUPROFILE_PACED_EXTERNAL"
	if mqttURL == "" {
		pacedProfile = "OXYBENCH_CPUPROFILE_PACED"
	}
	stopProfile = profileTo(b, os.Getenv(pacedProfile))
	if path := os.Getenv("OXYBENCH_MEMPROFILE"); path != "" {
		time.AfterFunc(3*time.Second, func() { writeHeapProfile(fmt.Sprintf("%s.paced.%t", path, mqttURL == "")) })
	}
	publish(b, lspec)
	waitArrivals(b, full, pacedTotal, 2*time.Minute)
	p1 := measure()
	stopProfile()
	fmt.Printf("  %s at %d readings/s, peaks: %s\n", name, pacedRate, peaks())
	*stored += pacedTotal
	waitCount(b, in, *stored, 5*time.Minute)
	run.lat, run.pacedCPU, run.pacedMiB = full, perReading(p1.cpu-p0.cpu, pacedTotal), p1.peakKB/1024
	cancel()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	return run
}

// writeHeapProfile writes what is live on the heap now (after a GC) to path.
func writeHeapProfile(path string) {
	runtime.GC()
	if f, err := os.Create(path); err == nil {
		_ = pprof.Lookup("heap").WriteTo(f, 0)
		f.Close()
	}
}

// profileIngest writes a CPU profile of the full ingester's run to the
// file named by OXYBENCH_CPUPROFILE (OXYBENCH_CPUPROFILE_EMBEDDED for the
// embedded broker's run; OXYBENCH_CPUPROFILE_PACED for its steady part), when set.
func profileIngest(b *testing.B, embedded bool) (stop func()) {
	path := os.Getenv("OXYBENCH_CPUPROFILE")
	if embedded {
		path = os.Getenv("OXYBENCH_CPUPROFILE_EMBEDDED")
	}
	return profileTo(b, path)
}

// profileTo writes a CPU profile to path, when it is not empty, until the
// returned function is called.
func profileTo(b *testing.B, path string) (stop func()) {
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		b.Fatal(err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }
}

// watchMemory samples the Go runtime's memory classes every 50 ms until
// the returned function is called, which says the largest of each: where
// the peak RSS comes from.
func watchMemory() (peaks func() string) {
	names := []string{"/memory/classes/heap/objects:bytes", "/memory/classes/heap/unused:bytes", "/memory/classes/heap/free:bytes",
		"/memory/classes/os-stacks:bytes", "/memory/classes/heap/stacks:bytes", "/memory/classes/total:bytes", "/memory/classes/heap/released:bytes",
		"/gc/stack/starting-size:bytes", "/sched/goroutines:goroutines"}
	samples := make([]metrics.Sample, len(names))
	for i, n := range names {
		samples[i].Name = n
	}
	most := make([]uint64, len(names))
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		dumped := false
		for {
			metrics.Read(samples)
			for i, s := range samples {
				most[i] = max(most[i], s.Value.Uint64())
			}
			if path := os.Getenv("OXYBENCH_MEMPROFILE"); path != "" && samples[8].Value.Uint64() > 3000 && !dumped {
				dumped = true // who makes so many goroutines
				if f, err := os.Create(path + ".crowd"); err == nil {
					_ = pprof.Lookup("goroutine").WriteTo(f, 2)
					f.Close()
				}
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	return func() string {
		close(stop)
		<-done
		return fmt.Sprintf("heap objects %d MiB, unused %d MiB, free %d MiB, stacks %d MiB, Go total %d MiB (released %d MiB), goroutines %d starting at up to %d KiB",
			most[0]>>20, most[1]>>20, most[2]>>20, (most[3]+most[4])>>20, most[5]>>20, most[6]>>20, most[8], most[7]>>10)
	}
}

func perReading(d time.Duration, n int) float64 { return float64(d.Microseconds()) / float64(n) }
