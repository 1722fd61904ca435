package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/oxywatch/oxywatch/internal/config"
	"github.com/oxywatch/oxywatch/internal/testenv"
)

const db = "oxywatch"

// stack is a real mosquitto and influxd for one test.
type stack struct {
	mq *testenv.Mosquitto
	in *testenv.Influxd
}

func newStack(t *testing.T) *stack {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test; run without -short (make test does)")
	}
	return &stack{mq: testenv.StartMosquitto(t, testenv.MosquittoOptions{}), in: testenv.StartInfluxd(t, "")}
}

func (s *stack) config(t *testing.T, dataDir string) config.Config {
	t.Helper()
	cfg := config.Defaults()
	cfg.DataDir = dataDir
	cfg.HTTP.Addr = "127.0.0.1:0"
	cfg.MQTT.URL = s.mq.URL
	cfg.MQTT.ClientID = "oxywatch-test"
	cfg.Influx.URL = s.in.URL
	cfg.Influx.MaxRetryWait = time.Second
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// startApp runs an in-process OxyWatch until the test ends.
func startApp(t *testing.T, cfg config.Config) *App {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	a, err := New(context.Background(), cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("app stopped with %v", err)
		}
	})
	testenv.Eventually(t, 20*time.Second, "ingester connected", func() bool { return a.intake != nil && a.intake.Connected() })
	return a
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// publisher publishes QoS 1 readings and remembers which the broker acknowledged.
type publisher struct {
	c     mqtt.Client
	acked atomic.Int64
}

func newPublisher(t *testing.T, url, id string) *publisher {
	t.Helper()
	o := mqtt.NewClientOptions().AddBroker(url).SetClientID(id).SetAutoReconnect(false).SetMaxResumePubInFlight(200)
	c := mqtt.NewClient(o)
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("publisher connect: %v", tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(100) })
	return &publisher{c: c}
}

var base = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

func reading(j int) string {
	return fmt.Sprintf(`{"ts":%d,"seq":%d,"purity_pct":93.1,"pressure_bar":4.8,"flow_lpm":410,"runtime_h":%d,"state":"running","power":"mains"}`,
		base.Add(time.Duration(j)*time.Minute).UnixMilli(), j, 1000+j)
}

// publishFleet publishes perDevice readings for each of n devices, in
// parallel per device, and waits for every PUBACK.
func (p *publisher) publishFleet(t *testing.T, n, perDevice int, between func(j int)) {
	t.Helper()
	for j := range perDevice {
		if between != nil {
			between(j)
		}
		toks := make([]mqtt.Token, 0, n)
		for d := range n {
			toks = append(toks, p.c.Publish(fmt.Sprintf("o2/dev-%03d/telemetry", d), 1, false, reading(j)))
		}
		for _, tok := range toks {
			if !tok.WaitTimeout(30*time.Second) || tok.Error() != nil {
				t.Fatalf("publish: %v", tok.Error())
			}
			p.acked.Add(1)
		}
	}
}

// waitCount polls InfluxDB until it holds want readings, then checks it
// holds exactly that many (a duplicate with another timestamp would show).
func waitCount(t testing.TB, in *testenv.Influxd, want int, within time.Duration) {
	t.Helper()
	got := 0
	testenv.Eventually(t, within, fmt.Sprintf("%d points in InfluxDB", want), func() bool {
		got, _ = in.Count(context.Background(), db, "o2_reading", "purity_pct")
		return got >= want
	})
	if got != want {
		t.Fatalf("got %d points in InfluxDB, want exactly %d", got, want)
	}
}

func TestTenThousandReadingsArriveExactly(t *testing.T) {
	s := newStack(t)
	startApp(t, s.config(t, t.TempDir()))
	p := newPublisher(t, s.mq.URL, "pub-10k")
	p.publishFleet(t, 100, 100, nil)
	if p.acked.Load() != 10000 {
		t.Fatalf("broker acknowledged %d, want 10000", p.acked.Load())
	}
	waitCount(t, s.in, 10000, 60*time.Second)
}

func TestInfluxOutageLosesNothing(t *testing.T) {
	s := newStack(t)
	a := startApp(t, s.config(t, t.TempDir()))
	p := newPublisher(t, s.mq.URL, "pub-outage")
	p.publishFleet(t, 100, 100, func(j int) {
		switch j {
		case 20:
			s.in.Stop()
		case 70:
			// the buffer must be holding what InfluxDB could not take
			if d := a.buf.Stats().Depth; d == 0 {
				t.Errorf("buffer depth %d during the outage, want > 0", d)
			}
			s.in.Start()
		}
	})
	waitCount(t, s.in, 10000, 120*time.Second)
	if got := metricValue(t, a, "oxywatch_store_write_batches_total", `result="retry"`); got < 1 {
		t.Errorf("got %v retried batches, want at least 1 during the outage", got)
	}
}

func TestBadPayloadsCountedGoodOnesLand(t *testing.T) {
	s := newStack(t)
	a := startApp(t, s.config(t, t.TempDir()))
	p := newPublisher(t, s.mq.URL, "pub-bad")
	var backlog strings.Builder
	backlog.WriteString("[")
	for i := range 1001 {
		if i > 0 {
			backlog.WriteString(",")
		}
		fmt.Fprintf(&backlog, `{"ts":%d,"purity_pct":93}`, base.Unix()+int64(i))
	}
	backlog.WriteString("]")
	now := time.Now().UTC()
	bad := []struct{ topic, payload, reason string }{
		{"o2/bad-1/telemetry", `purity=93`, "not_json"},
		{"o2/bad-1/telemetry", `{"purity_pct":"high"}`, "bad_type"},
		{"o2/bad-1/telemetry", `{"purity_pct":140}`, "out_of_range"},
		{"o2/bad-1/telemetry", `{"purity_pct":1e400}`, "non_finite"},
		{"o2/bad-1/telemetry", fmt.Sprintf(`{"ts":"%s","purity_pct":93}`, now.Add(time.Hour).Format(time.RFC3339)), "future_ts"},
		{"o2/bad-1/telemetry", `{"purity_pct":93,"pad":"` + strings.Repeat("x", 70000) + `"}`, "too_big"},
		{"o2/bad-1/telemetry", backlog.String(), "backlog_too_long"},
		{"o2/bad$1/telemetry", `{"purity_pct":93}`, "bad_device_id"},
		{"o2/bad-1/status", `sleepy`, "bad_status"},
	}
	good := 0
	for i, b := range bad {
		pub(t, p, "o2/good-1/telemetry", reading(2*i)) // a good reading on each side
		pub(t, p, b.topic, b.payload)
		pub(t, p, "o2/good-1/telemetry", reading(2*i+1))
		good += 2
	}
	waitCount(t, s.in, good, 30*time.Second)
	for _, b := range bad {
		if got := metricValue(t, a, "oxywatch_ingest_rejected_total", fmt.Sprintf(`reason="%s"`, b.reason)); got != 1 {
			t.Errorf("%s: got counter %v, want 1", b.reason, got)
		}
	}
	// Messages are handled concurrently, so which rejection of bad-1 came
	// last is not defined; a lone bad message shows as its device's error.
	pub(t, p, "o2/bad-2/status", "sleepy")
	testenv.Eventually(t, 10*time.Second, "bad-2's last error", func() bool {
		st, ok := a.ingest.Fleet().Get("bad-2")
		return ok && strings.Contains(st.LastError, "bad_status")
	})
	if st, ok := a.ingest.Fleet().Get("bad-1"); !ok || st.LastError == "" {
		t.Errorf("bad-1 has no last error")
	}
}

func pub(t *testing.T, p *publisher, topic, payload string) {
	t.Helper()
	tok := p.c.Publish(topic, 1, false, payload)
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("publish %s: %v", topic, tok.Error())
	}
}

// metricValue scrapes the app's /metrics for one series.
func metricValue(t *testing.T, a *App, name, labels string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + a.HTTPAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(line, name+"{") && strings.Contains(line, labels) || line != "" && labels == "" && strings.HasPrefix(line, name+" ") {
			var v float64
			fmt.Sscanf(line[strings.LastIndexByte(line, ' ')+1:], "%g", &v)
			return v
		}
	}
	t.Fatalf("metric %s{%s} not found", name, labels)
	return 0
}
