package app

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/oxywatch/oxywatch/internal/config"
	"github.com/oxywatch/oxywatch/internal/testenv"
)

// TestStockMosquittoLosesNothing points oxywatch at a Mosquitto with only a
// listener and allow_anonymous: 20 messages in flight and 1000 queued per
// client, as a ministry's existing broker may be. 30,000 readings at
// 5,000/s from 1000 devices, with InfluxDB stopped for 20 s in the middle:
// every reading the broker acknowledged to a device must reach InfluxDB.
func TestStockMosquittoLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test; run without -short (make test does)")
	}
	const devices, total, rate = 1000, 30_000, 5000
	mq := testenv.StartMosquitto(t, testenv.MosquittoOptions{Stock: true})
	in := testenv.StartInfluxd(t, "")
	p := newProcess(t, in.URL, fmt.Sprintf("mqtt:\n  url: %s\n  client_id: oxywatch-stock\n", mq.URL))
	p.startWithin(30 * time.Second)

	epoch := time.Now()
	spec := pubSpec{Broker: mq.URL, Devices: devices, Total: total, Rate: rate, Conns: devices, Window: 1,
		Epoch: epoch.UnixNano(), TSBase: epoch.Add(-24 * time.Hour)}
	// InfluxDB goes away once readings reach it, and comes back 20 s later.
	outage := make(chan struct{})
	go func() {
		defer close(outage)
		for n := 0; n == 0; n, _ = in.Count(t.Context(), db, "o2_reading", "purity_pct") {
			time.Sleep(50 * time.Millisecond) // polling; the deadline is the publisher's run
		}
		in.Stop()
		time.Sleep(20 * time.Second) // the outage's length, not a wait for a result
		in.Start()
	}()
	r := publish(t, spec)
	t.Logf("publisher: %d readings acknowledged by the broker in %.1f s (%.0f/s)", r.Acked, r.Seconds, float64(r.Acked)/r.Seconds)
	<-outage
	waitCount(t, in, total, 3*time.Minute)
	if log := mq.Log(); strings.Contains(log, "dropped") {
		t.Errorf("mosquitto dropped messages:\n%s", log)
	}
}

// BenchmarkStockMosquitto finds the highest rate at which a Mosquitto left
// at its defaults loses nothing, with one subscriber connection (as before
// shared subscriptions) and with the default mqtt.connections. Run it once:
// make bench.
func BenchmarkStockMosquitto(b *testing.B) {
	const devices, perStep = 1000, 20_000
	for range b.N {
		for _, conns := range []int{1, 4} {
			best := 0
			for i, rate := range []int{2500, 5000, 7500, 10_000, 15_000} {
				mq := testenv.StartMosquitto(b, testenv.MosquittoOptions{Stock: true})
				in := testenv.StartInfluxd(b, "")
				a := startBenchApp(b, in.URL, mq.URL, conns)
				epoch := time.Now()
				r := publish(b, pubSpec{Broker: mq.URL, Devices: devices, Total: perStep, Rate: rate, Conns: devices, Window: 1,
					Epoch: epoch.UnixNano(), TSBase: epoch.Add(-time.Duration(i+1) * time.Hour)})
				stored := settledCount(in)
				a.stop()
				mq.Stop()
				in.Stop()
				fmt.Printf("  stock Mosquitto, %d connection(s): asked %5d/s, published %5.0f/s, %d of %d stored\n",
					conns, rate, float64(r.Acked)/r.Seconds, stored, perStep)
				if stored < perStep {
					break
				}
				best = rate
			}
			fmt.Printf("stock Mosquitto, mqtt.connections %d: highest lossless rate asked %d readings/s\n", conns, best)
			b.ReportMetric(float64(best), fmt.Sprintf("lossless_readings/s_%dconn", conns))
		}
	}
}

// settledCount is the number of readings InfluxDB holds once it stopped
// growing for 10 s.
func settledCount(in *testenv.Influxd) int {
	last, since := -1, time.Now()
	for time.Since(since) < 10*time.Second {
		n, _ := in.Count(context.Background(), db, "o2_reading", "purity_pct")
		if n != last {
			last, since = n, time.Now()
		}
		time.Sleep(200 * time.Millisecond) // polling until the count settles
	}
	return last
}

type benchApp struct {
	cancel context.CancelFunc
	done   chan error
}

func (a benchApp) stop() { a.cancel(); <-a.done }

// startBenchApp runs the app in this process behind the external broker.
func startBenchApp(b *testing.B, influxURL, mqttURL string, conns int) benchApp {
	cfg := config.Defaults()
	cfg.DataDir = b.TempDir()
	cfg.HTTP.Addr = "127.0.0.1:0"
	cfg.Influx.URL = influxURL
	cfg.MQTT.URL, cfg.MQTT.ClientID, cfg.MQTT.Connections = mqttURL, "bench-stock", conns
	a, err := New(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	testenv.Eventually(b, 20*time.Second, "ingester connected", func() bool { return a.intake.Connected() })
	return benchApp{cancel: cancel, done: done}
}
