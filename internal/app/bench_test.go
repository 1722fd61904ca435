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
	Acked   int64   `json:"acked"`
	Errors  int64   `json:"errors"`
	Seconds float64 `json:"seconds"`
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
	cmd.Env = append(os.Environ(), "OXYBENCH_PUBLISHER="+string(js))
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
	epoch time.Time
	n     atomic.Int64
	mu    sync.Mutex
	first time.Time
	last  time.Time
	lat   []time.Duration
}

func (a *arrivals) reset(capacity int) {
	a.mu.Lock()
	a.n.Store(0)
	a.first, a.last = time.Time{}, time.Time{}
	a.lat = make([]time.Duration, 0, capacity)
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
	if r.Seq != nil {
		a.arrived(*r.Seq)
	}
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

// BenchmarkIngest compares the full ingester (decode, durable buffer with
// fsync, InfluxDB) with a bare paho subscriber that only counts, both fed
// by the same publisher of 1000 devices, and measures publish→buffer
// latency at 5,000 readings/s. Run it once: make bench.
func BenchmarkIngest(b *testing.B) {
	const devices, total, paced, rate = 1000, 100_000, 50_000, 5000
	s := &stack{mq: testenv.StartMosquitto(b, testenv.MosquittoOptions{Extra: os.Getenv("OXYBENCH_MOSQUITTO_EXTRA")}), in: testenv.StartInfluxd(b, "")}
	epoch := time.Now()
	spec := pubSpec{Broker: s.mq.URL, Devices: devices, Total: total, Conns: 20, Epoch: epoch.UnixNano(), TSBase: epoch.Add(-12 * time.Hour)}

	for range b.N {
		// 1. the ceiling: a subscriber that only counts
		bare := &arrivals{epoch: epoch}
		bare.reset(total)
		o := mqtt.NewClientOptions().AddBroker(s.mq.URL).SetClientID("bench-bare").SetOrderMatters(false)
		o.SetDefaultPublishHandler(func(_ mqtt.Client, m mqtt.Message) { bare.arrived(0) })
		cl := mqtt.NewClient(o)
		if tok := cl.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			b.Fatal(tok.Error())
		}
		if tok := cl.Subscribe("o2/+/telemetry", 1, nil); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			b.Fatal(tok.Error())
		}
		resetPeakRSS()
		u0 := measure()
		publish(b, spec)
		waitArrivals(b, bare, total, 2*time.Minute)
		u1 := measure()
		cl.Disconnect(250)

		// 2. the full ingester
		cfg := config.Defaults()
		cfg.DataDir = b.TempDir()
		cfg.HTTP.Addr = "127.0.0.1:0"
		cfg.MQTT.URL = s.mq.URL
		cfg.MQTT.ClientID = "bench-ingest"
		cfg.Influx.URL = s.in.URL
		full := &arrivals{epoch: epoch}
		full.reset(total)
		a, err := New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), WithConsumer(full))
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- a.Run(ctx) }()
		testenv.Eventually(b, 20*time.Second, "ingester connected", func() bool { return a.intake != nil && a.intake.Connected() })
		resetPeakRSS()
		stopProfile := profileIngest(b)
		u2 := measure()
		publish(b, spec)
		waitArrivals(b, full, total, 5*time.Minute)
		u3 := measure()
		stopProfile()
		fullRate := full.rate()
		storedAt := time.Now()
		waitCount(b, s.in, total, 5*time.Minute)
		storeLag := time.Since(storedAt)

		// 3. latency at a steady 5,000 readings/s
		full.reset(paced)
		lspec := spec
		lspec.Total, lspec.Rate, lspec.TSBase = paced, rate, epoch.Add(-6*time.Hour)
		publish(b, lspec)
		waitArrivals(b, full, paced, 2*time.Minute)
		waitCount(b, s.in, total+paced, 5*time.Minute)
		cancel()
		if err := <-done; err != nil {
			b.Fatal(err)
		}

		bareRate := bare.rate()
		fmt.Printf("\ningest benchmark: %d devices, %d readings, QoS 1, loopback mosquitto, influxd 1.8\n", devices, total)
		fmt.Printf("  bare paho subscriber   %8.0f readings/s   CPU %5.1f µs/reading   peak RSS %4d MiB\n",
			bareRate, perReading(u1.cpu-u0.cpu, total), u1.peakKB/1024)
		fmt.Printf("  full ingester          %8.0f readings/s   CPU %5.1f µs/reading   peak RSS %4d MiB\n",
			fullRate, perReading(u3.cpu-u2.cpu, total), u3.peakKB/1024)
		fmt.Printf("  ratio                  %8.1f %%   (target ≥ 80 %%)\n", 100*fullRate/bareRate)
		fmt.Printf("  all %d readings in InfluxDB, %s after the last reached the buffer\n", total+paced, storeLag.Round(time.Millisecond))
		fmt.Printf("  publish→buffer at %d readings/s: p50 %s  p99 %s  max %s\n", rate,
			full.percentile(0.50).Round(10*time.Microsecond), full.percentile(0.99).Round(10*time.Microsecond), full.percentile(1).Round(10*time.Microsecond))
		b.ReportMetric(bareRate, "bare_readings/s")
		b.ReportMetric(fullRate, "ingest_readings/s")
		b.ReportMetric(100*fullRate/bareRate, "ratio_%")
		b.ReportMetric(float64(full.percentile(0.99).Microseconds()), "p99_µs@5k/s")
	}
}

// profileIngest writes a CPU profile of the full ingester's run to the
// file named by OXYBENCH_CPUPROFILE, when set.
func profileIngest(b *testing.B) (stop func()) {
	path := os.Getenv("OXYBENCH_CPUPROFILE")
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

func perReading(d time.Duration, n int) float64 { return float64(d.Microseconds()) / float64(n) }
