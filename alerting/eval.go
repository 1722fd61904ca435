package alerting

import (
	"math"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// observe handles one reading under its shard's lock.
//
// A reading older than the device's newest one only fills the timeline and
// the trend. A newer reading with live false (ingest says it is old) moves the
// timeline but fires and resolves nothing. A live reading always proves the
// device is talking (it resolves offline), but a live reading older than the
// offline deadline is a backlog after an outage: it is history, and only a
// reading fresher than that evaluates the rules (see fresh for devices whose
// clock is wrong).
func (e *Engine) observe(sh *shard, d *device, r *plant.Reading, live bool, now int64) {
	ts := r.Time.UnixNano()
	e.trendAdd(d, r, ts)
	if ts < d.lastTs {
		e.lateReading(d, r, ts)
		return
	}
	d.lastTs = ts
	d.dirty = true
	if !live {
		e.timelineReading(d, r, ts, false)
		return
	}
	d.merge(r)
	d.lastHeard = now
	if d.offline {
		d.statusOffline = false
		e.setOffline(d, false, now)
	}
	e.timelineReading(d, r, ts, true)
	if d.fresh(ts, now) {
		e.evaluate(d, r, now)
	}
	e.updateOutage(d, now)
	e.schedule(sh, d)
}

// evaluate runs every rule on a fresh live reading.
func (e *Engine) evaluate(d *device, r *plant.Reading, now int64) {
	run := d.running()
	e.threshold(d, slotCriticalPurity, r.Purity, run, true, now)
	e.threshold(d, slotLowPurity, r.Purity, run, true, now)
	e.threshold(d, slotLowPressure, r.Pressure, run, true, now)
	e.threshold(d, slotHighPressure, r.Pressure, run, false, now)
	// no_flow needs the device to say it runs: equipment that reports no
	// state and no flow is more likely unused than broken.
	e.threshold(d, slotNoFlow, r.Flow, d.state == plant.StateRunning, true, now)
	if d.info.rated > 0 {
		e.threshold(d, slotOverload, r.Flow, run, false, now)
	}
	fault := d.state == plant.StateFault || len(r.Alarms) > 0
	e.step(d, slotDeviceFault, fault, !fault, math.NaN(), now)
	if r.Power != "" {
		lost := r.Power == plant.PowerBattery || r.Power == plant.PowerNone
		e.step(d, slotPowerLoss, lost, !lost, math.NaN(), now)
	}
	if r.Runtime != nil {
		e.maintenance(d, *r.Runtime, now)
	}
	e.trendCheck(d, now)
}

// threshold evaluates a value rule: it fires below (or above) its level and
// clears only at or past its clear level; between the two it keeps its state.
// While the device is not running the condition is off and an open alert
// resolves (it applies only while running).
func (e *Engine) threshold(d *device, s slot, p *float64, running, below bool, now int64) {
	c := &d.rs.r[s]
	if !c.on {
		return
	}
	if !running {
		e.step(d, s, false, true, math.NaN(), now)
		return
	}
	if p == nil {
		return
	}
	v, level, clear := *p, c.level, c.clear
	if s == slotOverload {
		v = 100 * v / d.info.rated
	}
	if below {
		e.step(d, s, v < level, v >= clear, *p, now)
	} else {
		e.step(d, s, v > level, v <= clear, *p, now)
	}
}

// step moves one rule of one device: pending while the condition holds for
// less than `for`, firing after, resolved when the clear condition holds (or,
// for a flapping rule, once it has held clear for the stable time).
func (e *Engine) step(d *device, s slot, firing, clearing bool, value float64, now int64) {
	c := &d.rs.r[s]
	if !c.on {
		return
	}
	st := &d.rules[s]
	st.cond = firing
	switch {
	case st.alert != nil:
		e.stepOpen(d, s, firing, clearing, value, now)
	case firing:
		if st.pendingSince == 0 {
			st.pendingSince = now
			if c.forNs > 0 {
				e.setPending(d, s, now)
			}
		}
		if now-st.pendingSince >= c.forNs {
			e.fireSlot(d, s, value, now)
		}
	case st.pendingSince != 0:
		st.pendingSince = 0
		if c.forNs > 0 {
			e.setPending(d, s, 0)
		}
	}
}

func (e *Engine) stepOpen(d *device, s slot, firing, clearing bool, value float64, now int64) {
	st := &d.rules[s]
	if firing {
		st.clearSince = 0
		if sev := e.severity(d, s); sev != st.alert.a.Severity {
			e.changeSeverity(d, s, sev, value, now)
		}
		return
	}
	if !clearing {
		return
	}
	if st.clearSince == 0 && e.flapping(st, now) {
		st.clearSince = now
	}
	if st.clearSince != 0 && now-st.clearSince < int64(e.opt.Rules.Flapping.Stable) {
		return
	}
	e.resolveSlot(d, s, value, now)
}

// flapping counts one clearing of an open alert and reports whether the rule
// cleared more than Flips times in the current window.
func (e *Engine) flapping(st *ruleState, now int64) bool {
	f := e.opt.Rules.Flapping
	if now-st.flipWin > int64(f.Window) {
		st.flipWin, st.flips = now, 0
	}
	if st.flips < 255 {
		st.flips++
	}
	return int(st.flips) > f.Flips
}

// severity is the rule's severity now; power_loss is critical while the
// device is not running.
func (e *Engine) severity(d *device, s slot) plant.Severity {
	if s == slotPowerLoss && !d.running() {
		return plant.SeverityCritical
	}
	return d.rs.r[s].sev
}

// handleDue fires offline and pending alerts whose time has come and ends
// flapping holds that stayed clear long enough.
func (e *Engine) handleDue(d *device, now int64) {
	if d.offline && d.rules[slotOffline].alert == nil && d.rs.r[slotOffline].on {
		e.fireSlot(d, slotOffline, math.NaN(), now)
	}
	for s := slotCriticalPurity; s < nSlots; s++ {
		st, c := &d.rules[s], &d.rs.r[s]
		switch {
		case st.alert == nil && st.pendingSince > 0 && st.cond && !d.offline && now-st.pendingSince >= c.forNs:
			e.fireSlot(d, s, d.valueOf(s), now)
		case st.alert != nil && st.clearSince > 0 && !st.cond && now-st.clearSince >= int64(e.opt.Rules.Flapping.Stable):
			e.resolveSlot(d, s, d.valueOf(s), now)
		}
	}
}

// valueOf is the newest value a slot looks at.
func (d *device) valueOf(s slot) float64 {
	switch s {
	case slotCriticalPurity, slotLowPurity:
		return d.values.purity
	case slotLowPressure, slotHighPressure:
		return d.values.pressure
	case slotNoFlow, slotOverload:
		return d.values.flow
	}
	return math.NaN()
}

func (e *Engine) pastDeadline(d *device, now int64) bool {
	return !d.offline && now >= d.deadline()
}

// setOffline marks the device offline or back; back resolves its offline
// alert (a reading is the recovery).
func (e *Engine) setOffline(d *device, off bool, now int64) {
	d.offline = off
	if !off && d.rules[slotOffline].alert != nil {
		e.resolveSlot(d, slotOffline, math.NaN(), now)
	}
	e.updateOutage(d, now)
}

// nextDue is the device's earliest deadline, or 0 when it has none.
func (e *Engine) nextDue(d *device) int64 {
	var due int64
	take := func(t int64) {
		if due == 0 || t < due {
			due = t
		}
	}
	if !d.offline && d.rs.r[slotOffline].on {
		take(d.deadline())
	}
	stable := int64(e.opt.Rules.Flapping.Stable)
	for s := slotCriticalPurity; s < nSlots; s++ {
		st := &d.rules[s]
		if st.alert == nil && st.pendingSince > 0 && st.cond {
			take(st.pendingSince + d.rs.r[s].forNs)
		}
		if st.alert != nil && st.clearSince > 0 {
			take(st.clearSince + stable)
		}
	}
	return due
}

// schedule puts the device in its shard's timer heap, or moves it earlier.
// A later deadline is left alone: the device is re-queued when popped.
func (e *Engine) schedule(sh *shard, d *device) {
	due := e.nextDue(d)
	switch {
	case due == 0:
	case d.heapIdx < 0:
		sh.heap.push(d, due)
	case due < d.due:
		sh.heap.moveEarlier(d, due)
	}
}

// staleLimit is how long readings must keep looking stale before the engine
// takes it that the device's clock moved rather than that it sends a backlog.
const staleLimit = int64(60 * 60 * 1e9)

// fresh reports whether a live reading is recent enough to evaluate: taken
// within the offline deadline of now. Device clocks may be wrong (no RTC
// battery, no NTP), so the engine also learns each device's clock offset,
// the smallest now-ts of the readings it judged fresh. A device whose
// readings look stale for an hour on end has a clock that is off (or moved):
// its offset is learnt from them, and from then on a device steadily ten
// minutes behind counts as fresh, while a backlog still stands out by an
// offset far above the learnt one.
func (d *device) fresh(ts, now int64) bool {
	off, span := now-ts, d.span()
	if off <= span || (d.skewSet && off-d.skew <= span) {
		if !d.skewSet || off < d.skew {
			d.skew, d.skewSet = off, true
		}
		d.staleSince = 0
		return true
	}
	switch {
	case d.staleSince == 0:
		d.staleSince = now
	case now-d.staleSince > staleLimit:
		d.skew, d.skewSet, d.staleSince = off, true, 0
		return true
	}
	return false
}
