package alerting

import (
	"context"
	"database/sql"
	"encoding/json"
	"math"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// saved is a device's checkpoint: what the alert and timeline rows do not
// already hold. Alerts, pending timers, service records and the open
// timeline row are written as they change; this is saved every Checkpoint
// and at shutdown.
type saved struct {
	Ts      int64       `json:"ts"`
	State   string      `json:"st,omitempty"`
	Power   string      `json:"pw,omitempty"`
	Alarm   string      `json:"al,omitempty"`
	Values  [4]*float64 `json:"v"`
	Offline bool        `json:"off,omitempty"`
	StatOff bool        `json:"soff,omitempty"`
	Cover   int64       `json:"cov,omitempty"`
	Skew    *int64      `json:"skew,omitempty"`
	Trend   *savedTrend `json:"tr,omitempty"`
}

type savedTrend struct {
	Day  [8]int32   `json:"d"`
	Pur  [8]float64 `json:"p"`
	Flow [8]float64 `json:"f"`
	N    [8]uint32  `json:"n"`
	Last int32      `json:"l"`
}

func (d *device) save() saved {
	s := saved{Ts: d.lastTs, State: string(d.state), Power: string(d.power), Alarm: d.alarm,
		Offline: d.offline, StatOff: d.statusOffline, Cover: d.seg.cover}
	if d.clk.skewSet {
		s.Skew = &d.clk.skew
	}
	for i, v := range []float64{d.values.purity, d.values.pressure, d.values.flow, d.values.runtime} {
		if !math.IsNaN(v) {
			s.Values[i] = &v
		}
	}
	if t := d.trend; t != nil {
		s.Trend = &savedTrend{Day: t.day, Pur: t.pur, Flow: t.flow, N: t.n, Last: t.last}
	}
	return s
}

func (d *device) load(s saved) {
	d.lastTs, d.state, d.power, d.alarm = s.Ts, plant.State(s.State), plant.Power(s.Power), s.Alarm
	d.offline, d.statusOffline = s.Offline, s.StatOff
	for i, p := range []*float64{&d.values.purity, &d.values.pressure, &d.values.flow, &d.values.runtime} {
		if s.Values[i] != nil {
			*p = *s.Values[i]
		}
	}
	d.seg.cover = s.Cover
	if s.Skew != nil {
		d.clk.skew, d.clk.skewSet = *s.Skew, true
	}
	if t := s.Trend; t != nil {
		d.trend = &trend{day: t.Day, pur: t.Pur, flow: t.Flow, n: t.N, last: t.Last, slope: math.NaN()}
	}
}

// checkpoint queues the state of every device changed since the last one.
func (e *Engine) checkpoint() {
	for i := range e.shards {
		sh := &e.shards[i]
		sh.mu.Lock()
		for _, d := range sh.devs {
			if !d.dirty {
				continue
			}
			d.dirty = false
			b, err := json.Marshal(d.save())
			if err != nil {
				continue // cannot happen: plain numbers and strings
			}
			e.w.add(op{kind: opDevice, dev: d.id, blob: b})
			if d.seg.status != "" && d.seg.cover != d.coverSaved {
				d.coverSaved = d.seg.cover
				e.w.add(op{kind: opCover, dev: d.id, end: d.seg.cover})
			}
		}
		sh.mu.Unlock()
	}
}

// restore rebuilds the engine from the tables: devices from their
// checkpoints and the registry, open alerts with their ids and ack codes,
// pending timers, service clocks, the open timeline rows and silences.
// Nothing is announced: a restart is not news. Every device gets a fresh
// offline deadline from now, except those already offline, which stay so
// until a reading comes.
func (e *Engine) restore(ctx context.Context) error {
	db := e.opt.DB
	now := e.now()
	e.fac.restoring = true // facility checks wait for the recount; New is alone with the engine
	if err := e.sil.load(ctx); err != nil {
		return err
	}
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) + 1 FROM alerting_alerts`).Scan(&e.book.nextID); err != nil {
		return err
	}
	if err := e.restoreDevices(ctx, now); err != nil {
		return err
	}
	if e.opt.Devices != nil {
		for _, dev := range e.opt.Devices() {
			e.device(dev.ID, now)
		}
	}
	for _, step := range []func(context.Context, int64) error{e.restoreService, e.restoreAlerts, e.restorePending, e.restoreSegments} {
		if err := step(ctx, now); err != nil {
			return err
		}
	}
	e.recountFacilities(now)
	for i := range e.shards {
		sh := &e.shards[i]
		for _, d := range sh.devs {
			e.schedule(sh, d)
		}
	}
	return nil
}

// device returns the device's state, creating it (restore only: no locks).
func (e *Engine) device(id plant.DeviceID, now int64) *device {
	sh := e.shardOf(id)
	d := sh.devs[id]
	if d == nil {
		d = e.newDevice(id, now)
		sh.devs[id] = d
	}
	return d
}

func (e *Engine) restoreDevices(ctx context.Context, now int64) error {
	rows, err := e.opt.DB.QueryContext(ctx, `SELECT device, state FROM alerting_devices`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id plant.DeviceID
		var b []byte
		if err := rows.Scan(&id, &b); err != nil {
			return err
		}
		var s saved
		if err := json.Unmarshal(b, &s); err != nil {
			e.log.Warn("alerting: unreadable device checkpoint, starting afresh", "device", id, "err", err)
			continue
		}
		e.device(id, now).load(s)
	}
	return rows.Err()
}

func (e *Engine) restoreService(ctx context.Context, now int64) error {
	rows, err := e.opt.DB.QueryContext(ctx, `SELECT device, component, done_at, runtime_h FROM alerting_service ORDER BY done_at, id`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id plant.DeviceID
		var comp string
		var done int64
		var rt float64
		if err := rows.Scan(&id, &comp, &done, &rt); err != nil {
			return err
		}
		d := e.device(id, now)
		if i := d.maintIndex(comp); i >= 0 {
			d.maint[i].base, d.maint[i].done = rt, done
		}
	}
	return rows.Err()
}

func (e *Engine) restoreAlerts(ctx context.Context, now int64) error {
	rows, err := e.opt.DB.QueryContext(ctx, `SELECT `+alertColumns+`, component, notified FROM alerting_alerts
		WHERE state IN ('firing', 'acknowledged') ORDER BY id`)
	if err != nil {
		return err
	}
	var list []*openAlert
	for rows.Next() {
		oa := &openAlert{}
		var started, resolved, acked int64
		var value sql.NullFloat64
		a := &oa.a
		if err := rows.Scan(&a.ID, &a.Rule, &a.Device, &a.Facility, &a.Region, &a.Country, &a.Severity, &a.State,
			&started, &resolved, &a.AckedBy, &acked, &a.AckNote, &value, &a.Summary, &a.AckCode,
			&oa.comp, &oa.notified); err != nil {
			rows.Close()
			return err
		}
		a.StartedAt, a.AckedAt = unixUTC(started), fromNanos(acked)
		if value.Valid {
			a.Value = &value.Float64
		}
		list = append(list, oa)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, oa := range list {
		e.attach(oa, now)
	}
	return nil
}

// attach puts a restored open alert back where it belongs; one that belongs
// nowhere any more (its rule or component was removed) is resolved.
func (e *Engine) attach(oa *openAlert, now int64) {
	e.book.restored(oa)
	if oa.a.Rule == RuleFacilityOutage {
		e.fac.restored(oa)
		return
	}
	d := e.device(oa.a.Device, now)
	if oa.a.Rule == RuleMaintenanceDue {
		if oa.comp == historyComp && d.history == nil {
			d.history = oa
			return
		}
		if i := d.maintIndex(oa.comp); i >= 0 && d.maint[i].alert == nil {
			d.maint[i].alert = oa
			return
		}
	} else if s, ok := slotByName(oa.a.Rule); ok && d.rules[s].alert == nil && d.rs.r[s].on {
		d.rules[s].alert = oa
		if s == slotOffline {
			d.offline = true
		}
		return
	}
	e.log.Info("alerting: resolving an alert whose rule is gone", "alert", oa.a.ID, "rule", oa.a.Rule)
	e.book.resolve(oa, now)
}

func (e *Engine) restorePending(ctx context.Context, now int64) error {
	rows, err := e.opt.DB.QueryContext(ctx, `SELECT device, rule, since FROM alerting_pending`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id plant.DeviceID
		var rule string
		var since int64
		if err := rows.Scan(&id, &rule, &since); err != nil {
			return err
		}
		s, ok := slotByName(rule)
		d := e.device(id, now)
		if !ok || !d.rs.r[s].on || d.rules[s].alert != nil {
			e.w.add(op{kind: opPending, dev: id, rule: rule})
			continue
		}
		d.rules[s].pendingSince, d.rules[s].cond = since, true
		e.m.move(rule, "", plant.AlertPending)
	}
	return rows.Err()
}

func (e *Engine) restoreSegments(ctx context.Context, now int64) error {
	rows, err := e.opt.DB.QueryContext(ctx, `SELECT device, start_at, end_at, status, cause FROM alerting_timeline WHERE open = 1`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id plant.DeviceID
		var s segment
		if err := rows.Scan(&id, &s.start, &s.cover, &s.status, &s.cause); err != nil {
			return err
		}
		d := e.device(id, now)
		// The row's start is a reading, which covers a span after it; the
		// checkpoint may know a later end.
		s.cover = max(s.cover, d.seg.cover, s.start+d.span())
		// The newest reading is the covered end less one reading's span.
		s.seen = max(s.start, s.cover-d.span())
		d.seg = s
		if d.lastTs == 0 { // no checkpoint: the segment's start is the newest known
			d.lastTs = s.start
		}
	}
	return rows.Err()
}

// recountFacilities counts every facility's devices and outages afresh and
// settles facility alerts: one restored for a facility no longer down
// resolves, a newly down one fires.
func (e *Engine) recountFacilities(now int64) {
	var members []member
	for i := range e.shards {
		for _, d := range e.shards[i].devs {
			d.outage = d.outageNow()
			if d.info.facility != "" {
				members = append(members, member{d.info.facility, d.info.region, d.info.country, d.outage})
			}
		}
	}
	e.fac.recountAll(members, now)
}
