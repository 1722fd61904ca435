package store

import (
	"context"
	"database/sql"
	"errors"
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

// ErrAudit marks a change refused because its audit entry could not be
// written: the change was rolled back with it.
var ErrAudit = errors.New("the change was not made: its audit entry could not be written")

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
	db *sql.DB
}

// OpenAudit migrates the audit table.
func OpenAudit(ctx context.Context, db *sql.DB) (*Audit, error) {
	if err := Migrate(ctx, db, "audit", auditMigrations); err != nil {
		return nil, err
	}
	return &Audit{db: db}, nil
}

type auditKey struct{}

// WithAudit returns a context that carries e, the audit entry of the change
// about to be made with it. Every store write of this database that takes
// such a context records e inside the change's own transaction (see
// AuditTx), so the change and its entry commit together or neither does.
// This is how a request's actor reaches the stores without each method
// growing an audit parameter.
func WithAudit(ctx context.Context, e AuditEntry) context.Context {
	return context.WithValue(ctx, auditKey{}, e)
}

// AuditOf returns the entry ctx carries, if any.
func AuditOf(ctx context.Context) (AuditEntry, bool) {
	e, ok := ctx.Value(auditKey{}).(AuditEntry)
	return e, ok
}

// AuditTx records the entry ctx carries (none: nothing) inside tx, the
// transaction making the change. target fills an entry whose Target is
// empty (the id of a thing being created). The audit log's table must be
// in tx's database (OpenAudit on the same *sql.DB).
func AuditTx(ctx context.Context, tx *sql.Tx, target string) error {
	e, ok := AuditOf(ctx)
	if !ok {
		return nil
	}
	if e.Target == "" {
		e.Target = target
	}
	return recordAudit(ctx, tx, e)
}

// InTx runs change in a transaction of db and records ctx's audit entry
// before committing; change returns the id of what it changed, the entry's
// Target when the entry has none.
func InTx(ctx context.Context, db *sql.DB, change func(*sql.Tx) (target string, err error)) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	target, err := change(tx)
	if err != nil {
		return err
	}
	if err := AuditTx(ctx, tx, target); err != nil {
		return err
	}
	return tx.Commit()
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func recordAudit(ctx context.Context, db execer, e AuditEntry) error {
	if e.At.IsZero() {
		e.At = time.Now()
	}
	_, err := db.ExecContext(ctx, `INSERT INTO audit_log (at, actor, action, target, detail, request_id) VALUES (?, ?, ?, ?, ?, ?)`,
		e.At.UTC().Format(time.RFC3339Nano), e.Actor, e.Action, e.Target, e.Detail, e.RequestID)
	if err != nil {
		return fmt.Errorf("%w: %s %s: %w", ErrAudit, e.Action, e.Target, err)
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
