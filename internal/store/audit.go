package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

var auditMigrations = []string{
	`CREATE TABLE audit_log (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		at TEXT NOT NULL,
		actor TEXT NOT NULL,
		action TEXT NOT NULL,
		target TEXT NOT NULL DEFAULT '',
		detail TEXT NOT NULL DEFAULT '',
		request_id TEXT NOT NULL DEFAULT ''
	);
	CREATE INDEX audit_log_at ON audit_log(at);`,
}

// AuditEntry is one change: who did what to which thing, and when. Detail is
// a short JSON or text description of the change; it never holds secrets.
type AuditEntry struct {
	ID        int64     `json:"id"`
	At        time.Time `json:"at"`
	Actor     string    `json:"actor"`
	Action    string    `json:"action"`
	Target    string    `json:"target"`
	Detail    string    `json:"detail,omitempty"`
	RequestID string    `json:"request_id,omitempty"`
}

// Audit is the append-only audit log in SQLite.
type Audit struct {
	db  *sql.DB
	now func() time.Time
}

// OpenAudit migrates the audit table.
func OpenAudit(ctx context.Context, db *sql.DB, now func() time.Time) (*Audit, error) {
	if now == nil {
		now = time.Now
	}
	if err := Migrate(ctx, db, "audit", auditMigrations); err != nil {
		return nil, err
	}
	return &Audit{db: db, now: now}, nil
}

// Record appends an entry; At is set to now when zero. It is for a change
// made outside this database (or already committed); a change made in this
// database records its entry in its own transaction (see RecordTx).
func (a *Audit) Record(ctx context.Context, e AuditEntry) error {
	return recordAudit(ctx, a.db, a.now, e)
}

// RecordTx appends an entry inside tx, the transaction that makes the
// change it records, so both commit or neither does. tx must be of the
// audit log's database.
func (a *Audit) RecordTx(ctx context.Context, tx *sql.Tx, e AuditEntry) error {
	return recordAudit(ctx, tx, a.now, e)
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func recordAudit(ctx context.Context, db execer, now func() time.Time, e AuditEntry) error {
	if e.At.IsZero() {
		e.At = now()
	}
	_, err := db.ExecContext(ctx, `INSERT INTO audit_log (at, actor, action, target, detail, request_id) VALUES (?, ?, ?, ?, ?, ?)`,
		e.At.UTC().Format(time.RFC3339Nano), e.Actor, e.Action, e.Target, e.Detail, e.RequestID)
	if err != nil {
		return fmt.Errorf("audit %s %s: %w", e.Action, e.Target, err)
	}
	return nil
}

// List returns entries newest first, with ids below beforeID when it is
// positive, at most limit of them.
func (a *Audit) List(ctx context.Context, beforeID int64, limit int) ([]AuditEntry, error) {
	if beforeID <= 0 {
		beforeID = 1<<63 - 1
	}
	rows, err := a.db.QueryContext(ctx, `SELECT id, at, actor, action, target, detail, request_id FROM audit_log WHERE id < ? ORDER BY id DESC LIMIT ?`, beforeID, limit)
	if err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	defer rows.Close()
	out := []AuditEntry{}
	for rows.Next() {
		var e AuditEntry
		var at string
		if err := rows.Scan(&e.ID, &at, &e.Actor, &e.Action, &e.Target, &e.Detail, &e.RequestID); err != nil {
			return nil, fmt.Errorf("read audit log: %w", err)
		}
		e.At, _ = time.Parse(time.RFC3339Nano, at)
		out = append(out, e)
	}
	return out, rows.Err()
}
