package alerting

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/oxywatch/oxywatch/internal/plant"
	"github.com/oxywatch/oxywatch/internal/store"
)

// Errors the API maps to statuses: ErrNotFound 404, ErrInvalid 400,
// ErrConflict 409. Returned errors wrap them.
var (
	ErrNotFound = plant.ErrNotFound
	ErrInvalid  = plant.ErrInvalid
	ErrConflict = plant.ErrConflict
)

// AlertFilter narrows Alerts; empty fields match all. State "" lists firing,
// acknowledged and resolved alerts (pending ones are never listed), State
// "active" firing and acknowledged ones. Regions,
// when not empty, limits the answer to those regions (a token's limit).
// Alerts come newest first (id descending); BeforeID > 0 continues a list
// after that id (ids below it); Limit 0 means no limit.
type AlertFilter struct {
	State, Device, Facility, Region, Severity, Rule string

	Regions  []string
	BeforeID int64
	Limit    int
}

const alertColumns = `id, rule, device, facility, region, country, severity, state, started_at, resolved_at,
	acked_by, acked_at, ack_note, value, summary, ack_code`

func scanAlert(sc interface{ Scan(...any) error }) (plant.Alert, error) {
	var a plant.Alert
	var started, resolved, acked int64
	var value sql.NullFloat64
	err := sc.Scan(&a.ID, &a.Rule, &a.Device, &a.Facility, &a.Region, &a.Country, &a.Severity, &a.State,
		&started, &resolved, &a.AckedBy, &acked, &a.AckNote, &value, &a.Summary, &a.AckCode)
	if err != nil {
		return a, err
	}
	a.StartedAt, a.ResolvedAt, a.AckedAt = unixUTC(started), fromNanos(resolved), fromNanos(acked)
	if value.Valid {
		a.Value = &value.Float64
	}
	if a.State == plant.AlertResolved {
		a.AckCode = "" // codes are reused once an alert closes
	}
	return a, nil
}

// Alerts lists alerts as stored, after committing every queued change.
func (e *Engine) Alerts(ctx context.Context, f AlertFilter) ([]plant.Alert, error) {
	if err := e.Sync(ctx); err != nil {
		return nil, err
	}
	var where []string
	var args []any
	eq := func(col, v string) {
		if v != "" {
			where = append(where, col+" = ?")
			args = append(args, v)
		}
	}
	switch f.State {
	case "":
		where = append(where, "state != 'pending'")
	case "active":
		where = append(where, "state IN ('firing', 'acknowledged')")
	default:
		eq("state", f.State)
	}
	eq("device", f.Device)
	eq("facility", f.Facility)
	eq("region", f.Region)
	eq("severity", f.Severity)
	eq("rule", f.Rule)
	if len(f.Regions) > 0 {
		where = append(where, "region IN (?"+strings.Repeat(", ?", len(f.Regions)-1)+")")
		for _, r := range f.Regions {
			args = append(args, r)
		}
	}
	if f.BeforeID > 0 {
		where = append(where, "id < ?")
		args = append(args, f.BeforeID)
	}
	q := "SELECT " + alertColumns + " FROM alerting_alerts"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id DESC"
	if f.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	rows, err := e.opt.DB.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list alerts: %w", err)
	}
	defer rows.Close()
	out := []plant.Alert{}
	for rows.Next() {
		a, err := scanAlert(rows)
		if err != nil {
			return nil, fmt.Errorf("list alerts: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// Alert returns one alert; the error wraps ErrNotFound when there is none.
func (e *Engine) Alert(ctx context.Context, id int64) (plant.Alert, error) {
	if err := e.Sync(ctx); err != nil {
		return plant.Alert{}, err
	}
	a, err := scanAlert(e.opt.DB.QueryRowContext(ctx, "SELECT "+alertColumns+" FROM alerting_alerts WHERE id = ?", id))
	if err == sql.ErrNoRows {
		return a, fmt.Errorf("alert %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return a, fmt.Errorf("read alert %d: %w", id, err)
	}
	return a, nil
}

// Ack acknowledges a firing alert in by's name and returns it once stored.
// Acknowledging an acknowledged alert changes nothing; a resolved one is a
// conflict. The audit entry ctx carries (store.WithAudit) is written in the
// acknowledgement's transaction; if it alone fails, the acknowledgement
// stands and the error wraps store.ErrAudit.
func (e *Engine) Ack(ctx context.Context, id int64, by, note string) (plant.Alert, error) {
	var audit *auditNote
	if entry, ok := store.AuditOf(ctx); ok {
		if entry.Target == "" {
			entry.Target = strconv.FormatInt(id, 10)
		}
		audit = &auditNote{entry: entry}
	}
	return e.ackAudited(ctx, id, by, note, audit)
}

func (e *Engine) ackAudited(ctx context.Context, id int64, by, note string, audit *auditNote) (plant.Alert, error) {
	if by == "" {
		return plant.Alert{}, fmt.Errorf("%w: ack needs who acknowledged", ErrInvalid)
	}
	oa := e.book.get(id)
	if oa == nil {
		a, err := e.Alert(ctx, id)
		if err != nil {
			return a, err
		}
		return a, fmt.Errorf("alert %d is %s: %w", id, a.State, ErrConflict)
	}
	a, changed, ok := e.ack(oa, by, note, audit)
	if !ok {
		return e.ackAudited(ctx, id, by, note, audit) // resolved meanwhile
	}
	if err := e.Sync(ctx); err != nil {
		return a, err
	}
	if p := audit.lost(); changed && p != nil {
		return a, fmt.Errorf("alert %d was acknowledged, but %w", id, p)
	}
	return a, nil
}

// ack changes the alert under its owner's lock (its device's shard, or the
// facilities); changed is false when it was already acknowledged, ok false
// when it resolved meanwhile.
func (e *Engine) ack(oa *openAlert, by, note string, audit *auditNote) (a plant.Alert, changed, ok bool) {
	dev := oa.a.Device // set at creation, never changed
	if dev == "" {
		return e.fac.acknowledge(oa, by, note, audit, e.now())
	}
	sh := e.shardOf(dev)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return e.book.acknowledge(oa, by, note, audit, e.now())
}

// AckByCode acknowledges the open alert carrying an SMS ack code.
func (e *Engine) AckByCode(ctx context.Context, code, by string) (plant.Alert, error) {
	id, ok := e.book.byCode(strings.TrimSpace(code))
	if !ok {
		return plant.Alert{}, fmt.Errorf("no open alert with ack code %q: %w", code, ErrNotFound)
	}
	return e.Ack(ctx, id, by, "acknowledged by SMS reply")
}

// pruneResolved deletes alerts resolved more than KeepResolved before now.
// Uptime reports read the status timeline, which is kept; the alert list is
// what engineers page through, and it must not grow without end.
func (e *Engine) pruneResolved(ctx context.Context, now int64) {
	cut := now - e.opt.KeepResolved.Nanoseconds()
	res, err := e.opt.DB.ExecContext(ctx, `DELETE FROM alerting_alerts WHERE state = 'resolved' AND resolved_at > 0 AND resolved_at < ?`, cut)
	if err != nil {
		e.log.Error("alerting: delete old resolved alerts", "err", err)
		return
	}
	if n, _ := res.RowsAffected(); n > 0 {
		e.log.Info("alerting: deleted old resolved alerts", "alerts", n, "resolved_before", unixUTC(cut))
	}
}

// Silences lists every silence, past ones included, newest first.
func (e *Engine) Silences(ctx context.Context) ([]Silence, error) {
	return e.sil.stored(ctx)
}

// CreateSilence stores a silence. It needs at least one matcher and an end
// after its start (StartsAt defaults to now); errors wrap ErrInvalid. The
// audit entry ctx carries is written in its transaction.
func (e *Engine) CreateSilence(ctx context.Context, s Silence) (Silence, error) {
	return e.sil.create(ctx, s, unixUTC(e.now()))
}

// DeleteSilence removes a silence; alerts it kept quiet are announced at
// once if nothing else mutes them.
func (e *Engine) DeleteSilence(ctx context.Context, id int64) error {
	if err := e.sil.delete(ctx, id); err != nil {
		return err
	}
	e.sweep(e.now())
	return nil
}

// EndSilence ends a silence now, in one transaction with the audit entry
// ctx carries. One that has not started is deleted (kept false); one that
// has keeps the time it ran, ending now, so planned maintenance still
// counts as maintenance in uptime reports (kept true, the silence as it
// is now). Alerts it kept quiet are announced at once if nothing else
// mutes them. A silence already ended is a conflict.
func (e *Engine) EndSilence(ctx context.Context, id int64) (s Silence, kept bool, err error) {
	if s, kept, err = e.sil.end(ctx, id, unixUTC(e.now())); err != nil {
		return s, kept, err
	}
	e.sweep(e.now())
	return s, kept, nil
}
