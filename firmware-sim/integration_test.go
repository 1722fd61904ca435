package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/oxywatch/oxywatch/ingest"
	"github.com/oxywatch/oxywatch/internal/testenv"
)

// subscriber counts what arrives under o2/ on a real broker.
type subscriber struct {
	mu        sync.Mutex
	status    map[string][]string
	readings  map[string]int
	rejected  int
	latencies []time.Duration // end to end, from sim_sent_ns
}

func subscribe(t *testing.T, url string) *subscriber {
	t.Helper()
	s := &subscriber{status: map[string][]string{}, readings: map[string]int{}}
	c := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(url).SetClientID("test-subscriber").SetOrderMatters(true))
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("subscriber connect: %v", tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(100) })
	tok := c.Subscribe("o2/#", 1, func(_ mqtt.Client, m mqtt.Message) { s.receive(m.Topic(), m.Payload()) })
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}
	return s
}

func (s *subscriber) receive(topic string, payload []byte) {
	now := time.Now()
	dev, kind, _ := ingest.ParseTopic("o2", topic)
	s.mu.Lock()
	defer s.mu.Unlock()
	if kind == ingest.TopicStatus {
		s.status[string(dev)] = append(s.status[string(dev)], string(payload))
		return
	}
	d := ingest.DecodeTelemetry(dev, payload, now)
	s.readings[string(dev)] += len(d.Readings)
	s.rejected += len(d.Rejected)
	if !d.Backlog {
		var stamp struct {
			SentNS int64 `json:"sim_sent_ns"`
		}
		if json.Unmarshal(payload, &stamp) == nil && stamp.SentNS > 0 {
			s.latencies = append(s.latencies, now.Sub(time.Unix(0, stamp.SentNS)))
		}
	}
}

// devices reports how many devices' last status is want.
func (s *subscriber) devices(want string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, st := range s.status {
		if len(st) > 0 && st[len(st)-1] == want {
			n++
		}
	}
	return n
}

func (s *subscriber) total() (readings, rejected int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range s.readings {
		readings += n
	}
	return readings, s.rejected
}

// startFleet starts the command against mq with 6 devices reporting every
// second, and waits until all are online and have sent readings.
func startFleet(t *testing.T, url string, sub *subscriber) (*syncBuffer, func(syscall.Signal) error) {
	t.Helper()
	cmd := command(t, "--broker", url, "--devices", "6", "--interval", "1s", "--scenario", "demo")
	out := &syncBuffer{}
	cmd.Stderr = out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
	})
	testenv.Eventually(t, 20*time.Second, "6 devices online with readings", func() bool {
		n, _ := sub.total()
		return sub.devices("online") == 6 && n >= 12
	})
	return out, func(sig syscall.Signal) error {
		cmd.Process.Signal(sig)
		select {
		case err := <-done:
			done <- err // for the cleanup
			return err
		case <-time.After(15 * time.Second):
			return fmt.Errorf("firmware-sim did not exit within 15 s of %s:\n%s", sig, out)
		}
	}
}

// TestKilledProcessLeavesLastWill: kill -9 the simulator; the broker
// publishes every device's last will, offline.
func TestKilledProcessLeavesLastWill(t *testing.T) {
	mq := testenv.StartMosquitto(t, testenv.MosquittoOptions{})
	sub := subscribe(t, mq.URL)
	_, stop := startFleet(t, mq.URL, sub)
	if err := stop(syscall.SIGKILL); err == nil {
		t.Fatal("a killed process exited cleanly")
	}
	testenv.Eventually(t, 20*time.Second, "offline (last will) from every device", func() bool { return sub.devices("offline") == 6 })
	if _, rej := sub.total(); rej != 0 {
		t.Errorf("%d readings rejected by the decoder", rej)
	}
}

// TestInterruptSaysOffline: Ctrl-C stops cleanly: exit status 0, every
// device says offline itself, and a summary.
func TestInterruptSaysOffline(t *testing.T) {
	mq := testenv.StartMosquitto(t, testenv.MosquittoOptions{})
	sub := subscribe(t, mq.URL)
	out, stop := startFleet(t, mq.URL, sub)
	if err := stop(syscall.SIGINT); err != nil {
		t.Fatalf("exit after Ctrl-C: %v\n%s", err, out)
	}
	testenv.Eventually(t, 10*time.Second, "offline from every device", func() bool { return sub.devices("offline") == 6 })
	if !strings.Contains(out.String(), "readings") || !strings.Contains(out.String(), "publish errors") {
		t.Errorf("no summary in:\n%s", out)
	}
}

// TestLoadMode drives mosquitto at loadRate readings/s (10,000 without the
// race detector) for five seconds: no publish errors, a progress line each
// second, and every reading must arrive. The rate is measured by
// BenchmarkLoadMode.
func TestLoadMode(t *testing.T) {
	mq := testenv.StartMosquitto(t, testenv.MosquittoOptions{})
	sub := subscribe(t, mq.URL)
	var errOut bytes.Buffer
	o, err := parseFlags([]string{"--broker", mq.URL, "--devices", "200", "--rate", fmt.Sprint(loadRate),
		"--duration", "5s", "--stamp", "--scenario", "storm", "--random-faults", "0", "--gsm-drops", "0"}, &errOut)
	if err != nil {
		t.Fatal(err)
	}
	r, err := newRunner(o, &errOut, &errOut)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := r.run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("target %d readings/s: %s", loadRate, sum.line())
	lines := strings.Count(errOut.String(), "\nload ")
	// The achieved rate depends on the machine: it is reported here and by
	// BenchmarkLoadMode, not asserted. Correctness is: no publish error, a
	// line each second, and every reading delivered.
	if sum.Errors != 0 || lines < 4 {
		t.Errorf("achieved %.0f readings/s for a target of %d, %d publish errors, %d per-second lines:\n%s", sum.Rate, loadRate, sum.Errors, lines, errOut.String())
	}
	testenv.Eventually(t, 30*time.Second, "every reading at the subscriber", func() bool {
		n, _ := sub.total()
		return n >= int(sum.Sent)
	})
	n, rej := sub.total()
	if rej != 0 || n != int(sum.Sent) {
		t.Errorf("subscriber got %d readings (%d rejected), simulator sent %d", n, rej, sum.Sent)
	}
	sub.mu.Lock()
	l := slices.Clone(sub.latencies)
	sub.mu.Unlock()
	p50, p99, top := quantiles(l)
	t.Logf("end-to-end latency (sim_sent_ns to subscriber) over %d readings: p50 %s p99 %s max %s", len(l), p50, p99, top)
	if len(l) < int(sum.Sent)/2 {
		t.Errorf("%d of %d readings carried sim_sent_ns", len(l), sum.Sent)
	}
}

// syncBuffer is a bytes.Buffer safe for a child's output and a test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// BenchmarkLoadMode reports the rate load mode achieves against a local
// mosquitto for a target of 10,000 readings/s over 200 devices (make bench).
func BenchmarkLoadMode(b *testing.B) {
	mq := testenv.StartMosquitto(b, testenv.MosquittoOptions{})
	for range b.N {
		var errOut bytes.Buffer
		o, err := parseFlags([]string{"--broker", mq.URL, "--devices", "200", "--rate", "10000",
			"--duration", "5s", "--scenario", "storm", "--random-faults", "0", "--gsm-drops", "0"}, &errOut)
		if err != nil {
			b.Fatal(err)
		}
		r, err := newRunner(o, &errOut, &errOut)
		if err != nil {
			b.Fatal(err)
		}
		sum, err := r.run(b.Context())
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(sum.Rate, "readings/s")
		b.ReportMetric(float64(sum.Errors), "errors")
	}
}
