package alerting

import (
	"context"
	"database/sql"
	"math"
	"slices"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// A late reading is placed among a device's closed timeline rows so that
// the rows come out as if every reading had arrived in order, whatever the
// order was: a reading owns the time from it to the next reading, at most
// span; time no reading owns is no_data (no row).
//
// A closed row knows its first reading (a, where it starts) and its last
// (l, seen_end), not the ones between. A late reading of another status
// inside [a, l] therefore splits the row and is taken to hold one report
// interval (every), where the row's next reading most likely is; past l, in
// the coverage inferred from l, it cuts the row and owns up to span. Rows
// written before seen_end existed count as seen to their end.

// tlRow is one timeline row as place sees it: [a, b), last reading at l.
type tlRow struct {
	id     int64 // 0: not written yet
	a, b   int64
	l      int64
	status plant.Status
	cause  string
	open   bool // the open row: a wall place never moves
}

// same reports whether x has status and cause.
func (x *tlRow) same(st plant.Status, cause string) bool { return x.status == st && x.cause == cause }

// place lays one reading at ts of status st onto rows (sorted by a,
// disjoint); weak is a reading that says nothing of status (extras only),
// which takes the status of the row it falls in. It returns the rows.
func place(rows []tlRow, ts int64, st plant.Status, cause string, weak bool, span, every int64) []tlRow {
	i, _ := slices.BinarySearchFunc(rows, ts, func(r tlRow, t int64) int {
		switch {
		case r.a > t:
			return 1
		case r.a == t:
			return 0
		}
		return -1
	}) // rows[i] is the first row starting at or after ts
	if i < len(rows) && rows[i].a == ts {
		r := &rows[i]
		if weak || r.open || r.same(st, cause) || r.l <= ts {
			return rows // a reading at a row's first reading: known already
		}
		// r starts where a split guessed its next reading: this reading
		// says otherwise, and r's next one is likely an interval on
		q := min(ts+every, r.l)
		r.a = q
		rows = slices.Insert(rows, i, tlRow{a: ts, b: q, l: ts, status: st, cause: cause})
		if i > 0 && rows[i-1].b == ts && !rows[i-1].open && rows[i-1].same(st, cause) {
			rows[i-1].l = ts
			return joinNext(rows, i-1)
		}
		return rows
	}
	next := func(k int) int64 { // where row k's successor starts
		if k+1 < len(rows) {
			return rows[k+1].a
		}
		return math.MaxInt64
	}
	nextA := int64(math.MaxInt64)
	if i < len(rows) {
		nextA = rows[i].a
	}
	if i > 0 && ts < rows[i-1].b && !rows[i-1].open {
		k := i - 1
		r := &rows[k]
		if weak || r.same(st, cause) {
			if ts > r.l {
				r.l = ts
				r.b = max(r.b, min(ts+span, next(k)))
			}
			return joinNext(rows, k)
		}
		if ts >= r.l { // in the coverage inferred from l (l a split's guess, if ts is l): cut there
			r.b = ts
			x := tlRow{a: ts, b: min(ts+span, next(k)), l: ts, status: st, cause: cause}
			rows = slices.Insert(rows, k+1, x)
			return joinNext(rows, k+1)
		}
		// between the row's readings: the row resumes at its likely next one
		q := min(ts+every, r.l)
		head := tlRow{id: r.id, a: r.a, b: ts, l: max(r.a, min(r.l, ts-every)), status: r.status, cause: r.cause}
		tail := tlRow{a: q, b: r.b, l: r.l, status: r.status, cause: r.cause}
		x := tlRow{a: ts, b: q, l: ts, status: st, cause: cause}
		rows[k] = head
		return slices.Insert(rows, k+1, x, tail)
	}
	if weak {
		return rows // in no_data, a reading of extras only: nothing to place
	}
	x := tlRow{a: ts, b: min(ts+span, nextA), l: ts, status: st, cause: cause}
	if i > 0 && !rows[i-1].open && rows[i-1].b == ts && rows[i-1].same(st, cause) {
		p := &rows[i-1]
		p.b, p.l = x.b, ts
		return joinNext(rows, i-1)
	}
	rows = slices.Insert(rows, i, x)
	return joinNext(rows, i)
}

// joinNext merges row k with the next one when they touch and agree (the
// open row is never merged into: the engine holds where it starts).
func joinNext(rows []tlRow, k int) []tlRow {
	if k+1 >= len(rows) {
		return rows
	}
	r, n := &rows[k], rows[k+1]
	if n.open || r.b != n.a || !r.same(n.status, n.cause) {
		return rows
	}
	r.b, r.l = n.b, n.l
	if r.id == 0 {
		r.id = n.id // else n's id is left off the rows: the caller deletes it
	}
	return slices.Delete(rows, k+1, k+2)
}

// fill places a queued run of late readings (one device, one status) in
// the device's rows: it reads the rows they may touch, places each
// reading in memory, and writes back only what changed.
func (w *writer) fill(ctx context.Context, tx *sql.Tx, o *op) error {
	fills := o.fills
	slices.Sort(fills)
	lo, hi := fills[0], fills[len(fills)-1]
	rows, err := w.loadRows(ctx, tx, o.dev, lo, hi+o.span)
	if err != nil {
		return err
	}
	before := make(map[int64]tlRow, len(rows))
	for _, r := range rows {
		before[r.id] = r
	}
	for _, ts := range fills {
		rows = place(rows, ts, o.status, o.cause, o.weak, o.span, o.every)
	}
	for _, r := range rows {
		if r.open {
			delete(before, r.id)
			continue
		}
		if r.id == 0 {
			if _, err := w.exec(ctx, tx, `INSERT INTO alerting_timeline (device, start_at, end_at, seen_end, status, cause, open)
				VALUES (?, ?, ?, ?, ?, ?, 0)`, o.dev, r.a, r.b, r.l, r.status, r.cause); err != nil {
				return err
			}
			continue
		}
		old, ok := before[r.id]
		delete(before, r.id)
		if ok && old == r {
			continue
		}
		if _, err := w.exec(ctx, tx, `UPDATE alerting_timeline SET start_at = ?, end_at = ?, seen_end = ?, status = ?, cause = ?
			WHERE id = ?`, r.a, r.b, r.l, r.status, r.cause, r.id); err != nil {
			return err
		}
	}
	for id := range before { // merged away
		if _, err := w.exec(ctx, tx, `DELETE FROM alerting_timeline WHERE id = ?`, id); err != nil {
			return err
		}
	}
	return nil
}

// loadRows reads a device's rows that readings in [lo, hi] (hi with span
// added) may touch: those ending at or after lo and starting before hi,
// and the open row.
func (w *writer) loadRows(ctx context.Context, tx *sql.Tx, dev plant.DeviceID, lo, hi int64) ([]tlRow, error) {
	st, err := w.stmt(ctx, `SELECT id, start_at, end_at, open, seen_end, status, cause FROM alerting_timeline
		WHERE device = ? AND start_at <= ? AND (end_at >= ? OR open = 1) ORDER BY start_at`)
	if err != nil {
		return nil, err
	}
	res, err := tx.StmtContext(ctx, st).QueryContext(ctx, dev, hi, lo)
	if err != nil {
		return nil, err
	}
	defer res.Close()
	var rows []tlRow
	for res.Next() {
		var r tlRow
		if err := res.Scan(&r.id, &r.a, &r.b, &r.open, &r.l, &r.status, &r.cause); err != nil {
			return nil, err
		}
		if r.open {
			r.b = math.MaxInt64
		}
		if r.l <= 0 || r.l > r.b {
			r.l = r.b // not known: the whole row counts as seen
		}
		r.l = max(r.l, r.a)
		rows = append(rows, r)
	}
	return rows, res.Err()
}
