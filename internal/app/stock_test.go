package app

import (
	"fmt"
	"strings"
	"testing"
	"time"

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
