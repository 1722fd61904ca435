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
		d.noteLate(r, ts)
		e.tl.late(d, r, ts)
		return
	}
	prev := d.lastTs
	d.lastTs = ts
	d.dirty = true
	if !live {
		e.tl.reading(d, r, ts, false)
		return
	}
	e.noteStart(d, r, prev, now)
	d.noteSpec(r, ts)
	d.merge(r)
	d.lastHeard = now
	if d.offline {
		d.statusOffline = false
		e.setOffline(d, false, now)
	}
	e.tl.reading(d, r, ts, true)
	if d.fresh(ts, now) {
		e.evaluate(d, r, now)
	}
	e.updateOutage(d, now)
	e.schedule(sh, d)
}

// evaluate runs every rule on a fresh live reading.
func (e *Engine) evaluate(d *device, r *plant.Reading, now int64) {
	run := d.running()
	d.curTs = r.Time.UnixNano()
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
	fault := e.deviceFault(d, r)
	e.step(d, slotDeviceFault, fault, !fault, math.NaN(), now)
	if r.Power != "" {
		lost := r.Power == plant.PowerBattery || r.Power == plant.PowerNone
		e.step(d, slotPowerLoss, lost, !lost, math.NaN(), now)
	}
	e.sensorStuck(d, r.Purity, run, now)
	if d.skewConfirmed() {
		c := &d.rs.r[slotClockSkew]
		off := math.Abs(float64(d.clk.skew) / 1e9)
		e.step(d, slotClockSkew, off > c.level, off <= c.clear, float64(d.clk.skew)/1e9, now)
	}
	switch {
	case r.Runtime != nil:
		e.clocks.run(d, *r.Runtime, now)
	case d.rs.calendar:
		e.clocks.run(d, d.values.runtime, now) // calendar clocks run without runtime_h
	}
	e.trendCheck(d, now)
}

// threshold evaluates a value rule: it fires below (or above) its level and
// clears only at or past its clear level; between the two it keeps its state.
// While the device is not running the condition is off and an open alert
// resolves (it applies only while running).
func (e *Engine) threshold(d *device, s slot, p *float64, running, below bool, now int64) {
	c := &d.rs.r[s]
	if !c.on || d.state == plant.StateUnknown {
		return // an unknown state: hold, neither fire nor clear
	}
	if !running {
		e.step(d, s, false, true, math.NaN(), now)
		return
	}
	if p == nil {
		return
	}
	v, level, clear := *p, c.level, c.clear
	if s == slotLowPurity && v >= clear {
		d.runStart = 0 // at spec: warm
	}
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
			st.pendingSince, st.pendingTs, st.pendingN = now, d.curTs, 0
			if c.forNs > 0 {
				e.setPending(d, s, now)
			}
		}
		st.pendingN = min(st.pendingN+1, math.MaxUint16)
		if e.forDone(d, s, now) && !d.warmingUp(s, now) {
			e.fireSlot(d, s, value, now)
		}
	case st.pendingSince != 0:
		st.pendingSince, st.pendingN = 0, 0
		if c.forNs > 0 {
			e.setPending(d, s, 0)
		}
	}
}

// forDone reports whether a pending rule's condition has held long enough:
// for its `for` in engine time (scaled to an accelerated device's clock),
// or in the device's own time between readings, or for its count of bad
// readings in a row.
func (e *Engine) forDone(d *device, s slot, now int64) bool {
	st, c := &d.rules[s], &d.rs.r[s]
	if now-st.pendingSince >= d.scaled(c.forNs) || d.curTs-st.pendingTs >= c.forNs {
		return true
	}
	n := c.forCount(d.info.interval)
	return n > 0 && int(st.pendingN) >= n
}

// warmingUp reports whether the slot is a purity rule held by the warm-up
// that follows a start.
func (d *device) warmingUp(s slot, now int64) bool {
	w := d.rs.r[s].warmUp
	return w > 0 && d.runStart > 0 && now < d.runStart+d.scaled(w)
}

// warmUpEnd is when the slot's warm-up hold ends, or 0.
func (d *device) warmUpEnd(s slot) int64 {
	if w := d.rs.r[s].warmUp; w > 0 && d.runStart > 0 {
		return d.runStart + d.scaled(w)
	}
	return 0
}

// noteStart marks the start of a run, which the purity rules' warm-up
// follows: the device reports running after another state, after a silence
// past its offline deadline, or with a seq lower than the last one (its
// controller restarted). prev is the device's newest reading before r.
func (e *Engine) noteStart(d *device, r *plant.Reading, prev, now int64) {
	restarted := r.Seq != nil && d.lastSeq >= 0 && *r.Seq < d.lastSeq
	if r.Seq != nil {
		d.lastSeq = *r.Seq
	}
	if r.State != plant.StateRunning || d.clk.prevArr == 0 {
		return // not running, or the first reading seen: no start to judge
	}
	if d.state != plant.StateRunning || d.offline || restarted || now > d.deadline() {
		d.runStart = now
		d.warm = warmSpan{after: prev, from: r.Time.UnixNano()}
	}
}

// warmSpan is the device's latest warm-up in reading time, which the status
// timeline judges readings by, in whatever order they arrive: a reading
// taken in [from, end) is warming up. The alert rules keep runStart, in
// engine time.
type warmSpan struct {
	after int64 // the newest reading before the start
	from  int64 // the start, the first running reading
	spec  int64 // the first reading at spec after from (ends it early), 0: none yet
}

// atSpec notes a reading at ts at spec: the warm-up ends there if it is the
// first such reading after the start.
func (w *warmSpan) atSpec(ts int64) {
	if w.from > 0 && ts >= w.from && (w.spec == 0 || ts < w.spec) {
		w.spec = ts
	}
}

// warmAt reports whether the timeline judges a reading taken at ts (device
// time) by the purity rules' warm-up: it falls in the device's latest
// warm-up, which lasts warm_up in the device's time, or up to the first
// reading at spec.
func (d *device) warmAt(ts int64) bool {
	w, sp := d.rs.r[slotCriticalPurity].warmUp, &d.warm
	if w <= 0 || sp.from <= 0 || ts < sp.from {
		return false
	}
	return ts < sp.from+w && (sp.spec == 0 || ts < sp.spec)
}

// noteLate keeps the warm-up span true to reading time for a reading older
// than the device's newest: a running one between the start and the
// reading before it, that the start's coverage reaches, is the run's real
// first reading (the two arrived swapped); one at spec may end the warm-up
// earlier. Readings the timeline placed already are not judged again.
func (d *device) noteLate(r *plant.Reading, ts int64) {
	sp := &d.warm
	if sp.from <= 0 || (r.State != plant.StateRunning && r.State != "") {
		return
	}
	if ts > sp.after && ts < sp.from && sp.from-ts <= d.span() {
		sp.from = ts
	}
	d.noteSpec(r, ts)
}

// noteSpec ends the warm-up span at a reading at spec (low_purity's clear
// level, where the alert rules end the warm-up too) that does not say the
// device stopped.
func (d *device) noteSpec(r *plant.Reading, ts int64) {
	if c := d.rs.r[slotLowPurity]; (r.State == plant.StateRunning || r.State == "") && r.Purity != nil && *r.Purity >= c.clear {
		d.warm.atSpec(ts)
	}
}

// sensorStuck counts running readings that repeat the purity exactly: a
// sensor whose noise vanished is stuck.
func (e *Engine) sensorStuck(d *device, p *float64, running bool, now int64) {
	c := &d.rs.r[slotSensorStuck]
	if !c.on || p == nil || !running {
		return
	}
	if *p == d.stuckVal {
		d.stuckN = min(d.stuckN+1, math.MaxUint16)
	} else {
		d.stuckVal, d.stuckN = *p, 1
	}
	e.step(d, slotSensorStuck, int(d.stuckN) >= c.forN, int(d.stuckN) < c.forN, *p, now)
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
// device is not running (an unknown state is not taken as stopped); device_fault takes the severity of its alarm codes.
func (e *Engine) severity(d *device, s slot) plant.Severity {
	switch {
	case s == slotPowerLoss && !d.running() && d.state != plant.StateUnknown:
		return plant.SeverityCritical
	case s == slotDeviceFault && d.faultSev != "":
		return d.faultSev
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
		case st.alert == nil && st.pendingSince > 0 && st.cond && !d.offline && !d.statusOffline && now-st.pendingSince >= d.scaled(c.forNs) && !d.warmingUp(s, now):
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
			take(max(st.pendingSince+d.scaled(d.rs.r[s].forNs), d.warmUpEnd(s)))
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
