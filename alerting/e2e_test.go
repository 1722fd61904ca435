package alerting

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/oxywatch/oxywatch/ingest"
	"github.com/oxywatch/oxywatch/ingest/buffer"
	"github.com/oxywatch/oxywatch/internal/plant"
	"github.com/oxywatch/oxywatch/internal/testenv"
)

// directory is the registry as ingest sees it.
type directory struct{ reg registry }

func (d directory) Device(id plant.DeviceID) (plant.Device, bool) { return d.reg.lookup(id) }
func (d directory) AddUnknown(plant.DeviceID, time.Time)          {}

// TestEndToEndMosquitto: a registered PSA plant publishes purity 75 % to a
// real mosquitto; the ingester makes the readings durable and hands them to
// the engine, and critical_purity fires in the store the API reads. The
// engine's clock is moved a minute between the two readings (the rule's
// `for`), the readings carry the matching device time.
func TestEndToEndMosquitto(t *testing.T) {
	mq := testenv.StartMosquitto(t, testenv.MosquittoOptions{})
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	reg := registry{"psa-1": psa("psa-1", "mulago")}
	clk := &clock{t: time.Now().UTC().Truncate(time.Millisecond)}
	e, err := New(ctx, Options{
		DB: openDB(t, filepath.Join(dir, "oxywatch.db")), Registerer: prometheus.NewRegistry(),
		Lookup: reg.lookup, Now: clk.Now, Tick: 20 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	defer func() { e.Stop(); <-done }()

	buf, err := buffer.Open(filepath.Join(dir, "buffer"), buffer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer buf.Close()
	in := ingest.New(ingest.Options{Buffer: buf, Directory: directory{reg}, Consumer: e, Registerer: prometheus.NewRegistry()})
	sub := ingest.NewSubscriber(ingest.MQTTOptions{URL: mq.URL, ClientID: "oxywatch-alerting-e2e", TopicPrefix: "o2",
		Registerer: prometheus.NewRegistry()}, in.HandleMessageAsync)
	sub.Start(ctx)
	defer sub.Stop()
	testenv.Eventually(t, 10*time.Second, "ingester connected", sub.Connected)

	pub := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(mq.URL).SetClientID("psa-1"))
	if tok := pub.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("device connect: %v", tok.Error())
	}
	defer pub.Disconnect(100)
	publish := func(purity float64) {
		t.Helper()
		payload := fmt.Sprintf(`{"ts":%q,"purity_pct":%g,"state":"running","flow_lpm":40,"pressure_bar":5}`,
			clk.Now().Format(time.RFC3339Nano), purity)
		if tok := pub.Publish("o2/psa-1/telemetry", 1, false, payload); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			t.Fatalf("publish: %v", tok.Error())
		}
	}
	firing := func() bool {
		l, err := e.Alerts(ctx, AlertFilter{Device: "psa-1", Rule: RuleCriticalPurity, State: string(plant.AlertFiring)})
		if err != nil {
			t.Fatal(err)
		}
		return len(l) == 1
	}
	publish(75)
	testenv.Eventually(t, 10*time.Second, "first reading evaluated", func() bool { return heard(e, "psa-1") })
	if firing() {
		t.Fatal("critical_purity fired before its minute")
	}
	clk.Set(clk.Now().Add(61 * time.Second))
	publish(75)
	testenv.Eventually(t, 10*time.Second, "critical_purity firing in the store", firing)
	a, _ := e.Alerts(ctx, AlertFilter{Device: "psa-1"})
	if a[0].Facility != "mulago" || a[0].Severity != plant.SeverityCritical || a[0].Value == nil || *a[0].Value != 75 {
		t.Fatalf("alert %+v", a[0])
	}
}

// heard reports whether the engine has a reading of the device.
func heard(e *Engine, id plant.DeviceID) bool {
	sh := e.shardOf(id)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	d := sh.devs[id]
	return d != nil && d.lastTs != 0
}
