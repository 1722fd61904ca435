package alerting

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/oxywatch/oxywatch/internal/plant"
	"github.com/oxywatch/oxywatch/internal/store"
)

// migrations create alerting's tables; the list only ever grows. Times are
// Unix nanoseconds; 0 means unset.
var migrations = []string{
	`CREATE TABLE alerting_alerts (
		id          INTEGER PRIMARY KEY,
		rule        TEXT NOT NULL,
		device      TEXT NOT NULL,
		component   TEXT NOT NULL DEFAULT '',
		facility    TEXT NOT NULL DEFAULT '',
		region      TEXT NOT NULL DEFAULT '',
		country     TEXT NOT NULL DEFAULT '',
		severity    TEXT NOT NULL,
		state       TEXT NOT NULL,
		started_at  INTEGER NOT NULL,
		resolved_at INTEGER NOT NULL DEFAULT 0,
		acked_by    TEXT NOT NULL DEFAULT '',
		acked_at    INTEGER NOT NULL DEFAULT 0,
		ack_note    TEXT NOT NULL DEFAULT '',
		value       REAL,
		summary     TEXT NOT NULL DEFAULT '',
		ack_code    TEXT NOT NULL DEFAULT '',
		notified    INTEGER NOT NULL DEFAULT 0
	);
	CREATE INDEX alerting_alerts_state ON alerting_alerts (state);
	CREATE INDEX alerting_alerts_device ON alerting_alerts (device);
	CREATE TABLE alerting_pending (
		device TEXT NOT NULL,
		rule   TEXT NOT NULL,
		since  INTEGER NOT NULL,
		PRIMARY KEY (device, rule)
	) WITHOUT ROWID;
	CREATE TABLE alerting_silences (
		id          INTEGER PRIMARY KEY AUTOINCREMENT,
		device      TEXT NOT NULL DEFAULT '',
		facility    TEXT NOT NULL DEFAULT '',
		region      TEXT NOT NULL DEFAULT '',
		rule        TEXT NOT NULL DEFAULT '',
		starts_at   INTEGER NOT NULL,
		ends_at     INTEGER NOT NULL,
		comment     TEXT NOT NULL DEFAULT '',
		maintenance INTEGER NOT NULL DEFAULT 0,
		created_by  TEXT NOT NULL DEFAULT '',
		created_at  INTEGER NOT NULL DEFAULT 0
	);
	CREATE TABLE alerting_service (
		id        INTEGER PRIMARY KEY AUTOINCREMENT,
		device    TEXT NOT NULL,
		component TEXT NOT NULL,
		done_at   INTEGER NOT NULL,
		runtime_h REAL NOT NULL,
		note      TEXT NOT NULL DEFAULT '',
		done_by   TEXT NOT NULL DEFAULT ''
	);
	CREATE INDEX alerting_service_device ON alerting_service (device, component, done_at);
	CREATE TABLE alerting_devices (
		device TEXT PRIMARY KEY,
		state  BLOB NOT NULL
	) WITHOUT ROWID;
	CREATE TABLE alerting_timeline (
		id       INTEGER PRIMARY KEY,
		device   TEXT NOT NULL,
		start_at INTEGER NOT NULL,
		end_at   INTEGER NOT NULL,
		status   TEXT NOT NULL,
		cause    TEXT NOT NULL DEFAULT '',
		open     INTEGER NOT NULL DEFAULT 0
	);
	CREATE INDEX alerting_timeline_device ON alerting_timeline (device, start_at);`,
	// seen_end: the newest reading a closed row saw; [seen_end, end_at) is
	// coverage inferred from it, which a late reading may correct. 0 when
	// not known (the whole row counts as seen).
	`ALTER TABLE alerting_timeline ADD COLUMN seen_end INTEGER NOT NULL DEFAULT 0;`,
}

func migrate(ctx context.Context, db *sql.DB) error {
	return store.Migrate(ctx, db, "alerting", migrations)
}

type opKind uint8

// The kinds of queued write, and the op fields each one reads (times are
// unix ns):
const (
	opAlert   opKind = iota + 1 // upsert alert (comp, notified); with tr, hand from→to at `at` to the Notifier; audit
	opPending                   // set rule's pending-since to since on dev; since 0 clears it
	opSegment                   // close dev's open timeline row at closeAt (0: none open; seen its newest reading), open one at start with status and cause
	opCover                     // move dev's open timeline row's covered end to end
	opFill                      // late readings at fills (status, cause; weak: extras only) are placed in dev's closed rows (place)
	opDevice                    // checkpoint dev's state (blob)
)

// op is one queued write; its kind says which fields it uses. Ops of one
// device are queued under its shard's lock, so they commit in the order
// they happened.
type op struct {
	kind opKind
	dev  plant.DeviceID

	alert    plant.Alert
	comp     string
	notified bool
	tr       bool
	from, to plant.AlertState
	at       int64
	audit    *auditNote

	rule  string
	since int64

	closeAt, start, end, seen int64
	status                    plant.Status
	cause                     string

	fills       []int64 // opFill: the readings' times
	span, every int64   // opFill: how long a reading covers, the report interval
	weak        bool    // opFill: readings of extras only

	blob []byte
}

// auditNote is the audit entry of an acknowledgement. An acknowledgement
// lives in the engine's memory before its row is written, so it cannot be
// rolled back: if its entry alone fails, the row still commits, the entry
// is logged in full and counted, and failed tells the caller.
type auditNote struct {
	entry  store.AuditEntry
	failed atomic.Pointer[error]
}

// writer commits queued ops in transactions of up to BatchSize, handing
// each transaction's transitions to the Notifier inside it. It is the
// lowest part: add takes only its own queue lock, so any part may queue an
// op while holding its lock, and the writer calls nothing back.
type writer struct {
	db  *sql.DB
	opt *Options // BatchSize and Notifier
	log *slog.Logger
	m   *metrics

	mu   sync.Mutex
	q    []op
	wake chan struct{}
	wmu  sync.Mutex // one flush at a time, so ops commit in queue order

	stmts map[string]*sql.Stmt // prepared statements of the hot ops; under wmu
}

func newWriter(opt *Options, m *metrics) *writer {
	return &writer{db: opt.DB, opt: opt, log: opt.Logger, m: m,
		wake: make(chan struct{}, 1), stmts: map[string]*sql.Stmt{}}
}

func (w *writer) add(o op) {
	w.mu.Lock()
	if !w.merge(o) {
		w.q = append(w.q, o)
	}
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// mergeWindow is how far back add looks for a fill to extend.
const mergeWindow = 64

// maxFills bounds the readings one merged fill carries.
const maxFills = 1024

// merge folds a fill into a queued fill of the same device, status and
// cause when no other op of that device lies between them: the writer then
// reads and writes the rows they touch once for the run (place keeps each
// reading's own effect). Readings of a backlog, or readings reordered
// across shared subscriptions, then cost a few timeline writes per run
// instead of several each. Under w.mu.
func (w *writer) merge(o op) bool {
	if o.kind != opFill || o.weak {
		return false
	}
	for i := len(w.q) - 1; i >= max(0, len(w.q)-mergeWindow); i-- {
		q := &w.q[i]
		if q.dev != o.dev && q.alert.Device != o.dev {
			continue
		}
		if q.kind != opFill || q.weak || q.status != o.status || q.cause != o.cause || len(q.fills)+len(o.fills) > maxFills {
			return false
		}
		q.fills = append(q.fills, o.fills...)
		q.span, q.every = o.span, o.every
		return true
	}
	return false
}

// run flushes whenever ops arrive, retrying failed transactions with a
// growing pause, until ctx ends.
func (w *writer) run(ctx context.Context) {
	pause := 50 * time.Millisecond
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.wake:
		}
		for w.flush(ctx) != nil && ctx.Err() == nil {
			t := time.NewTimer(pause)
			select {
			case <-ctx.Done():
			case <-t.C:
			}
			t.Stop()
			pause = min(2*pause, 5*time.Second)
		}
		pause = 50 * time.Millisecond
	}
}

// barrier returns once every op queued before the call has committed.
func (w *writer) barrier(ctx context.Context) error { return w.flush(ctx) }

// close makes the last flush, trying for up to 10 s.
func (w *writer) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for w.flush(ctx) != nil && ctx.Err() == nil {
		t := time.NewTimer(100 * time.Millisecond)
		select {
		case <-ctx.Done():
		case <-t.C:
		}
	}
	if n := w.len(); n > 0 {
		w.log.Error("alerting: writes lost at shutdown", "ops", n)
	}
}

func (w *writer) len() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.q)
}

// flush commits everything queued. On failure the uncommitted ops go back
// to the front of the queue.
func (w *writer) flush(ctx context.Context) error {
	w.wmu.Lock()
	defer w.wmu.Unlock()
	w.mu.Lock()
	batch := w.q
	w.q = nil
	w.mu.Unlock()
	for len(batch) > 0 {
		n := min(len(batch), w.opt.BatchSize)
		if err := w.commit(ctx, batch[:n]); err != nil {
			w.m.writeErrors.Inc()
			w.log.Error("alerting: write state", "err", err)
			w.mu.Lock()
			w.q = append(batch, w.q...)
			w.mu.Unlock()
			return err
		}
		batch = batch[n:]
	}
	return nil
}

// commit writes ops in one transaction. Its statements are short (busy
// waits are bounded by SQLite's busy timeout) and run without cancellation:
// modernc.org/sqlite starts a goroutine per statement that watches a
// cancellable context, and database/sql one per query in a transaction
// begun with one (1,745 at once in a backlog at 10,000 readings/s). ctx is
// checked between ops and handed to the Notifier.
func (w *writer) commit(ctx context.Context, ops []op) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	sctx := context.WithoutCancel(ctx)
	tx, err := w.db.BeginTx(sctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var trs []plant.Transition
	var lost []*auditNote
	for i := range ops {
		o := &ops[i]
		if i%256 == 255 && ctx.Err() != nil {
			return ctx.Err()
		}
		if err := w.apply(sctx, tx, o); err != nil {
			return fmt.Errorf("op %d on %s: %w", o.kind, o.dev+o.alert.Device, err)
		}
		if o.audit != nil && w.writeAudit(sctx, tx, o.audit) != nil {
			lost = append(lost, o.audit)
		}
		if o.tr {
			trs = append(trs, plant.Transition{Alert: o.alert, From: o.from, To: o.to, At: unixUTC(o.at)})
		}
	}
	n := w.opt.Notifier
	if len(trs) > 0 && n != nil {
		if err := n.Enqueue(ctx, tx, trs); err != nil {
			return fmt.Errorf("enqueue notifications: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	w.reportLost(lost)
	if c, ok := n.(Committer); ok && len(trs) > 0 {
		c.Committed()
	}
	return nil
}

// lost is the error of an entry that could not be written, nil if it was
// (or for no note).
func (n *auditNote) lost() error {
	if n == nil {
		return nil
	}
	if p := n.failed.Load(); p != nil {
		return *p
	}
	return nil
}

// writeAudit records a note's entry in tx. A failed insert leaves the
// transaction usable (SQLite undoes only that statement).
func (w *writer) writeAudit(ctx context.Context, tx *sql.Tx, n *auditNote) error {
	err := store.AuditTx(store.WithAudit(ctx, n.entry), tx, n.entry.Target)
	n.failed.Store(nil)
	if err != nil {
		n.failed.Store(&err)
	}
	return err
}

// reportLost logs and counts entries that failed in a transaction that
// then committed; each is logged whole so it can be entered by hand.
func (w *writer) reportLost(lost []*auditNote) {
	for _, n := range lost {
		p := n.failed.Load()
		if p == nil {
			continue
		}
		e := n.entry
		w.m.auditLost.Inc()
		w.log.Error("alerting: audit entry not written; the change was stored", "actor", e.Actor, "action", e.Action,
			"target", e.Target, "detail", e.Detail, "request_id", e.RequestID, "err", *p)
	}
}

// exec runs one of the frequent statements, prepared once per writer.
func (w *writer) exec(ctx context.Context, tx *sql.Tx, q string, args ...any) (sql.Result, error) {
	st, err := w.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	return tx.StmtContext(ctx, st).ExecContext(ctx, args...)
}

// stmt is q prepared once per writer; under wmu.
func (w *writer) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	st, ok := w.stmts[q]
	if !ok {
		var err error
		if st, err = w.db.PrepareContext(ctx, q); err != nil {
			return nil, err
		}
		w.stmts[q] = st
	}
	return st, nil
}

func (w *writer) apply(ctx context.Context, tx *sql.Tx, o *op) error {
	switch o.kind {
	case opAlert:
		return w.putAlert(ctx, tx, &o.alert, o.comp, o.notified)
	case opPending:
		if o.since > 0 {
			_, err := w.exec(ctx, tx, `INSERT OR REPLACE INTO alerting_pending (device, rule, since) VALUES (?, ?, ?)`, o.dev, o.rule, o.since)
			return err
		}
		_, err := w.exec(ctx, tx, `DELETE FROM alerting_pending WHERE device = ? AND rule = ?`, o.dev, o.rule)
		return err
	case opSegment:
		if _, err := w.exec(ctx, tx, `UPDATE alerting_timeline SET end_at = ?, open = 0, seen_end = ? WHERE device = ? AND open = 1`, o.closeAt, min(o.seen, o.closeAt), o.dev); err != nil {
			return err
		}
		if _, err := w.exec(ctx, tx, `DELETE FROM alerting_timeline WHERE device = ? AND open = 0 AND end_at <= start_at`, o.dev); err != nil {
			return err
		}
		_, err := w.exec(ctx, tx, `INSERT INTO alerting_timeline (device, start_at, end_at, status, cause, open) VALUES (?, ?, ?, ?, ?, 1)`,
			o.dev, o.start, o.start, o.status, o.cause)
		return err
	case opCover:
		_, err := w.exec(ctx, tx, `UPDATE alerting_timeline SET end_at = ? WHERE device = ? AND open = 1`, o.end, o.dev)
		return err
	case opFill:
		return w.fill(ctx, tx, o)
	case opDevice:
		_, err := w.exec(ctx, tx, `INSERT OR REPLACE INTO alerting_devices (device, state) VALUES (?, ?)`, o.dev, o.blob)
		return err
	}
	return errors.New("unknown op")
}

func (w *writer) putAlert(ctx context.Context, tx *sql.Tx, a *plant.Alert, comp string, notified bool) error {
	_, err := w.exec(ctx, tx, `INSERT INTO alerting_alerts (id, rule, device, component, facility, region, country,
		severity, state, started_at, resolved_at, acked_by, acked_at, ack_note, value, summary, ack_code, notified)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET severity = excluded.severity, state = excluded.state,
		resolved_at = excluded.resolved_at, acked_by = excluded.acked_by, acked_at = excluded.acked_at,
		ack_note = excluded.ack_note, value = excluded.value, summary = excluded.summary, notified = excluded.notified`,
		a.ID, a.Rule, a.Device, comp, a.Facility, a.Region, a.Country, a.Severity, a.State,
		nanos(a.StartedAt), nanos(a.ResolvedAt), a.AckedBy, nanos(a.AckedAt), a.AckNote, a.Value, a.Summary, a.AckCode, notified)
	return err
}

func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return unixUTC(ns)
}
