package ingest

import (
	"context"
	"crypto/subtle"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/storage/bolt"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"
	"go.etcd.io/bbolt"
)

// BrokerUser is a login the embedded broker accepts. A device may publish
// only under PREFIX/<its username>/; the ingester's user may read everything.
type BrokerUser struct{ Username, Password string }

// BrokerOptions configure the embedded broker.
type BrokerOptions struct {
	Listen      string
	DataDir     string // sessions, in-flight and retained messages survive restarts
	TopicPrefix string
	Ingester    string // username of the ingester (may read all)
	Users       []BrokerUser
	Logger      *slog.Logger
}

// Broker is the embedded MQTT broker used when no external broker is set, so
// `oxywatch serve` works alone.
type Broker struct {
	srv *mochi.Server
}

// StartBroker starts the embedded broker.
func StartBroker(opts BrokerOptions) (*Broker, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	srv := mochi.New(&mochi.Options{
		InlineClient: false,
		Logger:       slog.New(quietFirstStart{opts.Logger.Handler()}).With("component", "broker"),
	})
	srv.Options.Capabilities.MaximumInflight = 1024
	srv.Options.Capabilities.MaximumClientWritesPending = 8192
	if err := srv.AddHook(&userAuth{opts: opts}, nil); err != nil {
		return nil, fmt.Errorf("embedded broker auth: %w", err)
	}
	if err := os.MkdirAll(opts.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("embedded broker data dir: %w", err)
	}
	if err := srv.AddHook(new(bolt.Hook), &bolt.Options{
		Path:    filepath.Join(opts.DataDir, "broker.db"),
		Options: &bbolt.Options{Timeout: 0},
	}); err != nil {
		return nil, fmt.Errorf("embedded broker storage: %w", err)
	}
	if err := srv.AddListener(listeners.NewTCP(listeners.Config{ID: "tcp", Address: opts.Listen})); err != nil {
		return nil, fmt.Errorf("embedded broker listen %s: %w", opts.Listen, err)
	}
	if err := srv.Serve(); err != nil {
		return nil, fmt.Errorf("embedded broker: %w", err)
	}
	return &Broker{srv: srv}, nil
}

// Close stops the broker.
func (b *Broker) Close() error { return b.srv.Close() }

// userAuth lets anyone in on loopback when no users are configured (config
// validation refuses a public listener without users); otherwise it checks
// credentials in constant time and confines each device to its own topics.
type userAuth struct {
	mochi.HookBase
	opts BrokerOptions
}

func (h *userAuth) ID() string { return "oxywatch-auth" }

func (h *userAuth) Provides(b byte) bool {
	return b == mochi.OnConnectAuthenticate || b == mochi.OnACLCheck
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
	return ok
}

func (h *userAuth) OnACLCheck(cl *mochi.Client, topic string, write bool) bool {
	if len(h.opts.Users) == 0 {
		return true
	}
	user := string(cl.Properties.Username)
	if user == h.opts.Ingester {
		return true
	}
	if !write {
		return false // devices publish; they have no business reading others
	}
	prefix := h.opts.TopicPrefix + "/" + user + "/"
	return len(topic) > len(prefix) && topic[:len(prefix)] == prefix
}

// quietFirstStart drops the bolt persistence hook's complaint that a fresh
// store holds no saved $SYS info yet: on a first start that is expected,
// not an error an operator should chase.
type quietFirstStart struct{ slog.Handler }

func (q quietFirstStart) Handle(ctx context.Context, r slog.Record) error {
	if r.Level == slog.LevelError && r.Message == "failed to get data" {
		missing := false
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "error" && strings.Contains(a.Value.String(), "key not found") {
				missing = true
			}
			return !missing
		})
		if missing {
			return nil
		}
	}
	return q.Handler.Handle(ctx, r)
}

func (q quietFirstStart) WithAttrs(as []slog.Attr) slog.Handler {
	return quietFirstStart{q.Handler.WithAttrs(as)}
}

func (q quietFirstStart) WithGroup(name string) slog.Handler {
	return quietFirstStart{q.Handler.WithGroup(name)}
}
