// Package notify tells people about alert transitions by SMS, email and
// webhook. Alerting hands it transitions inside the transaction that stores
// them (Enqueue); notify routes them to contacts, writes one outbox row per
// recipient and channel in that same transaction, and its workers deliver the
// rows at least once, escalating unacknowledged alerts tier by tier.
//
// Channels live in sub-packages (sms, email, webhook) and implement Sender.
package notify

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/oxywatch/oxywatch/internal/config"
	"github.com/oxywatch/oxywatch/internal/plant"
	"github.com/oxywatch/oxywatch/internal/store"
)

// Channel is a way of reaching a recipient.
type Channel string

const (
	SMS     Channel = "sms"
	Email   Channel = "email"
	Webhook Channel = "webhook"
)

// Message is one delivery handed to a Sender.
type Message struct {
	Key     string // stable idempotency key; receivers may drop repeats
	To      string // E.164 phone, email address or URL
	Name    string // recipient's name, when a contact
	Subject string
	Text    string
	HTML    string
	JSON    []byte // webhook body
}

// Sender delivers messages on one channel. It returns nil only once the
// provider accepted the message; errors wrapped with Permanent are not retried.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// SenderFunc adapts a function to Sender.
type SenderFunc func(ctx context.Context, m Message) error

// Send calls f.
func (f SenderFunc) Send(ctx context.Context, m Message) error { return f(ctx, m) }

// LookupFunc names an alert's facility and its device's kind for messages and
// routing. It runs inside the caller's transaction: it must not write to the
// database.
type LookupFunc func(ctx context.Context, a plant.Alert) (facilityName string, kind plant.Kind)

// Errors the API layer maps to statuses.
var (
	ErrNotFound = plant.ErrNotFound
	ErrInvalid  = plant.ErrInvalid
	ErrConflict = plant.ErrConflict
)

// Options builds a Service.
type Options struct {
	DB         *sql.DB
	Config     config.Notify
	Senders    map[Channel]Sender // channels without a sender are not used
	Lookup     LookupFunc         // optional
	Registerer prometheus.Registerer
	Logger     *slog.Logger
	Now        func() time.Time // optional clock
	// Retention is how long the delivery log keeps the messages of alerts
	// that are over; 0 means DefaultRetention.
	Retention time.Duration
}

// DefaultRetention keeps the delivery log for about six months.
const DefaultRetention = 180 * 24 * time.Hour

// Service is the notifier: Enqueue, the outbox workers, escalation, contacts
// and the delivery log.
type Service struct {
	db      *sql.DB
	cfg     config.Notify
	loc     *time.Location
	senders map[Channel]Sender
	lookup  LookupFunc
	log     *slog.Logger
	now     func() time.Time
	m       *metrics

	wake     chan struct{}
	mu       sync.Mutex
	inflight map[string]bool // addresses being sent to
	smsOut   int             // SMS in flight, counted against the budget

	retention time.Duration
	lastPrune time.Time // owned by the goroutine that polls

	stopOnce sync.Once
	stop     chan struct{}
	done     chan struct{}
	running  bool
}

// New migrates the notify tables and builds a Service. Run starts delivery.
func New(opts Options) (*Service, error) {
	if opts.DB == nil {
		return nil, fmt.Errorf("notify: no database")
	}
	if opts.Registerer == nil {
		return nil, fmt.Errorf("notify: no prometheus registerer")
	}
	if err := store.Migrate(context.Background(), opts.DB, "notify", migrations); err != nil {
		return nil, fmt.Errorf("notify: %w", err)
	}
	m, err := newMetrics(opts.Registerer)
	if err != nil {
		return nil, fmt.Errorf("notify: %w", err)
	}
	s := &Service{
		db: opts.DB, cfg: opts.Config, loc: opts.Config.Location(),
		senders: opts.Senders, lookup: opts.Lookup, log: opts.Logger, now: opts.Now, m: m, retention: opts.Retention,
		wake: make(chan struct{}, 1), inflight: map[string]bool{},
		stop: make(chan struct{}), done: make(chan struct{}),
	}
	s.applyDefaults()
	return s, nil
}

func (s *Service) applyDefaults() {
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.lookup == nil {
		s.lookup = func(_ context.Context, a plant.Alert) (string, plant.Kind) { return a.Facility, "" }
	}
	if s.senders == nil {
		s.senders = map[Channel]Sender{}
	}
	if s.cfg.Workers < 1 {
		s.cfg.Workers = 1
	}
	if s.cfg.PollInterval <= 0 {
		s.cfg.PollInterval = time.Second
	}
	if s.retention <= 0 {
		s.retention = DefaultRetention
	}
}

// Run delivers the outbox and runs escalations until ctx ends or Stop is
// called, then waits up to the shutdown timeout for sends in flight; rows
// whose sends it had to cancel stay pending for the next start. A Service
// runs once: a second Run returns an error.
func (s *Service) Run(ctx context.Context) error {
	s.mu.Lock()
	if s.running {
		s.mu.Unlock()
		return fmt.Errorf("notify: already running")
	}
	s.running = true
	s.mu.Unlock()
	defer close(s.done)
	return s.loop(ctx)
}

// Stop ends Run and waits for it, at most the shutdown timeout plus a poll.
// It may be called more than once and before Run.
func (s *Service) Stop() {
	s.stopOnce.Do(func() { close(s.stop) })
	s.mu.Lock()
	running := s.running
	s.mu.Unlock()
	if !running {
		return
	}
	select {
	case <-s.done:
	case <-time.After(s.cfg.ShutdownTimeout + s.cfg.PollInterval + time.Second):
		s.log.Warn("notify: stop timed out")
	}
}

// nudge wakes the workers: rows were committed or a worker is free.
func (s *Service) nudge() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *Service) hasSender(c Channel) bool { return s.senders[c] != nil }

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }
