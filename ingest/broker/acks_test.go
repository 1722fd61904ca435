package broker

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/oxywatch/oxywatch/internal/testenv"
)

// held records the messages an async handler was given and lets the test
// say when each one is durable.
type held struct {
	mu       sync.Mutex
	payloads []string
	dones    []func(error)
	told     int // dones called
	worst    int // most messages held at once, not yet told
}

func (h *held) handle(_ context.Context, _ string, payload []byte, done func(error)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.payloads = append(h.payloads, string(payload))
	h.dones = append(h.dones, done)
	h.worst = max(h.worst, len(h.dones)-h.told)
}

func (h *held) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.dones)
}

// tell says message i (in arrival order) is durable (nil) or not.
func (h *held) tell(i int, err error) {
	h.mu.Lock()
	done := h.dones[i]
	h.told++
	h.mu.Unlock()
	done(err)
}

// startAsyncBroker starts a broker that hands QoS 1 publishes to h; with
// users, it lets in only them (the ingester's login is "oxywatch").
func startAsyncBroker(t *testing.T, h *held, users ...User) (*Broker, string) {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	b, err := New(Options{
		Listen: addr, DataDir: t.TempDir(), TopicPrefix: "o2", Ingester: "oxywatch", Users: users, Logger: testLogger(), Registerer: prometheus.NewRegistry(),
		Handle:      func(context.Context, string, []byte) error { return nil },
		HandleAsync: h.handle,
	})
	if err != nil {
		t.Fatal(err)
	}
	b.Start(context.Background())
	t.Cleanup(b.Stop)
	return b, "tcp://" + addr
}

func publishN(c mqtt.Client, n int) []mqtt.Token {
	toks := make([]mqtt.Token, n)
	for i := range toks {
		toks[i] = c.Publish("o2/dev1/telemetry", 1, false, fmt.Sprintf(`{"seq":%d}`, i))
	}
	return toks
}

// A device's next messages are taken while the first waits for its fsync,
// and each PUBACK leaves only once its message and every earlier one are
// durable, in the order of the messages.
func TestBrokerAsyncAcksInOrderAfterDurable(t *testing.T) {
	h := &held{}
	_, url := startAsyncBroker(t, h)
	c, err := device(t, url, "dev1", nil)
	if err != nil {
		t.Fatal(err)
	}
	toks := publishN(c, 3)
	testenv.Eventually(t, 10*time.Second, "3 messages taken before any is durable", func() bool { return h.count() == 3 })
	h.tell(1, nil)
	h.tell(2, nil)
	for i, tok := range toks {
		if tok.WaitTimeout(200 * time.Millisecond) {
			t.Fatalf("message %d acknowledged while message 0 is not durable", i)
		}
	}
	h.tell(0, nil)
	for i, tok := range toks {
		if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			t.Fatalf("message %d not acknowledged once durable: %v", i, tok.Error())
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for i, p := range h.payloads {
		if want := fmt.Sprintf(`{"seq":%d}`, i); p != want {
			t.Errorf("message %d handed on as %s, want %s", i, p, want)
		}
	}
}

// A message that could not be made durable is not acknowledged, nor is any
// later one (though durable), and the connection is closed so the device
// sends them again.
func TestBrokerAsyncRefusesAfterNotDurable(t *testing.T) {
	h := &held{}
	b, url := startAsyncBroker(t, h)
	c, err := device(t, url, "dev1", nil)
	if err != nil {
		t.Fatal(err)
	}
	toks := publishN(c, 3)
	testenv.Eventually(t, 10*time.Second, "3 messages taken", func() bool { return h.count() == 3 })
	h.tell(0, nil)
	if !toks[0].WaitTimeout(10*time.Second) || toks[0].Error() != nil {
		t.Fatalf("message 0 not acknowledged once durable: %v", toks[0].Error())
	}
	h.tell(2, nil)
	h.tell(1, errors.New("disk full"))
	testenv.Eventually(t, 10*time.Second, "connection closed", func() bool { return !c.IsConnectionOpen() })
	for i, tok := range toks[1:] {
		if tok.WaitTimeout(time.Second) && tok.Error() == nil {
			t.Errorf("message %d acknowledged after message 1 was not made durable", i+1)
		}
	}
	if got := testutil.ToFloat64(b.intake.m.refused.WithLabelValues("not_durable")); got != 1 {
		t.Fatalf("not_durable counter %v, want 1", got)
	}
}

// A device that sends faster than its messages become durable is held at
// maxPendingAcks: the broker stops reading from it until acks go out.
func TestBrokerAsyncBoundsPendingPerDevice(t *testing.T) {
	h := &held{}
	_, url := startAsyncBroker(t, h)
	c, err := device(t, url, "dev1", nil)
	if err != nil {
		t.Fatal(err)
	}
	const n = maxPendingAcks + 20
	toks := publishN(c, n)
	testenv.Eventually(t, 10*time.Second, "the first messages taken", func() bool { return h.count() == maxPendingAcks })
	for i := 0; i < n; i++ {
		testenv.Eventually(t, 10*time.Second, fmt.Sprintf("message %d taken", i), func() bool { return h.count() > i })
		h.tell(i, nil)
	}
	for i, tok := range toks {
		if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			t.Fatalf("message %d not acknowledged: %v", i, tok.Error())
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.worst > maxPendingAcks {
		t.Fatalf("%d messages of one device held at once, want at most %d", h.worst, maxPendingAcks)
	}
}

// A status on QoS 1 is handed on only after the telemetry the device sent
// before it is acknowledged: the fleet never sees `offline` before the
// device's last reading.
func TestBrokerAsyncStatusAfterReadings(t *testing.T) {
	h := &held{}
	var mu sync.Mutex
	var order []string
	addr := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	b, err := New(Options{
		Listen: addr, DataDir: t.TempDir(), TopicPrefix: "o2", Logger: testLogger(), Registerer: prometheus.NewRegistry(),
		Handle: func(_ context.Context, topic string, _ []byte) error {
			mu.Lock()
			defer mu.Unlock()
			order = append(order, topic)
			return nil
		},
		HandleAsync: h.handle,
	})
	if err != nil {
		t.Fatal(err)
	}
	b.Start(context.Background())
	t.Cleanup(b.Stop)
	c, err := device(t, "tcp://"+addr, "dev1", nil)
	if err != nil {
		t.Fatal(err)
	}
	tel := c.Publish("o2/dev1/telemetry", 1, false, `{"seq":0}`)
	testenv.Eventually(t, 10*time.Second, "the reading taken", func() bool { return h.count() == 1 })
	st := c.Publish("o2/dev1/status", 1, false, "offline")
	if st.WaitTimeout(300 * time.Millisecond) {
		t.Fatal("the status was acknowledged while the reading before it was not durable")
	}
	mu.Lock()
	early := len(order)
	mu.Unlock()
	if early != 0 {
		t.Fatalf("the status was handed on before the reading sent before it was durable: %v", order)
	}
	h.tell(0, nil)
	for _, tok := range []mqtt.Token{tel, st} {
		if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			t.Fatalf("not acknowledged: %v", tok.Error())
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(order) != 1 || order[0] != "o2/dev1/status" {
		t.Fatalf("handed on in place: %v", order)
	}
}
