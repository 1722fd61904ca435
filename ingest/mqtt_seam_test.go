package ingest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/oxywatch/oxywatch/internal/testenv"
)

// fakeClient is a paho client that records Connect and Disconnect.
type fakeClient struct {
	mqtt.Client // the methods the subscriber does not call panic
	mu          sync.Mutex
	connects    int
	disconnects int
}

func (f *fakeClient) Connect() mqtt.Token {
	f.mu.Lock()
	f.connects++
	f.mu.Unlock()
	return doneToken{}
}

func (f *fakeClient) Disconnect(uint) {
	f.mu.Lock()
	f.disconnects++
	f.mu.Unlock()
}

func (f *fakeClient) IsConnectionOpen() bool { return true }

func (f *fakeClient) counts() (int, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.connects, f.disconnects
}

type doneToken struct{}

func (doneToken) Wait() bool                     { return true }
func (doneToken) WaitTimeout(time.Duration) bool { return true }
func (doneToken) Done() <-chan struct{}          { c := make(chan struct{}); close(c); return c }
func (doneToken) Error() error                   { return nil }

// fakeMessage records its acknowledgement.
type fakeMessage struct {
	mqtt.Message
	topic   string
	payload string
	gate    chan struct{} // when set, Ack waits for it to close (a stuck connection)
	entered chan struct{} // when set, closed as Ack starts waiting
	delay   time.Duration // a slow connection: each Ack takes this long
	acked   atomic.Bool
}

func (m *fakeMessage) Topic() string { return m.topic }
func (m *fakeMessage) Payload() []byte {
	if m.payload != "" {
		return []byte(m.payload)
	}
	return []byte(`{"purity_pct":93}`)
}

func (m *fakeMessage) Ack() {
	if m.entered != nil {
		close(m.entered)
	}
	if m.gate != nil {
		<-m.gate
	}
	time.Sleep(m.delay) // the connection's pace, not a wait for a result
	m.acked.Store(true)
}

// The subscriber's acknowledgement path without a broker: a message the
// handler made durable is acknowledged; one it could not make durable is
// not, and its connection steps back (disconnect) and comes again after
// RetryAfter, once however many such messages arrive meanwhile.
func TestSubscriberAcksOnlyWhatIsDurable(t *testing.T) {
	var durable atomic.Bool
	var refused atomic.Int64 // messages the handler could not make durable
	durable.Store(true)
	fc := &fakeClient{}
	s := NewSubscriber(MQTTOptions{
		URL: "tcp://127.0.0.1:1", ClientID: "t", TopicPrefix: "o2", RetryAfter: time.Second,
		NewClient: func(*mqtt.ClientOptions) mqtt.Client { return fc },
	}, func(_ context.Context, _ string, _ []byte, done func(error)) {
		if !durable.Load() {
			refused.Add(1)
			done(errors.New("disk full"))
			return
		}
		done(nil)
	})
	s.Start(context.Background())
	t.Cleanup(s.Stop)
	c := s.conns[0]

	ok := &fakeMessage{topic: "o2/psa-1/telemetry"}
	c.onMessage(fc, ok)
	testenv.Eventually(t, 5*time.Second, "the durable message acknowledged", ok.acked.Load)

	durable.Store(false)
	bad := []*fakeMessage{{topic: "o2/psa-1/telemetry"}, {topic: "o2/psa-2/telemetry"}}
	for _, m := range bad {
		c.onMessage(fc, m)
	}
	testenv.Eventually(t, 5*time.Second, "the connection steps back", func() bool { _, d := fc.counts(); return d == 1 })
	// the workers handle the two messages in their own time: the disk
	// comes back only once both were refused
	testenv.Eventually(t, 5*time.Second, "both messages refused", func() bool { return refused.Load() == 2 })
	durable.Store(true)
	testenv.Eventually(t, 10*time.Second, "the connection comes back after RetryAfter", func() bool { n, _ := fc.counts(); return n == 2 })
	for i, m := range bad {
		if m.acked.Load() {
			t.Errorf("message %d was acknowledged although it was not made durable", i)
		}
	}
	if _, d := fc.counts(); d != 1 {
		t.Errorf("%d disconnects for two refused messages, want one step back", d)
	}
}

// The asynchronous path: a connection's messages reach the handler in the
// order they came for each device, and are acknowledged only after the
// handler said they are durable, by the connection's acknowledger: the
// handler's done (the buffer's one callback goroutine) never waits for a
// connection that does not take its PUBACKs.
func TestSubscriberKeepsOrderAndNeverWaitsInDone(t *testing.T) {
	fc := &fakeClient{}
	type call struct {
		topic, payload string
		done           func(error)
	}
	calls := make(chan call, 1000)
	s := NewSubscriber(MQTTOptions{
		URL: "tcp://127.0.0.1:1", ClientID: "t", TopicPrefix: "o2",
		NewClient: func(*mqtt.ClientOptions) mqtt.Client { return fc },
	}, func(_ context.Context, topic string, payload []byte, done func(error)) {
		calls <- call{topic, string(payload), done}
	})
	s.Start(context.Background())
	c := s.conns[0]

	stuck := make(chan struct{})
	var sent []*fakeMessage
	for i := range 200 {
		m := &fakeMessage{topic: fmt.Sprintf("o2/dev-%d/telemetry", i%7), payload: strconv.Itoa(i)}
		if i == 3 {
			m.gate = stuck // its connection stops reading
		}
		sent = append(sent, m)
		c.onMessage(fc, m)
	}
	last := map[string]int{}
	var toldOrder []int // the decoders run at once: the order done was called in
	for range sent {
		var k call
		select {
		case k = <-calls:
		case <-time.After(10 * time.Second):
			t.Fatal("not every message reached the handler")
		}
		n, _ := strconv.Atoi(k.payload)
		if p, ok := last[k.topic]; ok && n < p {
			t.Errorf("%s: message %d handed on after %d", k.topic, n, p)
		}
		last[k.topic] = n
		if sent[n].acked.Load() {
			t.Errorf("message %d acknowledged before it was durable", n)
		}
		toldOrder = append(toldOrder, n)
		told := make(chan struct{})
		go func() { k.done(nil); close(told) }()
		select {
		case <-told:
		case <-time.After(10 * time.Second):
			t.Fatalf("done of message %d waited for the connection", n)
		}
	}
	before := toldOrder[:slices.Index(toldOrder, 3)]
	testenv.Eventually(t, 5*time.Second, "the messages said durable before the stuck one acknowledged", func() bool {
		for _, n := range before {
			if !sent[n].acked.Load() {
				return false
			}
		}
		return true
	})
	close(stuck)
	testenv.Eventually(t, 5*time.Second, "every message acknowledged once the connection reads again", func() bool {
		for _, m := range sent {
			if !m.acked.Load() {
				return false
			}
		}
		return true
	})
	s.Stop()
}

// A connection that stops taking acknowledgements (its broker does not
// read it) must not hold up the buffer's callbacks, which all connections
// share: with ackQueue waiting for stuckAfter, done returns, the
// acknowledgements are dropped and counted, and the connection steps back
// once (the broker sends those messages again).
func TestSubscriberStuckConnectionDoesNotHoldTheBuffer(t *testing.T) {
	fc := &fakeClient{}
	s := NewSubscriber(MQTTOptions{
		URL: "tcp://127.0.0.1:1", ClientID: "t", TopicPrefix: "o2", RetryAfter: time.Hour,
		NewClient: func(*mqtt.ClientOptions) mqtt.Client { return fc },
	}, func(_ context.Context, _ string, _ []byte, done func(error)) {
		done(nil) // durable at once, on the decoder's goroutine
	})
	s.stuckAfter = 200 * time.Millisecond
	s.Start(context.Background())
	c := s.conns[0]
	stuck := make(chan struct{})
	first := &fakeMessage{topic: "o2/dev-0/telemetry", gate: stuck, entered: make(chan struct{})}
	c.onMessage(fc, first)
	select {
	case <-first.entered: // the acknowledger is stuck on it
	case <-time.After(10 * time.Second):
		t.Fatal("the first message never reached its acknowledgement")
	}
	n := ackQueue + 100
	for i := range n {
		c.onMessage(fc, &fakeMessage{topic: fmt.Sprintf("o2/dev-%d/telemetry", i%5)})
	}
	testenv.Eventually(t, 10*time.Second, "acknowledgements past the queue dropped and the connection stepped back", func() bool {
		_, d := fc.counts()
		return testutil.ToFloat64(s.stuck) > 0 && d == 1
	})
	close(stuck)
	s.Stop() // returns: nothing waits for the stuck connection any more
	if got := testutil.ToFloat64(s.stuck); got != 100 {
		t.Errorf("%v acknowledgements dropped, want the 100 past the queue's %d", got, ackQueue)
	}
}

// A burst is not a stuck connection: one fsync group can make thousands
// of messages durable at once, more than the acknowledgement queue holds,
// and a connection that takes them more slowly than they come must get
// every one, with nothing dropped.
func TestSubscriberBurstIsNotStuck(t *testing.T) {
	fc := &fakeClient{}
	s := NewSubscriber(MQTTOptions{
		URL: "tcp://127.0.0.1:1", ClientID: "t", TopicPrefix: "o2", RetryAfter: time.Hour,
		NewClient: func(*mqtt.ClientOptions) mqtt.Client { return fc },
	}, func(_ context.Context, _ string, _ []byte, done func(error)) { done(nil) })
	s.stuckAfter = 2 * time.Second // far above a busy machine's pauses: only a full queue that never drains may count
	s.Start(context.Background())
	c := s.conns[0]
	var sent []*fakeMessage
	for i := range ackQueue + 1000 {
		m := &fakeMessage{topic: fmt.Sprintf("o2/dev-%d/telemetry", i%5), delay: 20 * time.Microsecond}
		sent = append(sent, m)
		c.onMessage(fc, m)
	}
	testenv.Eventually(t, 30*time.Second, "every message acknowledged", func() bool {
		for _, m := range sent {
			if !m.acked.Load() {
				return false
			}
		}
		return true
	})
	s.Stop()
	if got := testutil.ToFloat64(s.stuck); got != 0 {
		t.Errorf("%v acknowledgements dropped from a connection that was only slow", got)
	}
	if _, d := fc.counts(); d != 1 { // Stop's own
		t.Errorf("%d disconnects, want only Stop's", d)
	}
}
