package alerting

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/oxywatch/oxywatch/internal/plant"
	"github.com/oxywatch/oxywatch/internal/store"
)

// clocks runs the devices' maintenance clocks. Its state is the device's
// (maintState, the history-missing alert), under the device's shard lock,
// which its callers hold; it opens and resolves alerts through the alerter.
type clocks struct{ al *alerter }

// run runs each component's clock: maintenance_due fires (info) when
// the running hours since the component's last service reach its interval,
// turns warning past maintWarn (110 % by default) and resolves on a service
// record. A device with no service on record for any component gets one
// item instead, "service history missing" (info), which resolves once any
// of its services is recorded: a fleet taken on without its maintenance
// history shows one thing to do per device, not one per component. After
// that, a component still without a record counts from runtime 0 and stays
// info.
func (c *clocks) run(d *device, runtime float64, now int64) {
	if !d.rs.maintOn {
		return
	}
	if c.historyMissing(d, runtime, now) {
		return
	}
	for i := range d.maint {
		c.one(d, i, runtime, now)
	}
}

// historyComp is the component name of the "service history missing" item.
const historyComp = "service_history"

// historyMissing keeps the device's one "service history missing" alert
// open while no component has a service record, and reports whether it is.
func (c *clocks) historyMissing(d *device, runtime float64, now int64) bool {
	missing := len(d.maint) > 0 && !slices.ContainsFunc(d.maint, func(m maintState) bool { return m.done != 0 })
	switch {
	case missing && d.history == nil && !math.IsNaN(runtime):
		summary := fmt.Sprintf("service history missing: %.0f running hours and no service on record for %s; record the last service of each",
			runtime, strings.Join(d.maintNames(), ", "))
		d.history = c.al.fire(d, RuleMaintenanceDue, plant.SeverityInfo, runtime, summary, historyComp, now)
	case !missing && d.history != nil:
		oa := d.history
		d.history = nil
		c.al.resolve(oa, now)
	}
	return missing
}

func (c *clocks) one(d *device, i int, runtime float64, now int64) {
	m := &d.maint[i]
	it := d.rs.comps[i].item(m.base, m.done, runtime, now)
	if !it.Known && it.DueAt.IsZero() {
		return // nothing to judge by
	}
	since := it.RuntimeH
	sev := plant.SeverityInfo
	if m.done != 0 && it.Past(d.rs.maintWarn, unixUTC(now)) {
		sev = plant.SeverityWarning
	}
	switch {
	case it.Due && m.alert == nil:
		c.fire(d, i, it, sev, now)
	case it.Due && severityRank(sev) > severityRank(m.alert.a.Severity):
		c.resolve(d, i, since, now)
		c.fire(d, i, it, sev, now)
	case !it.Due && m.alert != nil:
		c.resolve(d, i, since, now)
	}
}

func (cl *clocks) fire(d *device, i int, it MaintenanceItem, sev plant.Severity, now int64) {
	m, c := &d.maint[i], d.rs.comps[i]
	since := it.RuntimeH
	var summary string
	switch {
	case it.DueBy == DueByCalendar:
		summary = fmt.Sprintf("%s: last service %s, due by the calendar on %s", c.name,
			it.LastDone.Format("2006-01-02"), it.DueAt.Format("2006-01-02"))
	case m.done == 0:
		summary = fmt.Sprintf("%s: no service on record, %.0f running hours, interval %.0f h: record the last service", c.name, since, c.hours)
	default:
		summary = fmt.Sprintf("%s: %.0f running hours since service, interval %.0f h", c.name, since, c.hours)
	}
	m.alert = cl.al.fire(d, RuleMaintenanceDue, sev, since, summary, c.name, now)
}

// resolve resolves component i's alert.
func (c *clocks) resolve(d *device, i int, since float64, now int64) {
	oa := d.maint[i].alert
	d.maint[i].alert = nil
	oa.a.Value = floatPtr(since)
	c.al.resolve(oa, now)
}

// RecordService stores a service record and resets that component's clock.
// A record without RuntimeH takes the device's newest runtime_h; DoneAt
// defaults to now. The component must be one the device's rules know.
func (e *Engine) RecordService(ctx context.Context, r plant.ServiceRecord) (plant.ServiceRecord, error) {
	if !plant.ValidDeviceID(string(r.Device)) {
		return r, fmt.Errorf("%w: device %q", ErrInvalid, r.Device)
	}
	if r.RuntimeH < 0 || math.IsNaN(r.RuntimeH) || math.IsInf(r.RuntimeH, 0) {
		return r, fmt.Errorf("%w: runtime_h %g", ErrInvalid, r.RuntimeH)
	}
	now := e.now()
	if r.DoneAt.IsZero() {
		r.DoneAt = unixUTC(now)
	}
	r.DoneAt = r.DoneAt.UTC()
	// Check the component and take the runtime under the lock, write the
	// record without it (ingest must not wait on the disk), then reset.
	sh := e.shardOf(r.Device)
	sh.mu.Lock()
	d := e.deviceLocked(sh, r.Device, now)
	i, names := d.maintIndex(r.Component), d.maintNames()
	unknown := r.RuntimeH == 0 && math.IsNaN(d.values.runtime)
	if r.RuntimeH == 0 && !unknown {
		r.RuntimeH = d.values.runtime
	}
	hours := i >= 0 && d.rs.comps[i].hours > 0
	sh.mu.Unlock()
	if i < 0 {
		return r, fmt.Errorf("%w: component %q is not one of %s's (%s)", ErrInvalid, r.Component, r.Device, strings.Join(names, ", "))
	}
	if unknown && hours {
		// Counting from 0 h would make every hour the device ever ran look
		// like hours since this service.
		return r, fmt.Errorf("%w: runtime_h is needed: %s has not reported its running hours yet (give the hours at this service)", ErrInvalid, r.Device)
	}
	err := store.InTx(ctx, e.opt.DB, func(tx *sql.Tx) (string, error) {
		res, err := tx.ExecContext(ctx, `INSERT INTO alerting_service (device, component, done_at, runtime_h, note, done_by)
			VALUES (?, ?, ?, ?, ?, ?)`, r.Device, r.Component, r.DoneAt.UnixNano(), r.RuntimeH, r.Note, r.By)
		if err != nil {
			return "", err
		}
		r.ID, err = res.LastInsertId()
		return string(r.Device), err
	})
	if err != nil {
		return r, fmt.Errorf("record service: %w", err)
	}
	h, holding := ctx.Value(heldKey{}).(*held)
	sh.mu.Lock()
	e.clocks.serviced(d, r, e.now(), !holding)
	sh.mu.Unlock()
	if holding {
		h.add(d.id)
		return r, nil
	}
	return r, e.Sync(ctx)
}

type heldKey struct{}

// held lists the devices whose clocks wait for the end of an import.
type held struct {
	mu   sync.Mutex
	devs []plant.DeviceID
}

func (h *held) add(id plant.DeviceID) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !slices.Contains(h.devs, id) {
		h.devs = append(h.devs, id)
	}
}

// HoldClocks returns a context in which RecordService stores each record
// and resets its component's clock without running the device's clocks,
// and release, which runs them once for every device recorded and writes
// the result. A service history imported a row at a time then raises no
// passing "no service on record" alert for a component whose own row comes
// later in the file.
func (e *Engine) HoldClocks(ctx context.Context) (context.Context, func(context.Context) error) {
	h := &held{}
	return context.WithValue(ctx, heldKey{}, h), func(ctx context.Context) error {
		h.mu.Lock()
		devs := slices.Clone(h.devs)
		h.mu.Unlock()
		for _, id := range devs {
			sh := e.shardOf(id)
			sh.mu.Lock()
			now := e.now()
			e.clocks.settle(e.deviceLocked(sh, id, now), now)
			sh.mu.Unlock()
		}
		return e.Sync(ctx)
	}
}

// settle runs a device's clocks at its newest runtime, else at the
// highest runtime its service records give.
func (c *clocks) settle(d *device, now int64) {
	if !d.rs.maintOn {
		return
	}
	rt := d.values.runtime
	if math.IsNaN(rt) {
		for _, m := range d.maint {
			if m.done != 0 && (math.IsNaN(rt) || m.base > rt) {
				rt = m.base
			}
		}
	}
	c.run(d, rt, now)
}

// serviced resets a component's clock unless a later service is known,
// and runs the device's clocks unless an import holds them.
func (c *clocks) serviced(d *device, r plant.ServiceRecord, now int64, run bool) {
	i := d.maintIndex(r.Component)
	if i < 0 || r.DoneAt.UnixNano() < d.maint[i].done {
		return
	}
	m := &d.maint[i]
	m.base, m.done = r.RuntimeH, r.DoneAt.UnixNano()
	if !d.rs.maintOn || !run {
		return
	}
	rt := d.values.runtime
	if math.IsNaN(rt) {
		rt = r.RuntimeH
	}
	c.run(d, rt, now)
}

// ServiceRecords lists a device's service records, newest first.
func (e *Engine) ServiceRecords(ctx context.Context, device plant.DeviceID) ([]plant.ServiceRecord, error) {
	rows, err := e.opt.DB.QueryContext(ctx, `SELECT id, device, component, done_at, runtime_h, note, done_by
		FROM alerting_service WHERE device = ? ORDER BY done_at DESC, id DESC`, device)
	if err != nil {
		return nil, fmt.Errorf("read service records: %w", err)
	}
	defer rows.Close()
	var out []plant.ServiceRecord
	for rows.Next() {
		var r plant.ServiceRecord
		var done int64
		if err := rows.Scan(&r.ID, &r.Device, &r.Component, &done, &r.RuntimeH, &r.Note, &r.By); err != nil {
			return nil, err
		}
		r.DoneAt = unixUTC(done)
		out = append(out, r)
	}
	return out, rows.Err()
}

// MaintenanceItem is one component of one device and its maintenance clock.
type MaintenanceItem = plant.MaintenanceItem

// Due reasons in MaintenanceItem.DueBy.
const (
	DueByHours    = "running_hours"
	DueByCalendar = "calendar"
)

// item is c's clock: serviced at done (unix ns; 0 never) with runtime_h
// base, the device's newest runtime_h runtime (NaN: unknown), at now.
// Running hours count when known; a calendar interval counts from the
// last service (a component never serviced has the history-missing item).
func (c component) item(base float64, done int64, runtime float64, now int64) MaintenanceItem {
	it := MaintenanceItem{Component: c.name, IntervalH: c.hours, IntervalMonths: c.months, IntervalDays: c.days,
		LastDone: fromNanos(done)}
	if !math.IsNaN(runtime) {
		it.RuntimeH, it.Known = runtime-base, true
		if c.hours > 0 && it.RuntimeH >= c.hours {
			it.Due, it.DueBy = true, DueByHours
		}
	}
	if done != 0 && (c.months > 0 || c.days > 0) {
		it.DueAt = unixUTC(done).AddDate(0, c.months, c.days)
		if !it.Due && now >= it.DueAt.UnixNano() {
			it.Due, it.DueBy = true, DueByCalendar
		}
	}
	return it
}

// MaintenanceDue lists every component of every device that reported
// runtime_h, ordered by device and component. Known is false (and RuntimeH
// 0) for devices whose runtime was never reported.
func (e *Engine) MaintenanceDue(ctx context.Context) ([]MaintenanceItem, error) {
	var out []MaintenanceItem
	now := e.now()
	for i := range e.shards {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		sh := &e.shards[i]
		sh.mu.Lock()
		for _, d := range sh.devs {
			for j, m := range d.maint {
				it := d.rs.comps[j].item(m.base, m.done, d.values.runtime, now)
				it.Device, it.Facility, it.Region = d.id, d.info.facility, d.info.region
				out = append(out, it)
			}
		}
		sh.mu.Unlock()
	}
	slices.SortFunc(out, func(a, b MaintenanceItem) int {
		return cmp.Or(cmp.Compare(a.Device, b.Device), cmp.Compare(a.Component, b.Component))
	})
	return out, nil
}

// Runtime returns the newest live runtime_h the engine holds for dev.
func (e *Engine) Runtime(dev plant.DeviceID) (float64, bool) {
	sh := e.shardOf(dev)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	d := sh.devs[dev]
	if d == nil || math.IsNaN(d.values.runtime) {
		return 0, false
	}
	return d.values.runtime, true
}
