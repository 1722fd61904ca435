package broker

import (
	"context"
	"errors"
	"fmt"
	"github.com/oxywatch/oxywatch/ingest"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/mochi-mqtt/server/v2/hooks/storage/bolt"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.etcd.io/bbolt"

	"github.com/oxywatch/oxywatch/internal/testenv"
)

// taken records what a broker handed to ingest.
type taken struct {
	mu   sync.Mutex
	msgs []string // topic + " " + payload
	fail atomic.Bool
	gate chan struct{} // when set, Handle waits for it
}

func (tk *taken) handle(_ context.Context, topic string, payload []byte) error {
	if tk.gate != nil {
		<-tk.gate
	}
	if tk.fail.Load() {
		return errors.New("disk full")
	}
	tk.mu.Lock()
	defer tk.mu.Unlock()
	tk.msgs = append(tk.msgs, topic+" "+string(payload))
	return nil
}

func (tk *taken) all() []string {
	tk.mu.Lock()
	defer tk.mu.Unlock()
	return append([]string(nil), tk.msgs...)
}

func (tk *taken) has(msg string) bool {
	for _, m := range tk.all() {
		if m == msg {
			return true
		}
	}
	return false
}

type brokerEnv struct {
	b    *Broker
	url  string
	reg  *prometheus.Registry
	take *taken
}

func startTestBroker(t *testing.T, dataDir string, users []User, tk *taken) *brokerEnv {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	reg := prometheus.NewRegistry()
	b, err := New(Options{
		Listen: addr, DataDir: dataDir, TopicPrefix: "o2", Ingester: "oxywatch", Users: users,
		Logger: testLogger(), Registerer: reg, Handle: tk.handle,
	})
	if err != nil {
		t.Fatal(err)
	}
	b.Start(context.Background())
	t.Cleanup(b.Stop)
	return &brokerEnv{b: b, url: "tcp://" + addr, reg: reg, take: tk}
}

// device connects a paho client; opts may set a will or credentials.
func device(t *testing.T, url, id string, opts func(*mqtt.ClientOptions)) (mqtt.Client, error) {
	t.Helper()
	o := mqtt.NewClientOptions().AddBroker(url).SetClientID(id).SetAutoReconnect(false).SetConnectTimeout(5 * time.Second).SetProtocolVersion(4)
	if opts != nil {
		opts(o)
	}
	c := mqtt.NewClient(o)
	tok := c.Connect()
	if !tok.WaitTimeout(10 * time.Second) {
		return nil, errors.New("connect timed out")
	}
	if tok.Error() != nil {
		return nil, tok.Error()
	}
	t.Cleanup(func() { c.Disconnect(50) })
	return c, nil
}

func TestBrokerAcknowledgesOnlyWhatIsDurable(t *testing.T) {
	tk := &taken{gate: make(chan struct{})}
	env := startTestBroker(t, t.TempDir(), nil, tk)
	c, err := device(t, env.url, "dev1", nil)
	if err != nil {
		t.Fatal(err)
	}
	tok := c.Publish("o2/dev1/telemetry", 1, false, `{"purity_pct":93}`)
	if tok.WaitTimeout(300 * time.Millisecond) {
		t.Fatal("PUBACK came while the reading was still being made durable")
	}
	close(tk.gate)
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("no PUBACK after the reading was durable: %v", tok.Error())
	}
	if !tk.has(`o2/dev1/telemetry {"purity_pct":93}`) {
		t.Fatalf("ingest got %q", tk.all())
	}

	// A reading that cannot be made durable is not acknowledged: the
	// device's connection is closed so it sends it again.
	tk.fail.Store(true)
	tok = c.Publish("o2/dev1/telemetry", 1, false, `{"purity_pct":94}`)
	if tok.WaitTimeout(10*time.Second) && tok.Error() == nil {
		t.Fatal("a reading that was not made durable was acknowledged")
	}
	testenv.Eventually(t, 10*time.Second, "connection closed", func() bool { return !c.IsConnectionOpen() })
	if got := testutil.ToFloat64(env.b.intake.m.refused.WithLabelValues("not_durable")); got != 1 {
		t.Fatalf("not_durable counter %v, want 1", got)
	}
}

func TestBrokerWillPassesTheACL(t *testing.T) {
	users := []User{{"oxywatch", "ing-pass-1234567890"}, {"dev1", "pw1"}, {"dev2", "pw2"}}
	tk := &taken{}
	env := startTestBroker(t, t.TempDir(), users, tk)
	creds := func(will string, retain bool) func(*mqtt.ClientOptions) {
		return func(o *mqtt.ClientOptions) {
			o.SetUsername("dev1").SetPassword("pw1")
			if will != "" {
				o.SetWill(will, "offline", 1, retain)
			}
		}
	}
	for _, will := range []string{"o2/dev2/status", "o2/dev2/telemetry", "o2/dev1"} {
		for _, retain := range []bool{false, true} {
			if _, err := device(t, env.url, "dev1-"+will, creds(will, retain)); err == nil {
				t.Errorf("dev1 connected with a will on %s (retain %v)", will, retain)
			}
		}
	}
	if got := testutil.ToFloat64(env.b.intake.m.refused.WithLabelValues("will_not_allowed")); got != 6 {
		t.Errorf("will_not_allowed counter %v, want 6", got)
	}

	// Its own will is accepted, and taken in when the link drops.
	var raw net.Conn
	_, err := device(t, env.url, "dev1", func(o *mqtt.ClientOptions) {
		creds("o2/dev1/status", true)(o)
		o.SetCustomOpenConnectionFn(func(u *url.URL, _ mqtt.ClientOptions) (net.Conn, error) {
			c, err := net.Dial("tcp", u.Host)
			raw = c
			return c, err
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	raw.Close() // the link drops without DISCONNECT
	testenv.Eventually(t, 10*time.Second, "the will taken in", func() bool { return tk.has("o2/dev1/status offline") })
	for _, m := range tk.all() {
		if strings.Contains(m, "dev2") {
			t.Errorf("a message for dev2 got in: %q", m)
		}
	}
}

func TestBrokerLimits(t *testing.T) {
	tk := &taken{}
	env := startTestBroker(t, t.TempDir(), nil, tk)
	c, err := device(t, env.url, "dev1", nil)
	if err != nil {
		t.Fatal(err)
	}
	// Just over the contract's 64 KiB: the decoder names it too_big.
	over := strings.Repeat("x", ingest.MaxPayloadBytes+10)
	if tok := c.Publish("o2/dev1/telemetry", 1, false, over); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("a 64 KiB+ payload should reach the decoder: %v", tok.Error())
	}
	// Far over: the connection is cut before the packet is read whole.
	huge := strings.Repeat("x", 20<<20)
	if tok := c.Publish("o2/dev1/telemetry", 1, false, huge); tok.WaitTimeout(10*time.Second) && tok.Error() == nil {
		t.Fatal("a 20 MB packet was acknowledged")
	}
	for _, m := range tk.all() {
		if len(m) > 1<<20 {
			t.Fatal("a 20 MB packet reached ingest")
		}
	}
	// Retained messages are taken in and never kept by the broker.
	c2, err := device(t, env.url, "dev2", nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		topic := fmt.Sprintf("o2/dev2/telemetry%d", i)
		if tok := c2.Publish(topic, 1, true, "x"); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			t.Fatal(tok.Error())
		}
	}
	for _, r := range env.b.srv.Topics.Retained.GetAll() {
		if strings.HasPrefix(r.TopicName, "o2/") {
			t.Fatalf("the broker keeps a retained message on %s", r.TopicName)
		}
	}
}

// TestBrokerImportsAnOlderStore: a data dir left by a version whose broker
// kept a bbolt store, with readings acknowledged to devices but never
// handed to the ingester (the loss of issue 12), is imported on start.
func TestBrokerImportsAnOlderStore(t *testing.T) {
	dir := t.TempDir()
	addr := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	old := mochi.New(&mochi.Options{Logger: slog.New(slog.DiscardHandler)})
	if err := old.AddHook(new(auth.AllowHook), nil); err != nil {
		t.Fatal(err)
	}
	if err := old.AddHook(new(bolt.Hook), &bolt.Options{Path: filepath.Join(dir, legacyStoreName), Options: &bbolt.Options{Timeout: time.Second}}); err != nil {
		t.Fatal(err)
	}
	if err := old.AddListener(listeners.NewTCP(listeners.Config{ID: "tcp", Address: addr})); err != nil {
		t.Fatal(err)
	}
	if err := old.Serve(); err != nil {
		t.Fatal(err)
	}
	url := "tcp://" + addr
	ing, err := device(t, url, "oxywatch", func(o *mqtt.ClientOptions) { o.SetCleanSession(false) })
	if err != nil {
		t.Fatal(err)
	}
	if tok := ing.Subscribe("o2/+/telemetry", 1, nil); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	ing.Disconnect(50) // the ingester is away: the broker queues for its session
	dev, err := device(t, url, "dev1", nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if tok := dev.Publish("o2/dev1/telemetry", 1, false, fmt.Sprintf(`{"seq":%d}`, i)); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			t.Fatal(tok.Error())
		}
	}
	dev.Disconnect(50)
	_ = old.Close()

	tk := &taken{}
	startTestBroker(t, dir, nil, tk)
	for i := range 5 {
		if want := fmt.Sprintf(`o2/dev1/telemetry {"seq":%d}`, i); !tk.has(want) {
			t.Errorf("reading %d of the old store was not imported; got %q", i, tk.all())
		}
	}
	if _, err := os.Stat(filepath.Join(dir, legacyStoreName+legacyImportedSuffix)); err != nil {
		t.Errorf("old store not moved aside: %v", err)
	}
}

func TestBrokerStartsOnADamagedOlderStore(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, legacyStoreName), []byte("torn page"), 0o600); err != nil {
		t.Fatal(err)
	}
	tk := &taken{}
	env := startTestBroker(t, dir, nil, tk)
	c, err := device(t, env.url, "dev1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if tok := c.Publish("o2/dev1/telemetry", 1, false, "{}"); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	if _, err := os.Stat(filepath.Join(dir, legacyStoreName+legacyDamagedSuffix)); err != nil {
		t.Errorf("damaged store not moved aside: %v", err)
	}
}

func testLogger() *slog.Logger {
	if os.Getenv("BROKER_DEBUG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}
