package notify

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/oxywatch/oxywatch/internal/config"
	"github.com/oxywatch/oxywatch/internal/plant"
	"github.com/oxywatch/oxywatch/internal/store"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 10, 2, 14, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// recorder is a Sender that keeps what it was given; fail, when set,
// decides each send's outcome.
type recorder struct {
	mu   sync.Mutex
	msgs []Message
	fail func(n int, m Message) error
}

func (r *recorder) Send(_ context.Context, m Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		if err := r.fail(len(r.msgs), m); err != nil {
			return err
		}
	}
	r.msgs = append(r.msgs, m)
	return nil
}

func (r *recorder) got() []Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Message(nil), r.msgs...)
}

// testConfig is the default notify config with no grouping, limit or
// budget, short retries and the default route.
func testConfig() config.Notify {
	c := config.Defaults().Notify
	c.GroupWindow = 0
	c.RateLimit = 0
	c.SMSDailyBudget = 0
	c.RetryMin = time.Second
	c.RetryMax = 8 * time.Second
	c.PollInterval = 20 * time.Millisecond
	c.SendTimeout = 5 * time.Second
	return c
}

type harness struct {
	t     testing.TB
	db    *sql.DB
	s     *Service
	reg   *prometheus.Registry
	clock *clock
}

func openDB(t testing.TB, path string) *sql.DB {
	t.Helper()
	db, err := store.OpenSQLiteFile(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func newHarness(t testing.TB, cfg config.Notify, senders map[Channel]Sender) *harness {
	t.Helper()
	h := &harness{t: t, db: openDB(t, filepath.Join(t.TempDir(), "oxywatch.db")), reg: prometheus.NewRegistry(), clock: newClock()}
	s, err := New(Options{DB: h.db, Config: cfg, Senders: senders, Registerer: h.reg, Now: h.clock.Now,
		Lookup: func(_ context.Context, a plant.Alert) (string, plant.Kind) {
			return facilityNames[a.Facility], plant.KindPSA
		}})
	if err != nil {
		t.Fatal(err)
	}
	h.s = s
	return h
}

var facilityNames = map[string]string{"mulago": "Mulago", "gulu": "Gulu RRH", "lira": "Lira RRH"}

func (h *harness) contact(c Contact) Contact {
	h.t.Helper()
	c, err := h.s.CreateContact(context.Background(), c)
	if err != nil {
		h.t.Fatal(err)
	}
	return c
}

// enqueue stores transitions the way alerting does: in one transaction.
func (h *harness) enqueue(ts ...plant.Transition) {
	h.t.Helper()
	enqueueIn(h.t, h.db, h.s, ts...)
}

func enqueueIn(t testing.TB, db *sql.DB, s *Service, ts ...plant.Transition) {
	t.Helper()
	tx, err := db.BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if err := s.Enqueue(context.Background(), tx, ts); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	s.Committed()
}

// step runs one round of the workers, escalation included, and waits for
// the sends it started; it repeats while rows it queued are already due.
func (h *harness) step() {
	h.t.Helper()
	ctx := context.Background()
	for range 5 {
		var wg sync.WaitGroup
		h.s.poll(ctx, ctx, &wg, make(chan struct{}, 4))
		wg.Wait()
		due, err := h.s.dueGroups(ctx)
		if err != nil {
			h.t.Fatal(err)
		}
		if len(due) == 0 {
			return
		}
	}
}

func (h *harness) deliveries(f DeliveryFilter) []Delivery {
	h.t.Helper()
	ds, err := h.s.Deliveries(context.Background(), f)
	if err != nil {
		h.t.Fatal(err)
	}
	return ds
}

// metric returns the value of the series name with the given labels
// ("k=v,k=v"), or 0 when there is none.
func metric(t *testing.T, reg *prometheus.Registry, name, labels string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			var ls []string
			for _, l := range m.GetLabel() {
				ls = append(ls, l.GetName()+"="+l.GetValue())
			}
			if strings.Join(ls, ",") != labels {
				continue
			}
			if m.Counter != nil {
				return m.GetCounter().GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	return 0
}

func value(v float64) *float64 { return &v }

// firing is a critical purity alert firing at at.
func firing(id int64, facility, device string, at time.Time) plant.Transition {
	return plant.Transition{
		Alert: plant.Alert{ID: id, Rule: "critical_purity", Device: plant.DeviceID(device), Facility: facility,
			Region: regionOf[facility], Severity: plant.SeverityCritical, State: plant.AlertFiring, StartedAt: at,
			Value: value(78.2), Summary: "purity 78.2%", AckCode: fmt.Sprint(4800 + id)},
		From: plant.AlertPending, To: plant.AlertFiring, At: at,
	}
}

var regionOf = map[string]string{"mulago": "central", "gulu": "northern", "lira": "northern"}

// then is the next transition of the alert in t.
func then(t plant.Transition, to plant.AlertState, at time.Time, by string) plant.Transition {
	a := t.Alert
	a.State = to
	if to == plant.AlertAcknowledged {
		a.AckedBy, a.AckedAt = by, at
	}
	if to == plant.AlertResolved {
		a.ResolvedAt = at
	}
	return plant.Transition{Alert: a, From: t.To, To: to, At: at}
}

// poll calls cond until it holds or the deadline passes.
func poll(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up after %s waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
