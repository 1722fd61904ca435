package alerting

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// The status timeline (CONTRACT §6) is kept in reading time. A reading at ts
// covers [ts, ts+span), span being the offline deadline (3 report intervals
// by default); time no reading covers is no_data. Each device has one open
// row, the segment its newest readings extend; a change of status closes it
// and opens another. Rows are only written when the status changes, so the
// open row's covered end on disk lags by up to one checkpoint; the engine
// keeps the exact one in memory and Timelines uses it.

// timeline keeps the devices' open timeline rows (segment, in the device's
// state, under its shard's lock, which its callers hold) and queues their
// rows to the writer. It holds no lock and no engine. It judges a reading's
// warm-up by the reading's own time (device.warmAt), so a late reading gets
// the status it would have had in order.
type timeline struct {
	w *writer
}

// segment is a device's open timeline row.
type segment struct {
	status plant.Status // "" before the first reading
	cause  string
	start  int64
	cover  int64 // the newest readings cover up to here
	seen   int64 // the newest reading in the segment; 0 after a restart
}

// span is how long one reading covers.
func (d *device) span() int64 { return int64(d.rs.intervals * float64(d.info.interval)) }

// reading extends or changes the open segment with a reading newer
// than any before.
// merged is true when r's state and values were merged into the device's
// (a live reading); else r is judged on its own fields, missing ones taken
// from the device.
func (t *timeline) reading(d *device, r *plant.Reading, ts int64, merged bool) {
	var st plant.Status
	var cause string
	if r.State != "" || r.Power != "" || r.Purity != nil || r.Alarms != nil || d.seg.status == "" {
		l := look{state: d.state, power: d.power, purity: d.values.purity, alarms: r.Alarms, warm: d.warmAt(ts)}
		if !merged {
			l.state, l.power, l.purity = cmp.Or(r.State, d.state), cmp.Or(r.Power, d.power), ptrOr(r.Purity)
		}
		st, cause = statusOf(d.rs, l)
	} else {
		st, cause = d.seg.status, d.seg.cause // a reading of extras only
	}
	s := &d.seg
	switch {
	case s.status == "" || ts > s.cover:
		t.open(d, st, cause, s.cover, ts)
	case st != s.status || cause != s.cause:
		t.open(d, st, cause, ts, ts)
	}
	s.cover = max(s.cover, ts+d.span())
	s.seen = max(s.seen, ts)
}

// open closes the device's open row at closeAt and opens one at start.
func (t *timeline) open(d *device, st plant.Status, cause string, closeAt, start int64) {
	if d.seg.status == "" {
		closeAt = 0
	}
	seen := d.seg.seen
	d.seg = segment{status: st, cause: cause, start: start, cover: start}
	t.w.add(op{kind: opSegment, dev: d.id, closeAt: closeAt, start: start, status: st, cause: cause, seen: seen})
}

func ptrOr(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

// late records a reading older than the device's newest. The timeline it
// leaves must not depend on the order readings arrive in (shared
// subscriptions and the ingester's workers interleave one device's
// readings; backlogs arrive after newer live ones): each reading owns the
// time from it to the next reading (at most span), whatever came first.
// Inside the open segment a reading of another status splits it; before
// it, the writer places the reading among the closed rows (place).
func (t *timeline) late(d *device, r *plant.Reading, ts int64) {
	st, cause := statusOf(d.rs, look{state: r.State, power: r.Power, purity: ptrOr(r.Purity), alarms: r.Alarms, warm: d.warmAt(ts)})
	weak := r.State == "" && r.Power == "" && r.Purity == nil && r.Alarms == nil // says nothing of status
	s := &d.seg
	if s.status != "" && ts >= s.start {
		if weak || (st == s.status && cause == s.cause) {
			return // inside the open segment, of its status: covered already
		}
		t.split(d, st, cause, ts)
		return
	}
	t.w.add(op{kind: opFill, dev: d.id, fills: []int64{ts}, span: d.span(), every: d.every(),
		status: st, cause: cause, weak: weak})
}

// every is the device's report interval, the likely distance to its next
// reading; never more than span.
func (d *device) every() int64 { return min(max(d.info.interval, 1), max(d.span(), 1)) }

// split cuts the open segment at ts, before the device's newest reading,
// for a late reading of another status: the segment's status holds up to
// ts, the late reading's from ts to where the segment's next reading
// likely is (a report interval on, never past the newest), and the segment
// reopens there.
func (t *timeline) split(d *device, st plant.Status, cause string, ts int64) {
	s := &d.seg
	q := min(ts+d.every(), max(d.lastTs, s.seen))
	if q <= ts {
		return
	}
	seen := max(s.start, ts-d.every()) // the head's last reading, likely
	t.w.add(op{kind: opSegment, dev: d.id, closeAt: ts, seen: seen, start: q, status: s.status, cause: s.cause})
	t.w.add(op{kind: opCover, dev: d.id, end: s.cover})
	t.w.add(op{kind: opFill, dev: d.id, fills: []int64{ts}, span: d.span(), every: d.every(), status: st, cause: cause})
	s.start = q
}

// cut ends the device's coverage at `at` (the status topic said
// offline): what follows is no_data until the next reading.
func (t *timeline) cut(d *device, at int64) {
	s := &d.seg
	if s.status == "" || at >= s.cover {
		return
	}
	s.cover = max(at, s.start)
	t.w.add(op{kind: opCover, dev: d.id, end: s.cover})
}

// Timelines returns each device's status intervals overlapping [from, to)
// with their true start and end, ordered by start; an empty devices lists
// every device. Time no reading covers between and after the recorded
// intervals is no_data (an open no_data interval when the device is quiet
// now); active and past maintenance silences turn what they cover into
// maintenance. It implements report.TimelineSource. The engine commits
// what it holds first and knows to the nanosecond how far each device's
// newest reading reaches; TimelineReader reads the same from the tables
// alone, for a process beside the server.
func (e *Engine) Timelines(ctx context.Context, devices []plant.DeviceID, from, to time.Time) (map[plant.DeviceID][]plant.StatusInterval, error) {
	if err := e.Sync(ctx); err != nil {
		return nil, err
	}
	rows, err := timelineRows(ctx, e.opt.DB, devices, from.UnixNano(), to.UnixNano())
	if err != nil {
		return nil, fmt.Errorf("read timelines: %w", err)
	}
	now := e.now()
	sils := e.sil.all()
	return assemble(rows, from, to,
		func(id plant.DeviceID, ivs []plant.StatusInterval) []plant.StatusInterval {
			return e.withOpen(id, ivs, now)
		},
		func(id plant.DeviceID) devInfo { return e.infoOf(id) }, sils), nil
}

// assemble completes each device's stored rows: open settles the open
// row's end, time no row covers becomes no_data, maintenance silences
// (matched with info) lie over the rest; it keeps what overlaps [from, to).
func assemble(rows map[plant.DeviceID][]plant.StatusInterval, from, to time.Time,
	open func(plant.DeviceID, []plant.StatusInterval) []plant.StatusInterval,
	info func(plant.DeviceID) devInfo, sils []Silence) map[plant.DeviceID][]plant.StatusInterval {
	out := make(map[plant.DeviceID][]plant.StatusInterval, len(rows))
	for id, ivs := range rows {
		ivs = withNoData(open(id, ivs))
		if len(sils) > 0 {
			ivs = withMaintenance(ivs, id, info(id), sils)
		}
		ivs = slices.DeleteFunc(ivs, func(iv plant.StatusInterval) bool {
			return !iv.Start.Before(to) || (!iv.End.IsZero() && !iv.End.After(from))
		})
		if len(ivs) > 0 {
			out[id] = ivs
		}
	}
	return out
}

// timelineRows reads the stored rows that may matter for [from, to), the
// open row of every device included.
func timelineRows(ctx context.Context, db *sql.DB, devices []plant.DeviceID, from, to int64) (map[plant.DeviceID][]plant.StatusInterval, error) {
	q := `SELECT device, start_at, end_at, status, cause, open FROM alerting_timeline
		WHERE start_at < ? AND (end_at >= ? OR open = 1)`
	args := []any{to, from}
	if len(devices) > 0 {
		q += ` AND device IN (?` + strings.Repeat(`, ?`, len(devices)-1) + `)`
		for _, d := range devices {
			args = append(args, string(d))
		}
	}
	rows, err := db.QueryContext(ctx, q+` ORDER BY device, start_at`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[plant.DeviceID][]plant.StatusInterval{}
	for rows.Next() {
		var iv plant.StatusInterval
		var a, b int64
		var open bool
		if err := rows.Scan(&iv.Device, &a, &b, &iv.Status, &iv.Cause, &open); err != nil {
			return nil, err
		}
		iv.Start, iv.End = unixUTC(a), unixUTC(b)
		if open {
			iv.End = time.Time{}
		}
		out[iv.Device] = append(out[iv.Device], iv)
	}
	return out, rows.Err()
}

// withOpen replaces the stored end of the open row by the covered end the
// engine knows now: still open while readings cover now, else closed there.
func (e *Engine) withOpen(id plant.DeviceID, ivs []plant.StatusInterval, now int64) []plant.StatusInterval {
	n := len(ivs)
	if n == 0 || !ivs[n-1].End.IsZero() {
		return ivs
	}
	sh := e.shardOf(id)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if d := sh.devs[id]; d != nil && d.seg.status != "" && d.seg.start == ivs[n-1].Start.UnixNano() && !d.covers(now) {
		ivs[n-1].End = unixUTC(d.seg.cover)
	}
	return ivs
}

// withNoData adds no_data for the gaps between intervals and after the last
// closed one (open: the device is quiet now).
func withNoData(ivs []plant.StatusInterval) []plant.StatusInterval {
	if len(ivs) == 0 {
		return ivs
	}
	out := make([]plant.StatusInterval, 0, len(ivs)+2)
	for i, iv := range ivs {
		if i > 0 {
			prev := out[len(out)-1].End
			if !prev.IsZero() && prev.Before(iv.Start) {
				out = append(out, plant.StatusInterval{Device: iv.Device, Status: plant.StatusNoData, Start: prev, End: iv.Start})
			}
		}
		out = append(out, iv)
	}
	if last := out[len(out)-1]; !last.End.IsZero() {
		out = append(out, plant.StatusInterval{Device: last.Device, Status: plant.StatusNoData, Start: last.End})
	}
	return out
}

// withMaintenance lays the maintenance silences matching a device over
// its intervals.
func withMaintenance(ivs []plant.StatusInterval, id plant.DeviceID, info devInfo, sils []Silence) []plant.StatusInterval {
	for _, s := range sils {
		if s.Maintenance && s.MatchesDevice(id, info.facility, info.region) {
			ivs = overlay(ivs, plant.StatusInterval{
				Device: id, Status: plant.StatusMaintenance, Start: s.StartsAt.UTC(), End: s.EndsAt.UTC(),
				Cause: fmt.Sprintf("silence:%d", s.ID),
			})
		}
	}
	return ivs
}

// overlay puts m over the sorted intervals (End zero is open), cutting
// what it covers.
func overlay(ivs []plant.StatusInterval, m plant.StatusInterval) []plant.StatusInterval {
	out := make([]plant.StatusInterval, 0, len(ivs)+2)
	placed := false
	reaches := func(iv plant.StatusInterval, t time.Time) bool { return iv.End.IsZero() || iv.End.After(t) }
	for _, iv := range ivs {
		if iv.Start.Before(m.Start) {
			head := iv
			if reaches(iv, m.Start) {
				head.End = m.Start
			}
			out = append(out, head)
		}
		if !placed && reaches(iv, m.Start) {
			out, placed = append(out, m), true
		}
		if reaches(iv, m.End) {
			tail := iv
			if tail.Start.Before(m.End) {
				tail.Start = m.End
			}
			out = append(out, tail)
		}
	}
	if !placed {
		out = append(out, m)
	}
	return out
}

// infoOf is what the engine knows of a device's registry entry.
func (e *Engine) infoOf(id plant.DeviceID) devInfo {
	sh := e.shardOf(id)
	sh.mu.Lock()
	d := sh.devs[id]
	var info devInfo
	if d != nil {
		info = d.info
	}
	sh.mu.Unlock()
	if d == nil {
		dev := e.lookup(id)
		info = devInfo{facility: dev.Facility, region: dev.Region}
	}
	return info
}
