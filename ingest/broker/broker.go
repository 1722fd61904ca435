package broker

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/oxywatch/oxywatch/ingest"
	"github.com/oxywatch/oxywatch/ingest/sparkplug"
)

// User is a login the embedded broker accepts. A device may publish
// only under PREFIX/<its username>/; the ingester's user may read everything.
type User struct{ Username, Password string }

// Options configure the embedded broker.
type Options struct {
	Listen      string
	DataDir     string // where a store left by an older version is found and imported
	TopicPrefix string
	Ingester    string // username of the ingester (may read all)
	Users       []User
	Logger      *slog.Logger
	Registerer  prometheus.Registerer

	// Handle, when set, takes every message in the broker's own publish
	// path: a QoS 1 PUBACK goes out only after Handle returned nil, i.e.
	// after the readings are durable in the buffer. Such a broker relays
	// nothing to subscribers, so it holds no queue that could overflow and
	// needs no store of its own. Without Handle it is a plain in-memory
	// relay (tests use it as a stand-in for an external broker).
	Handle ingest.HandlerFunc
	// HandleAsync, when set with Handle, takes QoS 1 publishes instead of
	// Handle without holding up the device's connection during the fsync:
	// the broker goes on reading the device's next messages, and each
	// PUBACK is written, in the order of the messages, once done told that
	// message's readings are durable (see acks.go).
	HandleAsync ingest.AsyncHandlerFunc
}

// Limits of the embedded broker. A packet up to maxPacketBytes reaches the
// decoder, which refuses what is over the contract's 64 KiB with a named
// reason; a larger one cuts the connection before it is buffered whole.
const (
	maxPacketBytes       = 4 * ingest.MaxPayloadBytes
	maxWritesPending     = 32 // devices do not subscribe (an edge node gets a rare command); this bounds a rogue subscriber
	sessionExpirySeconds = 24 * 3600
	legacyStoreName      = "broker.db"
	legacyImportedSuffix = ".imported"
	legacyDamagedSuffix  = ".damaged"
	listenerID           = "tcp"
	maxTopicAliases      = 16
	// maxTopicBytes bounds the topics a device may publish to: the
	// contract's are PREFIX/DEVICE/telemetry|status with an id of at most
	// 64 characters, and Sparkplug's five short parts.
	maxTopicBytes = 512
)

// Broker is the embedded MQTT broker used when no external broker is set, so
// `oxywatch serve` works alone.
type Broker struct {
	srv     *mochi.Server
	opts    Options
	log     *slog.Logger
	intake  *intakeHook
	started atomic.Bool
	stop    sync.Once
}

// New builds the broker and binds its listener; Start serves.
func New(opts Options) (*Broker, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	log := opts.Logger.With("component", "broker")
	// The inline client sends Sparkplug rebirth requests (Command).
	srv := mochi.New(&mochi.Options{InlineClient: opts.Handle != nil, Logger: slog.New(connEnds{log.Handler()})})
	caps := srv.Options.Capabilities
	caps.MaximumPacketSize = maxPacketBytes
	// mochi keeps each topic alias a device sets, up to 65535 by default:
	// a device could make it hold gigabytes. A device needs one or two.
	caps.TopicAliasMaximum = maxTopicAliases
	if opts.Handle != nil { // nobody subscribes: keep per-client queues and idle sessions small
		caps.MaximumClientWritesPending = maxWritesPending
		caps.MaximumSessionExpiryInterval = sessionExpirySeconds
		if opts.HandleAsync != nil {
			caps.ReceiveMaximum = maxPendingAcks
		}
	}
	b := &Broker{srv: srv, opts: opts, log: log}
	m := newBrokerMetrics(opts.Registerer, srv, b.Connected)
	auth := &userAuth{opts: opts, srv: srv, m: m, log: log}
	if err := srv.AddHook(auth, nil); err != nil {
		return nil, fmt.Errorf("embedded broker auth: %w", err)
	}
	if opts.Handle != nil {
		b.intake = &intakeHook{handle: opts.Handle, handleAsync: opts.HandleAsync, mayPublish: auth.mayPublish,
			aliasMax: caps.TopicAliasMaximum, log: log, m: m}
		if opts.HandleAsync != nil {
			b.intake.startAsync()
		}
		if err := srv.AddHook(b.intake, nil); err != nil {
			return nil, fmt.Errorf("embedded broker intake: %w", err)
		}
	}
	if err := srv.AddListener(listeners.NewTCP(listeners.Config{ID: listenerID, Address: opts.Listen})); err != nil {
		return nil, fmt.Errorf("embedded broker listen %s: %w", opts.Listen, err)
	}
	return b, nil
}

// Start builds a broker and serves at once.
func Start(opts Options) (*Broker, error) {
	b, err := New(opts)
	if err != nil {
		return nil, err
	}
	b.Start(context.Background())
	return b, nil
}

// Start imports what an older version's broker store still held, then
// accepts connections.
func (b *Broker) Start(ctx context.Context) {
	if b.intake != nil {
		b.intake.ctx = ctx
		b.importLegacyStore(ctx)
	}
	if err := b.srv.Serve(); err != nil {
		b.log.Error("embedded broker did not start", "err", err)
		return
	}
	b.started.Store(true)
}

// Connected reports whether the broker is accepting devices.
func (b *Broker) Connected() bool {
	return b.started.Load() && (b.intake == nil || !b.intake.closing.Load())
}

// Fatal never fires: a message that cannot be made durable is refused to its
// device, which sends it again, and the broker goes on.
func (b *Broker) Fatal() <-chan error { return nil }

// Stop takes no more messages (devices keep what was not acknowledged) and
// closes every connection. Last wills sent by the closing itself are not
// taken as devices going offline.
func (b *Broker) Stop() {
	b.stop.Do(func() {
		if b.intake != nil {
			b.intake.closing.Store(true)
		}
		b.started.Store(false)
		if b.intake != nil && b.intake.stopped != nil {
			b.intake.stopAsync()
		}
		b.closeClients()
		_ = b.srv.Close()
	})
}

// closeClients closes the listener, then every device's connection, before
// mochi's Close. Close's own way to find the connections
// (Clients.GetByListener) takes the clients' read lock twice, and
// deadlocks for good when a device connects or leaves in between (mochi
// issue 488, fixed upstream but not released in v2.7.9): a shutdown or a
// restart in place would hang. With the listener closed here, Close finds
// it closed and only waits for the connections to end.
func (b *Broker) closeClients() {
	b.srv.Listeners.Close(listenerID, func(string) {})
	// A connection accepted just before the listener closed joins the
	// clients a moment later: look again until a pass finds none.
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		open := 0
		for _, cl := range b.srv.Clients.GetAll() {
			if cl.Net.Inline || cl.Closed() {
				continue
			}
			open++
			_ = b.srv.DisconnectClient(cl, packets.ErrServerShuttingDown)
		}
		if open == 0 {
			return
		}
	}
}

// Close is Stop, for callers that hold the broker as an io.Closer.
func (b *Broker) Close() error {
	b.Stop()
	return nil
}

// intakeHook hands each publish to the ingest path before mochi sends the
// PUBACK (mochi's processPublish calls OnPublish first and acknowledges
// after it returns), and marks it handled so it is neither relayed nor
// retained.
type intakeHook struct {
	mochi.HookBase
	ctx         context.Context
	handle      ingest.HandlerFunc
	handleAsync ingest.AsyncHandlerFunc
	mayPublish  func(cl *mochi.Client, topic string) bool // the ACL, for messages taken as they are read
	aliasMax    uint16                                    // the broker's Topic Alias Maximum
	decoders    []chan job                                // a device's QoS 1 messages go to one, in order
	devices     sync.Map                                  // *mochi.Client → *deviceAcks, while QoS 1 messages await their PUBACK
	all         chan struct{}                             // a token per QoS 1 message not yet acknowledged (maxPendingAll)
	flush       chan *deviceAcks                          // connections with PUBACKs to write
	stopped     chan struct{}                             // closed when the broker stops: the ack writers end
	halted      atomic.Bool                               // the broker stops: nobody waits for room any more
	log         *slog.Logger
	m           *brokerMetrics
	closing     atomic.Bool
}

func (h *intakeHook) ID() string { return "oxywatch-intake" }

func (h *intakeHook) Provides(b byte) bool {
	return b == mochi.OnPublish || b == mochi.OnWillSent || b == mochi.OnDisconnect ||
		(b == mochi.OnPacketRead && h.handleAsync != nil)
}

func (h *intakeHook) OnPublish(cl *mochi.Client, pk packets.Packet) (packets.Packet, error) {
	if cl.Net.Inline {
		return pk, nil // our own command (Broker.Command): relayed to the edge node
	}
	if h.closing.Load() {
		cl.Stop(packets.ErrServerShuttingDown) // not acknowledged: the device sends it again
		return pk, packets.ErrRejectPacket
	}
	if h.handleAsync != nil {
		// QoS 1 telemetry was taken in OnPacketRead; what comes here (a
		// status, QoS 0 or 2) comes after the readings sent before it
		h.settle(cl)
	}
	if err := h.handle(h.ctx, pk.TopicName, pk.Payload); err != nil {
		h.m.refused.WithLabelValues("not_durable").Inc()
		h.log.Error("message not made durable; closing the device's connection so it sends again", "client", cl.ID, "topic", pk.TopicName, "err", err)
		cl.Stop(packets.ErrUnspecifiedError)
		return pk, packets.ErrRejectPacket
	}
	return pk, packets.CodeSuccessIgnore
}

// OnWillSent takes a device's last will (its `offline` status) like any
// other message. The will's topic passed the ACL when the device connected.
func (h *intakeHook) OnWillSent(cl *mochi.Client, pk packets.Packet) {
	if h.closing.Load() {
		return // the broker is stopping; the device did not go away
	}
	if h.handleAsync != nil {
		h.settle(cl) // the device's last readings come before its `offline`
	}
	if err := h.handle(h.ctx, pk.TopicName, pk.Payload); err != nil {
		h.log.Warn("last will not recorded", "client", cl.ID, "topic", pk.TopicName, "err", err)
	}
}

// userAuth lets anyone in on loopback when no users are configured (config
// validation refuses a public listener without users); otherwise it checks
// credentials in constant time and confines each device to its own topics,
// for what it publishes and for the last will it leaves behind.
type userAuth struct {
	mochi.HookBase
	opts Options
	srv  *mochi.Server
	m    *brokerMetrics
	log  *slog.Logger
}

func (h *userAuth) ID() string { return "oxywatch-auth" }

func (h *userAuth) Provides(b byte) bool {
	return b == mochi.OnConnectAuthenticate || b == mochi.OnACLCheck || b == mochi.OnConnect || b == mochi.OnPacketEncode
}

// OnPacketEncode tells MQTT 5 devices in the CONNACK how many topic
// aliases the broker keeps for them: mochi enforces its Topic Alias
// Maximum but does not say it, and a client that is not told may use
// none (MQTT 5 §3.2.2.3.8).
func (h *userAuth) OnPacketEncode(cl *mochi.Client, pk packets.Packet) packets.Packet {
	if pk.FixedHeader.Type == packets.Connack && pk.ReasonCode == packets.CodeSuccess.Code && cl.Properties.ProtocolVersion >= 5 {
		pk.Properties.TopicAliasMaximum = h.srv.Options.Capabilities.TopicAliasMaximum
	}
	return pk
}

func (h *userAuth) OnConnectAuthenticate(cl *mochi.Client, pk packets.Packet) bool {
	if len(h.opts.Users) == 0 {
		return true
	}
	user, pass := string(cl.Properties.Username), string(pk.Connect.Password)
	ok := false
	for _, u := range h.opts.Users {
		userOK := subtle.ConstantTimeCompare([]byte(u.Username), []byte(user)) == 1
		passOK := subtle.ConstantTimeCompare([]byte(u.Password), []byte(pass)) == 1
		ok = ok || (userOK && passOK)
	}
	if !ok {
		h.m.refused.WithLabelValues("bad_credentials").Inc()
	}
	return ok
}

// OnConnect refuses a last will on a topic the client may not publish to:
// mochi sends wills without an ACL check, so this is where it is checked.
func (h *userAuth) OnConnect(cl *mochi.Client, pk packets.Packet) error {
	if !pk.Connect.WillFlag || h.mayPublish(cl, pk.Connect.WillTopic) {
		return nil
	}
	h.m.refused.WithLabelValues("will_not_allowed").Inc()
	h.log.Warn("refused a connection whose last will names another device's topic", "client", cl.ID, "user", string(cl.Properties.Username), "will_topic", pk.Connect.WillTopic)
	code := packets.ErrNotAuthorized
	if cl.Properties.ProtocolVersion < 5 {
		code = packets.Err3NotAuthorized // mochi maps only some v5 codes to 3.1.1
	}
	_ = h.srv.SendConnack(cl, code, false, nil)
	return code
}

func (h *userAuth) OnACLCheck(cl *mochi.Client, topic string, write bool) bool {
	if len(h.opts.Users) == 0 {
		return true
	}
	if string(cl.Properties.Username) == h.opts.Ingester {
		return true
	}
	var ok bool
	reason := "topic_not_allowed"
	if write {
		ok = h.mayPublish(cl, topic)
	} else {
		// devices publish; they have no business reading others. A
		// Sparkplug edge node reads its own commands.
		ok = sparkplug.IsTopic(topic) && sparkplugMayRead(string(cl.Properties.Username), topic)
		reason = "subscribe_not_allowed"
	}
	if !ok {
		h.m.refused.WithLabelValues(reason).Inc()
		if h.m.logNow() {
			h.log.Warn("refused a device's publish or subscription to a topic that is not its own (its user may use only PREFIX/USER/...); check the device's topic and user name",
				"client", cl.ID, "user", string(cl.Properties.Username), "topic", clipTopic(topic), "publish", write)
		}
	}
	return ok
}

// clipTopic keeps a log line short whatever a device sent.
func clipTopic(t string) string {
	if len(t) > 120 {
		return t[:120] + "…"
	}
	return t
}

func (h *userAuth) mayPublish(cl *mochi.Client, topic string) bool {
	if len(h.opts.Users) == 0 {
		return true
	}
	user := string(cl.Properties.Username)
	if user == h.opts.Ingester {
		return true
	}
	if len(topic) > maxTopicBytes {
		return false
	}
	if sparkplug.IsTopic(topic) {
		return sparkplugMayPublish(user, topic)
	}
	prefix := h.opts.TopicPrefix + "/" + user + "/"
	return len(topic) > len(prefix) && strings.HasPrefix(topic, prefix)
}

type brokerMetrics struct {
	refused *prometheus.CounterVec
	logged  atomic.Int64 // when a refusal was last logged (unix seconds)
}

// logNow lets one refusal log line through a minute, so a device that
// keeps publishing where it may not cannot flood the log (the counter
// counts them all).
func (m *brokerMetrics) logNow() bool {
	now, last := time.Now().Unix(), m.logged.Load()
	return now-last >= 60 && m.logged.CompareAndSwap(last, now)
}

func newBrokerMetrics(reg prometheus.Registerer, srv *mochi.Server, serving func() bool) *brokerMetrics {
	m := &brokerMetrics{refused: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "oxywatch_broker_refused_total",
		Help: "Embedded broker: connections or messages refused, by reason (bad_credentials, will_not_allowed, not_durable, topic_not_allowed: a device published to a topic not its own, subscribe_not_allowed: a device subscribed to one).",
	}, []string{"reason"})}
	for _, r := range []string{"bad_credentials", "will_not_allowed", "not_durable", "topic_not_allowed", "subscribe_not_allowed"} {
		m.refused.WithLabelValues(r)
	}
	if reg != nil {
		reg.MustRegister(m.refused, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "oxywatch_broker_clients_connected", Help: "Embedded broker: devices connected now.",
		}, func() float64 { return float64(atomic.LoadInt64(&srv.Info.ClientsConnected)) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "oxywatch_mqtt_connected", Help: "1 while the embedded broker takes devices' messages.",
			}, func() float64 {
				if serving() {
					return 1
				}
				return 0
			}))
	}
	return m
}

// errLegacy wraps what went wrong while importing an old store.
var errLegacy = errors.New("broker store of an earlier version")

// legacyPath is where versions before the in-broker intake kept the broker's
// bbolt store.
func (b *Broker) legacyPath() string { return filepath.Join(b.opts.DataDir, legacyStoreName) }

// moveAside renames a file out of the way with a suffix, never overwriting.
func moveAside(path, suffix string) (string, error) {
	to := path + suffix
	for i := 1; ; i++ {
		if _, err := os.Stat(to); errors.Is(err, os.ErrNotExist) {
			break
		}
		to = fmt.Sprintf("%s%s.%d", path, suffix, i)
	}
	return to, os.Rename(path, to)
}

// connEnds turns mochi's unnamed warning for every connection that ends
// (EOF, reset, closed at shutdown: daily life on GSM links) into a debug
// line named for what it is, so the log keeps warnings for real trouble.
type connEnds struct{ slog.Handler }

func (c connEnds) Handle(ctx context.Context, r slog.Record) error {
	if r.Level == slog.LevelWarn && r.Message == "" {
		if !c.Enabled(ctx, slog.LevelDebug) {
			return nil
		}
		d := slog.NewRecord(r.Time, slog.LevelDebug, "device connection ended", r.PC)
		r.Attrs(func(a slog.Attr) bool { d.AddAttrs(a); return true })
		r = d
	}
	return c.Handler.Handle(ctx, r)
}

func (c connEnds) WithAttrs(as []slog.Attr) slog.Handler { return connEnds{c.Handler.WithAttrs(as)} }

func (c connEnds) WithGroup(name string) slog.Handler { return connEnds{c.Handler.WithGroup(name)} }
