package ingest

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/prometheus/client_golang/prometheus"
)

// MQTTOptions configure the ingester's broker connection.
type MQTTOptions struct {
	URL, Username, Password, ClientID, TopicPrefix string
	// Connections is how many subscriber connections share the telemetry
	// through an MQTT shared subscription ($share/CLIENT_ID/PREFIX/+/telemetry).
	// Each has its own persistent session and so its own in-flight window
	// at the broker (Mosquitto: 20 by default), which is what bounds the
	// rate. 1 subscribes plainly, for brokers without shared subscriptions.
	Connections int
	// RetryAfter is how long a connection whose message could not be made
	// durable stays away before it reconnects and gets it again (10 s).
	RetryAfter time.Duration
	// Sparkplug adds one more connection (CLIENT_ID-spb) subscribed to
	// spBv1.0/#, unshared, whose messages are handled in order per edge
	// node (see sparkplugLanes).
	Sparkplug  bool
	Logger     *slog.Logger
	Registerer prometheus.Registerer
	// NewClient makes each connection's paho client; nil is mqtt.NewClient.
	// Tests give a fake to drive the acknowledgement and step-back paths.
	NewClient func(*mqtt.ClientOptions) mqtt.Client
}

// HandlerFunc processes one message; an error means "not durable: do not ack".
type HandlerFunc func(ctx context.Context, topic string, payload []byte) error

// AsyncHandlerFunc takes one message without making its caller wait for
// the fsync: done is called once, with what a HandlerFunc would return,
// when the readings are durable or could not be made so, and must not
// block for long; calls of done come in the order of the calls (see
// (*Ingester).HandleMessageAsync). The payload is not kept after the call
// returns.
type AsyncHandlerFunc func(ctx context.Context, topic string, payload []byte, done func(error))

// Subscriber is a set of paho clients on persistent sessions: QoS 1, stable
// client ids, subscribe in the connect handler, acknowledgement only after
// the handler made the message durable (RELIABILITY.md, paho 1–6).
//
// How a message goes through, without a goroutine per message and without
// any goroutine waiting for an fsync:
//   - paho hands each connection's messages, in the order they came, to
//     onMessage on the connection's router goroutine (ordered delivery);
//     onMessage only queues the message for one of a few decoders, chosen
//     by its device, so the router is held up only when that queue is full;
//   - a decoder hands the message to the handler, which decodes it and
//     queues its readings for the buffer's next group commit, and goes on
//     with the next message at once;
//   - once the readings are durable the buffer tells the handler's done,
//     which queues the message for its connection's acknowledger, the one
//     goroutine that writes that connection's PUBACKs (paho's Ack may wait
//     for the connection: it must not hold up the buffer).
//
// One device's messages on one connection are thus made durable in the
// order they came. (With several connections the broker deals a device's
// messages out to all of them; readings carry their own time and seq.)
type Subscriber struct {
	opts      MQTTOptions
	handle    AsyncHandlerFunc
	log       *slog.Logger
	conns     []*conn
	connected prometheus.Gauge
	reconnect prometheus.Counter
	refused   prometheus.Counter
	stuck     prometheus.Counter
	// stuckAfter is how long a full acknowledgement queue may stay full
	// before its connection is deemed stuck (ackStuckAfter; tests shorten it).
	stuckAfter time.Duration

	lanes    []chan job   // telemetry and status, by device
	spLanes  []chan job   // Sparkplug: one edge node's messages always go to the same lane
	closing  sync.RWMutex // held for writing once, when Stop closes the lanes
	closed   bool
	workers  sync.WaitGroup
	inflight sync.WaitGroup // messages queued and not yet acknowledged or refused
	ctx      context.Context
	cancel   context.CancelFunc
	stopped  atomic.Bool
}

// job is one received message waiting for a decoder.
type job struct {
	c *conn
	m mqtt.Message
}

const (
	// decodeLanes is how many goroutines hand messages to the handler. None
	// waits for the disk, so a few keep the cores busy.
	decodeLanes = 4
	// decoderQueue is how many received messages may wait for one decoder
	// before its connections' routers wait too. A tuned broker may send
	// tens of thousands ahead of the acknowledgements; a waiting message
	// costs 24 bytes here and its payload.
	decoderQueue = 1 << 14
	// ackQueue is how many durable messages may wait for their
	// connection's acknowledger; past it the buffer's callbacks wait up
	// to ackStuckAfter, then the connection is deemed stuck (see told).
	ackQueue      = 4096
	ackStuckAfter = 5 * time.Second
)

var deviceSeed = maphash.MakeSeed()

// decoderOf picks the decoder of a message's device: PREFIX/DEV/KIND
// without its last part, so a device's status goes where its telemetry goes.
func decoderOf(topic string) int {
	if i := strings.LastIndexByte(topic, '/'); i > 0 {
		topic = topic[:i]
	}
	return int(maphash.String(deviceSeed, topic) % decodeLanes)
}

// conn is one subscriber connection.
type conn struct {
	s         *Subscriber
	n         int  // 0 also carries the status topic
	ordered   bool // the Sparkplug connection
	id        string
	client    mqtt.Client
	acks      chan mqtt.Message // durable, to acknowledge in this order
	jammed    atomic.Bool       // acks is full and stayed so for stuckAfter
	up        atomic.Bool
	recycling atomic.Bool
}

// NewSubscriber builds a subscriber; Start connects it.
func NewSubscriber(opts MQTTOptions, handle AsyncHandlerFunc) *Subscriber {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	opts.Connections = max(opts.Connections, 1)
	if opts.RetryAfter <= 0 {
		opts.RetryAfter = 10 * time.Second
	}
	s := &Subscriber{
		opts: opts, handle: handle, log: opts.Logger.With("component", "mqtt"), stuckAfter: ackStuckAfter,
		connected: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "oxywatch_mqtt_connected", Help: "1 while every subscriber connection is up and subscribed.",
		}),
		reconnect: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "oxywatch_mqtt_connection_lost_total", Help: "Times a broker connection was lost.",
		}),
		refused: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "oxywatch_mqtt_not_durable_total", Help: "Messages left unacknowledged because they could not be made durable (disk full?); the connection steps back and the broker sends them again.",
		}),
		stuck: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "oxywatch_mqtt_acks_dropped_total", Help: "Durable messages whose acknowledgement was dropped because their broker connection stopped taking acknowledgements (4096 waiting for 5 s); the connection steps back and the broker sends them again.",
		}),
	}
	if opts.Registerer != nil {
		opts.Registerer.MustRegister(s.connected, s.reconnect, s.refused, s.stuck)
	}
	for n := range opts.Connections {
		id := opts.ClientID
		if n > 0 {
			id = fmt.Sprintf("%s-%d", opts.ClientID, n+1)
		}
		s.conns = append(s.conns, &conn{s: s, n: n, id: id})
	}
	if opts.Sparkplug {
		s.conns = append(s.conns, &conn{s: s, n: opts.Connections, id: opts.ClientID + "-spb", ordered: true})
	}
	return s
}

// Start connects in the background; the clients keep retrying until Stop.
func (s *Subscriber) Start(ctx context.Context) {
	s.ctx, s.cancel = context.WithCancel(ctx)
	s.lanes = make([]chan job, decodeLanes)
	for i := range s.lanes {
		s.lanes[i] = make(chan job, decoderQueue)
		s.workers.Go(func() { s.decode(s.lanes[i]) })
	}
	if s.opts.Sparkplug {
		s.spLanes = make([]chan job, sparkplugLanes)
		for i := range s.spLanes {
			s.spLanes[i] = make(chan job, laneQueue)
			s.workers.Go(func() { s.decode(s.spLanes[i]) })
		}
	}
	for _, c := range s.conns {
		c.acks = make(chan mqtt.Message, ackQueue)
		s.workers.Go(c.acknowledge)
	}
	newClient := s.opts.NewClient
	if newClient == nil {
		newClient = mqtt.NewClient
	}
	for _, c := range s.conns {
		c.client = newClient(c.options())
		c.client.Connect() // with ConnectRetry the token completes only on success
	}
}

func (c *conn) options() *mqtt.ClientOptions {
	o := c.s.opts
	return mqtt.NewClientOptions().
		AddBroker(o.URL).
		SetClientID(c.id).
		SetUsername(o.Username).
		SetPassword(o.Password).
		SetCleanSession(false).
		SetOrderMatters(true). // onMessage only queues: it never holds the router for long
		SetAutoAckDisabled(true).
		SetAutoReconnect(true).
		SetConnectRetry(true).
		SetConnectRetryInterval(time.Second).
		SetMaxReconnectInterval(10 * time.Second).
		SetKeepAlive(30 * time.Second).
		SetDefaultPublishHandler(c.onMessage).
		SetOnConnectHandler(c.onConnect).
		SetConnectionLostHandler(c.onLost)
}

// filters are what this connection subscribes to. Telemetry is shared when
// there are several connections; status stays on the first, unshared, so
// retained status messages are delivered to it.
func (c *conn) filters() (sub map[string]byte, unsub []string) {
	if c.ordered {
		return map[string]byte{sparkplugFilter: 1}, nil
	}
	p := c.s.opts.TopicPrefix
	tele := p + "/+/telemetry"
	sub = map[string]byte{}
	if c.s.opts.Connections == 1 {
		sub[tele] = 1
	} else {
		sub["$share/"+c.s.opts.ClientID+"/"+tele] = 1
		if c.n == 0 {
			// a session made by an earlier single-connection run would
			// otherwise get every reading twice
			unsub = append(unsub, tele)
		}
	}
	if c.n == 0 {
		sub[p+"/+/status"] = 1
	}
	return sub, unsub
}

func (c *conn) onConnect(cl mqtt.Client) {
	sub, unsub := c.filters()
	go func() { // never block the connect handler on the subscribe round trip
		var tok mqtt.Token
		for wait := time.Second; ; wait = min(2*wait, 30*time.Second) {
			tok = cl.SubscribeMultiple(sub, c.onMessage)
			if tok.WaitTimeout(30*time.Second) && tok.Error() == nil {
				break
			}
			c.s.log.Error("subscribe failed; retrying", "client_id", c.id, "err", tok.Error(), "retry_in", wait)
			select {
			case <-c.s.ctx.Done():
				return
			case <-time.After(wait):
			}
			if !cl.IsConnectionOpen() {
				return // the next connection subscribes again
			}
		}
		c.refused(tok)
		if len(unsub) > 0 {
			cl.Unsubscribe(unsub...).WaitTimeout(30 * time.Second)
		}
		c.setUp(true)
		topics := make([]string, 0, len(sub))
		for f := range sub {
			topics = append(topics, f)
		}
		c.s.log.Info("connected to broker and subscribed", "broker", c.s.opts.URL, "client_id", c.id, "topics", topics)
	}()
}

func (c *conn) onLost(_ mqtt.Client, err error) {
	c.setUp(false)
	c.s.reconnect.Inc()
	c.s.log.Warn("broker connection lost; reconnecting", "client_id", c.id, "err", err)
}

func (c *conn) setUp(up bool) {
	c.up.Store(up)
	if c.s.Connected() {
		c.s.connected.Set(1)
	} else {
		c.s.connected.Set(0)
	}
}

// Connected reports whether every connection is up and subscribed.
func (s *Subscriber) Connected() bool {
	for _, c := range s.conns {
		if !c.up.Load() || c.client == nil || !c.client.IsConnectionOpen() {
			return false
		}
	}
	return true
}

// onMessage runs on the connection's router goroutine, in the order the
// messages came, and queues the message for its device's decoder (a
// Sparkplug message for its edge node's lane).
func (c *conn) onMessage(_ mqtt.Client, m mqtt.Message) {
	s := c.s
	s.closing.RLock()
	defer s.closing.RUnlock()
	if s.closed {
		return // stopping: left unacknowledged with the broker for the next run
	}
	s.inflight.Add(1)
	if c.ordered {
		s.spLanes[laneOf(m.Topic())] <- job{c, m}
		return
	}
	s.lanes[decoderOf(m.Topic())] <- job{c, m}
}

// decode hands its lane's messages to the handler, one after the other.
func (s *Subscriber) decode(lane <-chan job) {
	for j := range lane {
		c, m := j.c, j.m
		s.handle(s.ctx, m.Topic(), m.Payload(), func(err error) { c.told(m, err) })
	}
}

// told queues a durable message for acknowledgement. One that could not be
// made durable is never acknowledged: leaving it so on a live connection
// would stall delivery after the broker's in-flight window (RELIABILITY.md
// paho 3), so the connection steps back and the broker sends it again
// when the connection returns.
//
// A connection whose acknowledger stays blocked for stuckAfter with
// ackQueue acknowledgements waiting is stuck (the broker stopped reading
// it): its acknowledgements are dropped until it catches up, and it steps
// back too, rather than holding up the buffer's callbacks, which every
// connection shares, until the keepalive notices. The broker sends the
// messages it did not see acknowledged again; storing them twice is
// harmless (InfluxDB keeps one point per device and time).
func (c *conn) told(m mqtt.Message, err error) {
	s := c.s
	if err == nil {
		if c.queueAck(m) {
			return
		}
		s.stuck.Inc()
		c.stepBack("a broker connection is not taking acknowledgements; reconnecting later to receive the messages again", m, nil)
		s.inflight.Done()
		return
	}
	s.refused.Inc()
	c.stepBack("message not made durable; reconnecting later to receive it again", m, err)
	s.inflight.Done()
}

// stepBack disconnects the connection for RetryAfter, once however many
// messages ask for it meanwhile.
func (c *conn) stepBack(why string, m mqtt.Message, err error) {
	if !c.recycling.Swap(true) {
		args := []any{"client_id", c.id, "topic", m.Topic(), "retry_in", c.s.opts.RetryAfter}
		if err != nil {
			args = append(args, "err", err)
		}
		c.s.log.Error(why, args...)
		go c.recycle()
	}
}

// queueAck queues m for the acknowledger, waiting up to stuckAfter when
// the queue is full (a burst: one fsync group may make thousands durable
// at once); false means the connection is stuck.
func (c *conn) queueAck(m mqtt.Message) bool {
	select {
	case c.acks <- m:
		return true
	default:
	}
	if c.jammed.Load() {
		return false
	}
	t := time.NewTimer(c.s.stuckAfter)
	defer t.Stop()
	select {
	case c.acks <- m:
		return true
	case <-t.C:
		c.jammed.Store(true)
		return false
	}
}

// acknowledge writes the connection's PUBACKs in the order the messages
// were made durable. After a disconnect paho drops them (the broker sends
// those messages again).
func (c *conn) acknowledge() {
	for m := range c.acks {
		m.Ack()
		c.s.inflight.Done()
		if len(c.acks) == 0 {
			c.jammed.Store(false) // caught up
		}
	}
}

// recycle disconnects (never from inside a handler: paho #501), waits, and
// connects again while the subscriber runs.
func (c *conn) recycle() {
	defer c.recycling.Store(false)
	c.setUp(false)
	c.client.Disconnect(250)
	select {
	case <-c.s.ctx.Done():
		return
	case <-time.After(c.s.opts.RetryAfter):
	}
	if c.s.stopped.Load() {
		return
	}
	c.client.Connect()
}

// Fatal never fires: a message that cannot be made durable stays with the
// broker, and the connection that had it comes back for it later.
func (s *Subscriber) Fatal() <-chan error { return nil }

// Stop disconnects (unacknowledged messages stay with the broker's sessions)
// and waits for handlers that were running.
func (s *Subscriber) Stop() {
	if s.stopped.Swap(true) || s.ctx == nil {
		return
	}
	var wg sync.WaitGroup
	for _, c := range s.conns {
		wg.Go(func() { c.client.Disconnect(250) })
	}
	wg.Wait()
	s.closing.Lock()
	s.closed = true
	s.closing.Unlock()
	s.inflight.Wait()
	for _, l := range s.lanes {
		close(l)
	}
	for _, l := range s.spLanes {
		close(l)
	}
	for _, c := range s.conns {
		close(c.acks)
	}
	s.workers.Wait()
	s.cancel()
	for _, c := range s.conns {
		c.setUp(false)
	}
}

// ErrNotConnected is returned by readiness checks while the broker is down.
var ErrNotConnected = errors.New("not connected to the MQTT broker")
