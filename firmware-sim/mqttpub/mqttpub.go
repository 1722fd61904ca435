// Package mqttpub publishes firmware-sim devices over MQTT with paho: one
// client per device with its own credentials and last will, as real
// devices connect.
package mqttpub

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/oxywatch/oxywatch/firmware-sim/sim"
)

// Options configure the MQTT publisher.
type Options struct {
	Broker string // tcp://host:port
	Prefix string // topic prefix, default o2
	// Username and Password, when Username is set, are one login shared by
	// all devices. Otherwise each device logs in as its id with the fleet's
	// password column, or DevicePassword with {id} replaced.
	Username, Password string
	DevicePassword     string
	QueueLen           int // telemetry payloads waiting per device; default 1024
	// OnResult is called once per telemetry publish when the broker
	// acknowledged it (err nil) or it failed, with the time since Publish.
	OnResult func(latency time.Duration, err error)
	// OnConnect, when set, is called after every connection attempt of a
	// device (err nil: connected and online published).
	OnConnect func(device string, err error)
	Log       *slog.Logger
	// Protocol is the wire format (default JSON, CONTRACT §3).
	Protocol Protocol
	// Group is the Sparkplug group id (default oxywatch).
	Group string
}

// Publisher implements sim.Publisher over MQTT.
type Publisher struct {
	opts Options
}

// New returns a publisher. Nothing connects until the simulation asks.
func New(opts Options) (*Publisher, error) {
	if _, err := url.Parse(opts.Broker); err != nil || !strings.Contains(opts.Broker, "://") {
		return nil, fmt.Errorf("broker %q is not a URL such as tcp://127.0.0.1:1883", opts.Broker)
	}
	if opts.Prefix == "" {
		opts.Prefix = "o2"
	}
	if opts.Protocol == "" {
		opts.Protocol = JSON
	}
	if opts.Group == "" {
		opts.Group = "oxywatch"
	}
	if opts.QueueLen <= 0 {
		opts.QueueLen = 1024
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.OnResult == nil {
		opts.OnResult = func(time.Duration, error) {}
	}
	if opts.OnConnect == nil {
		opts.OnConnect = func(string, error) {}
	}
	return &Publisher{opts: opts}, nil
}

// Link implements sim.Publisher.
func (p *Publisher) Link(spec sim.Spec) sim.Link {
	l := &link{
		opts:      &p.opts,
		id:        spec.ID,
		telemetry: p.opts.Prefix + "/" + spec.ID + "/telemetry",
		status:    p.opts.Prefix + "/" + spec.ID + "/status",
		out:       make(chan outgoing, p.opts.QueueLen),
		tokens:    make(chan pending, p.opts.QueueLen),
		done:      make(chan struct{}),
		ready:     make(chan struct{}),
		gone:      make(chan struct{}),
		retried:   make(chan struct{}, 1),
		log:       p.opts.Log.With("device", spec.ID),
	}
	l.user, l.pass = p.credentials(spec)
	if p.opts.Protocol == Sparkplug {
		l.telemetry = l.spTopic("DDATA")
	}
	l.wg.Go(l.send)
	l.wg.Go(l.await)
	return l
}

func (p *Publisher) credentials(spec sim.Spec) (string, string) {
	switch {
	case p.opts.Username != "":
		return p.opts.Username, p.opts.Password
	case spec.Password != "":
		return spec.ID, spec.Password
	}
	return spec.ID, strings.ReplaceAll(p.opts.DevicePassword, "{id}", spec.ID)
}

// Link states.
const (
	down int32 = iota
	connecting
	up
)

// maxAttempts is how often a telemetry payload is published before it is
// given up (reported to OnResult with the error).
const maxAttempts = 5

type outgoing struct {
	payload  []byte
	at       time.Time
	attempts int
}

type pending struct {
	tok  mqtt.Token
	msg  outgoing
	gone <-chan struct{} // closed when the connection it went out on is lost
}

// link is one device's MQTT connection. The simulation goroutine calls the
// sim.Link methods; send and await move accepted payloads to the broker and
// keep them across reconnections, as firmware with a QoS 1 queue does.
type link struct {
	opts              *Options
	id, user, pass    string
	telemetry, status string
	log               *slog.Logger
	state             atomic.Int32
	inflight          atomic.Int64 // accepted, not yet acknowledged or given up
	out               chan outgoing
	tokens            chan pending
	done              chan struct{}
	closeOnce         sync.Once
	wg                sync.WaitGroup

	mu       sync.Mutex
	client   mqtt.Client   // nil while down
	ready    chan struct{} // closed while client is set
	gone     chan struct{} // closed when client is lost
	retries  []outgoing    // failed publishes, sent again first
	retried  chan struct{} // signals a new retry to send
	conn     net.Conn
	nextTry  time.Time
	failures int
	gen      int // connection attempt; Drop and Connect start a new one
	bdSeq    uint64
}

// Connect implements sim.Link.
func (l *link) Connect() {
	if l.state.Load() != down || time.Now().Before(l.retryAt()) {
		return
	}
	select {
	case <-l.done:
		return
	default:
	}
	l.state.Store(connecting)
	l.mu.Lock()
	l.gen++
	gen := l.gen
	l.mu.Unlock()
	l.wg.Go(func() { l.connect(gen) })
}

func (l *link) retryAt() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.nextTry
}

func (l *link) connect(gen int) {
	c := mqtt.NewClient(l.clientOptions())
	if err := wait(c.Connect(), 15*time.Second); err != nil {
		l.failed(fmt.Errorf("connect %s as %s: %w", l.opts.Broker, l.user, err))
		return
	}
	if err := l.announce(c); err != nil {
		c.Disconnect(0)
		l.failed(err)
		return
	}
	if !l.setUp(c, gen) {
		c.Disconnect(0) // dropped or closed meanwhile
		return
	}
	l.opts.OnConnect(l.id, nil)
}

// setUp makes c the link's client unless the attempt gen was overtaken.
func (l *link) setUp(c mqtt.Client, gen int) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.gen != gen || !l.state.CompareAndSwap(connecting, up) {
		return false
	}
	l.client, l.failures = c, 0
	l.gone = make(chan struct{})
	close(l.ready)
	return true
}

// setDown forgets client c (any client when c is nil). It holds l.mu.
func (l *link) setDown(c mqtt.Client) bool {
	if l.client == nil || (c != nil && l.client != c) {
		return false
	}
	l.client = nil
	close(l.gone)
	l.ready = make(chan struct{})
	return true
}

func (l *link) failed(err error) {
	l.opts.OnConnect(l.id, err)
	l.mu.Lock()
	l.failures++
	backoff := min(time.Duration(1<<min(l.failures, 5))*time.Second, 30*time.Second)
	l.nextTry = time.Now().Add(backoff)
	n := l.failures
	l.mu.Unlock()
	if n == 1 || n%10 == 0 {
		l.log.Warn("mqtt connect failed", "err", err, "attempts", n, "retry_in", backoff)
	}
	l.state.CompareAndSwap(connecting, down)
}

func (l *link) clientOptions() *mqtt.ClientOptions {
	o := mqtt.NewClientOptions().AddBroker(l.opts.Broker).SetClientID(l.id).
		SetUsername(l.user).SetPassword(l.pass).
		SetCleanSession(true).SetAutoReconnect(false).SetConnectRetry(false).
		SetOrderMatters(false).SetKeepAlive(30 * time.Second).
		SetConnectTimeout(10 * time.Second).SetWriteTimeout(10 * time.Second).
		SetConnectionLostHandler(l.lost)
	if l.opts.Protocol == Sparkplug {
		l.mu.Lock()
		l.bdSeq++
		bd := l.bdSeq
		l.mu.Unlock()
		o.SetWill(l.spTopic("NDEATH"), string(bdSeqPayload(bd)), 1, false)
	} else {
		o.SetWill(l.status, "offline", 1, true)
	}
	return o.SetCustomOpenConnectionFn(l.dial)
}

// dial opens the TCP connection and keeps it, so Drop can cut it the way a
// lost GSM link does: no DISCONNECT, the broker publishes the will.
func (l *link) dial(u *url.URL, o mqtt.ClientOptions) (net.Conn, error) {
	if u.Scheme != "tcp" && u.Scheme != "mqtt" {
		return nil, fmt.Errorf("broker scheme %q: firmware-sim speaks tcp:// only", u.Scheme)
	}
	conn, err := net.DialTimeout("tcp", u.Host, o.ConnectTimeout)
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	l.conn = conn
	l.mu.Unlock()
	return conn, nil
}

func (l *link) lost(c mqtt.Client, err error) {
	l.mu.Lock()
	mine := l.setDown(c)
	l.mu.Unlock()
	if mine && l.state.CompareAndSwap(up, down) {
		l.log.Info("mqtt connection lost", "err", err)
	}
}

// Connected implements sim.Link.
func (l *link) Connected() bool { return l.state.Load() == up }

// Pending implements sim.Link.
func (l *link) Pending() int { return int(l.inflight.Load()) }

// Publish implements sim.Link. It never blocks: a full queue is ErrBusy.
func (l *link) Publish(payload []byte) error {
	if l.state.Load() != up {
		return sim.ErrNotConnected
	}
	select {
	case l.out <- outgoing{payload: l.encode(payload), at: time.Now()}:
		l.inflight.Add(1)
		return nil
	default:
		return sim.ErrBusy
	}
}

// Drop implements sim.Link. Payloads queued or in flight stay with the link
// and go out on the next connection.
func (l *link) Drop() {
	l.state.Store(down)
	l.mu.Lock()
	conn := l.conn
	l.conn = nil
	l.gen++
	l.setDown(nil)
	l.mu.Unlock()
	if conn != nil {
		conn.Close()
	}
}

// Close implements sim.Link: it lets queued telemetry go (up to 2 s),
// publishes offline, disconnects and stops the link's goroutines.
func (l *link) Close() {
	l.closeOnce.Do(func() {
		l.drain(2 * time.Second)
		l.mu.Lock()
		c := l.client
		l.mu.Unlock()
		if c != nil && l.state.Load() == up {
			topic, payload := l.status, []byte("offline") // retained; an NDEATH is not
			if l.opts.Protocol == Sparkplug {
				l.mu.Lock()
				topic, payload = l.spTopic("NDEATH"), bdSeqPayload(l.bdSeq)
				l.mu.Unlock()
			}
			if err := wait(c.Publish(topic, 1, l.opts.Protocol != Sparkplug, payload), 2*time.Second); err != nil {
				l.log.Warn("publish offline", "err", err)
			}
			c.Disconnect(250)
		}
		l.state.Store(down)
		l.mu.Lock()
		l.setDown(nil)
		conn := l.conn
		l.mu.Unlock()
		close(l.done)
		if conn != nil {
			conn.Close() // a connect still under way gives up
		}
		l.wg.Wait()
	})
}

func (l *link) drain(limit time.Duration) {
	deadline := time.Now().Add(limit)
	for l.inflight.Load() > 0 && l.state.Load() == up && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond) // bounded wait for our own sender
	}
}

// waitClient returns the connected client and a channel closed when it is
// lost, waiting for a connection; nil once the link is closed.
func (l *link) waitClient() (mqtt.Client, <-chan struct{}) {
	for {
		l.mu.Lock()
		c, gone, ready := l.client, l.gone, l.ready
		l.mu.Unlock()
		if c != nil {
			return c, gone
		}
		select {
		case <-ready:
		case <-l.done:
			return nil, nil
		}
	}
}

// next returns the next payload to publish: a retry first, else the queue.
func (l *link) next() (outgoing, bool) {
	for {
		l.mu.Lock()
		if len(l.retries) > 0 {
			m := l.retries[0]
			l.retries = l.retries[1:]
			l.mu.Unlock()
			return m, true
		}
		l.mu.Unlock()
		select {
		case <-l.done:
			return outgoing{}, false
		case m := <-l.out:
			return m, true
		case <-l.retried:
		}
	}
}

// send publishes queued telemetry on the current client, waiting for one
// while the link is down.
func (l *link) send() {
	defer close(l.tokens)
	for {
		m, ok := l.next()
		if !ok {
			return
		}
		c, gone := l.waitClient()
		if c == nil {
			l.giveUp(m, sim.ErrNotConnected)
			return
		}
		m.attempts++
		l.tokens <- pending{tok: c.Publish(l.telemetry, 1, false, m.payload), msg: m, gone: gone}
	}
}

// await reports the outcome of each publish, in order. A publish whose
// connection went before the broker acknowledged it is sent again on the
// next connection (the broker may then have it twice: harmless, the server
// keys readings by device and ts).
func (l *link) await() {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for p := range l.tokens {
		timer.Reset(30 * time.Second)
		var err error
		select {
		case <-p.tok.Done():
			err = p.tok.Error()
		case <-p.gone:
			err = errLost
			if p.tok.WaitTimeout(0) {
				err = p.tok.Error()
			}
		case <-timer.C:
			err = errTimeout
		}
		if err == nil {
			l.inflight.Add(-1)
			l.opts.OnResult(time.Since(p.msg.at), nil)
			continue
		}
		l.retry(p.msg, err)
	}
}

func (l *link) retry(m outgoing, err error) {
	select {
	case <-l.done:
		l.giveUp(m, err)
		return
	default:
	}
	if m.attempts >= maxAttempts {
		l.giveUp(m, err)
		return
	}
	l.mu.Lock()
	l.retries = append(l.retries, m)
	l.mu.Unlock()
	select {
	case l.retried <- struct{}{}:
	default:
	}
}

func (l *link) giveUp(m outgoing, err error) {
	l.inflight.Add(-1)
	l.opts.OnResult(time.Since(m.at), err)
	l.log.Debug("telemetry given up", "err", err, "attempts", m.attempts)
}

var (
	errTimeout = errors.New("timed out")
	errLost    = errors.New("connection lost before the broker acknowledged")
)

func wait(t mqtt.Token, d time.Duration) error {
	if !t.WaitTimeout(d) {
		return errTimeout
	}
	return t.Error()
}
