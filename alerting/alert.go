package alerting

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// openAlert is a firing or acknowledged alert. Its fields change under the
// lock of its device's shard (facility alerts: under Engine.mu).
type openAlert struct {
	a        plant.Alert
	comp     string // maintenance component, "" for other rules
	notified bool   // its firing was handed to the Notifier
}

func severityRank(s plant.Severity) int {
	switch s {
	case plant.SeverityCritical:
		return 2
	case plant.SeverityWarning:
		return 1
	}
	return 0
}

func floatPtr(v float64) *float64 {
	if math.IsNaN(v) {
		return nil
	}
	return &v
}

func (e *Engine) newAlert(d *device, rule string, sev plant.Severity, value float64, summary string, now int64) *openAlert {
	return &openAlert{a: plant.Alert{
		Rule: rule, Device: d.id, Facility: d.info.facility, Region: d.info.region,
		Country: d.info.country, Severity: sev, State: plant.AlertFiring,
		StartedAt: time.Unix(0, now).UTC(), Value: floatPtr(value), Summary: summary,
	}}
}

// fireSlot opens a slot's alert.
func (e *Engine) fireSlot(d *device, s slot, value float64, now int64) {
	st := &d.rules[s]
	if st.pendingSince != 0 && d.rs.r[s].forNs > 0 {
		e.setPending(d, s, 0)
	}
	st.pendingSince, st.clearSince = 0, 0
	oa := e.newAlert(d, slotNames[s], e.severity(d, s), value, summarize(d, s, value), now)
	st.alert = oa
	e.open1(oa, e.mutedDevice(d, oa.a.Rule), now)
}

// resolveSlot resolves a slot's open alert.
func (e *Engine) resolveSlot(d *device, s slot, value float64, now int64) {
	st := &d.rules[s]
	oa := st.alert
	st.alert, st.clearSince = nil, 0
	if !math.IsNaN(value) {
		oa.a.Value = floatPtr(value)
	}
	e.close1(oa, now)
}

// changeSeverity handles a rule whose severity changed while open. A rise
// resolves the alert and opens a new one at the new severity, so it is
// announced again; a fall updates the alert in place without a notification.
func (e *Engine) changeSeverity(d *device, s slot, sev plant.Severity, value float64, now int64) {
	st := &d.rules[s]
	if severityRank(sev) < severityRank(st.alert.a.Severity) {
		st.alert.a.Severity = sev
		e.w.add(op{kind: opAlert, alert: st.alert.a, comp: st.alert.comp, notified: st.alert.notified})
		return
	}
	e.resolveSlot(d, s, value, now)
	e.fireSlot(d, s, value, now)
}

// open1 gives a new alert its id and ack code, indexes it, and persists the
// firing transition (announced unless muted).
func (e *Engine) open1(oa *openAlert, muted bool, now int64) {
	e.mu.Lock()
	e.open1Locked(oa, muted, now)
	e.mu.Unlock()
}

func (e *Engine) open1Locked(oa *openAlert, muted bool, now int64) {
	oa.a.ID = e.nextID
	e.nextID++
	oa.a.AckCode = e.newAckCodeLocked(oa.a.ID)
	e.open[oa.a.ID] = oa
	oa.notified = !muted
	if muted {
		e.unannounced[oa.a.ID] = oa
	}
	e.m.move(oa.a.Rule, "", plant.AlertFiring)
	e.persist(oa, "", now)
}

// close1 resolves an open alert; its resolution is announced only when its
// firing was.
func (e *Engine) close1(oa *openAlert, now int64) {
	e.mu.Lock()
	e.close1Locked(oa, now)
	e.mu.Unlock()
}

func (e *Engine) close1Locked(oa *openAlert, now int64) {
	from := oa.a.State
	oa.a.State = plant.AlertResolved
	oa.a.ResolvedAt = time.Unix(0, now).UTC()
	delete(e.open, oa.a.ID)
	delete(e.unannounced, oa.a.ID)
	delete(e.codes, oa.a.AckCode)
	e.m.move(oa.a.Rule, from, plant.AlertResolved)
	e.persist(oa, from, now)
}

// persist queues the alert's row and, when announced, its transition;
// audit, when not nil, is the change's audit entry, written with the row.
func (e *Engine) persist(oa *openAlert, from plant.AlertState, now int64, audit ...*auditNote) {
	o := op{kind: opAlert, alert: oa.a, comp: oa.comp, notified: oa.notified}
	if oa.notified {
		o.tr, o.from, o.to, o.at = true, from, oa.a.State, now
	}
	if len(audit) > 0 {
		o.audit = audit[0]
	}
	e.w.add(o)
}

// setPending records (since > 0) or clears a rule's pending-since time, so a
// restart resumes the `for` timer.
func (e *Engine) setPending(d *device, s slot, since int64) {
	e.w.add(op{kind: opPending, dev: d.id, rule: slotNames[s], since: since})
	if since > 0 {
		e.m.move(slotNames[s], "", plant.AlertPending)
	} else {
		e.m.move(slotNames[s], plant.AlertPending, "")
	}
}

// newAckCodeLocked picks a 4-5 digit code unused among open alerts.
func (e *Engine) newAckCodeLocked(id int64) string {
	for {
		c := strconv.Itoa(1000 + e.rng.IntN(99000))
		if _, used := e.codes[c]; !used {
			e.codes[c] = id
			return c
		}
	}
}

// mutedDevice reports whether a device alert of this rule is muted now: by
// a silence, by critical_purity (mutes low_purity), by offline (mutes the
// value rules), or by its facility's outage alert.
func (e *Engine) mutedDevice(d *device, rule string) bool {
	if s, ok := slotByName(rule); ok {
		if s == slotLowPurity && d.hasOpen(slotCriticalPurity) {
			return true
		}
		if s.threshold() && d.hasOpen(slotOffline) {
			return true
		}
	}
	if e.sil.matches(d.id, d.info.facility, d.info.region, rule, e.now()) {
		return true
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	f := e.fac[d.info.facility]
	// A facility about to roll up (out of power, waiting facFor) mutes
	// too; the sweep announces what it muted if the roll-up does not come.
	return f != nil && (f.alert != nil || f.since > 0)
}

// sweep announces alerts that were muted when they fired and are muted no
// longer (a silence ended, the inhibiting alert resolved).
func (e *Engine) sweep(now int64) {
	e.mu.Lock()
	list := make([]*openAlert, 0, len(e.unannounced))
	for _, oa := range e.unannounced {
		list = append(list, oa)
	}
	e.mu.Unlock()
	for _, oa := range list {
		if oa.a.Device == "" {
			e.sweepFacility(oa, now)
			continue
		}
		sh := e.shardOf(oa.a.Device)
		sh.mu.Lock()
		if d := sh.devs[oa.a.Device]; d != nil && oa.a.State == plant.AlertFiring && !e.mutedDevice(d, oa.a.Rule) {
			e.announce(oa, now)
		}
		sh.mu.Unlock()
	}
}

// sweepFacility announces a facility alert whose silence ended.
func (e *Engine) sweepFacility(oa *openAlert, now int64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.unannounced[oa.a.ID]; !ok || oa.a.State != plant.AlertFiring ||
		e.sil.matches("", oa.a.Facility, oa.a.Region, oa.a.Rule, now) {
		return
	}
	delete(e.unannounced, oa.a.ID)
	oa.notified = true
	e.w.add(op{kind: opAlert, alert: oa.a, notified: true, tr: true, at: now, to: plant.AlertFiring})
}

// announce hands a muted alert's firing to the Notifier now.
func (e *Engine) announce(oa *openAlert, now int64) {
	e.mu.Lock()
	if _, ok := e.unannounced[oa.a.ID]; !ok {
		e.mu.Unlock()
		return
	}
	delete(e.unannounced, oa.a.ID)
	oa.notified = true
	e.mu.Unlock()
	e.w.add(op{kind: opAlert, alert: oa.a, comp: oa.comp, notified: true, tr: true, at: now, to: plant.AlertFiring})
}

// summarize writes the alert's one-line summary.
func summarize(d *device, s slot, v float64) string {
	c := &d.rs.r[s]
	switch s {
	case slotOffline:
		return fmt.Sprintf("no telemetry from %s for %s", d.id, time.Duration(d.rs.intervals*float64(d.info.interval)))
	case slotCriticalPurity, slotLowPurity:
		return fmt.Sprintf("oxygen purity %.1f %% below %.1f %% for %s", v, c.level, time.Duration(c.forNs))
	case slotLowPressure:
		return fmt.Sprintf("outlet pressure %.2f bar below %.2f bar", v, c.level)
	case slotHighPressure:
		return fmt.Sprintf("outlet pressure %.2f bar above %.2f bar", v, c.level)
	case slotNoFlow:
		return fmt.Sprintf("running with no flow (%.2f L/min)", v)
	case slotOverload:
		return fmt.Sprintf("flow %.1f L/min above %.0f %% of rated %.1f L/min", v, c.level, d.info.rated)
	case slotDeviceFault:
		if d.alarm != "" {
			return fmt.Sprintf("device alarm %s (state %s)", d.alarm, d.state)
		}
		return fmt.Sprintf("device reports state %s", d.state)
	case slotPowerLoss:
		return fmt.Sprintf("on power %s, state %s", d.power, d.state)
	case slotClockSkew:
		if v < 0 {
			return fmt.Sprintf("device clock %s ahead: readings are judged by when they arrive; set its clock (NTP or RTC battery)", time.Duration(-v*1e9).Round(time.Second))
		}
		return fmt.Sprintf("device clock %s behind: readings are judged by when they arrive; set its clock (NTP or RTC battery)", time.Duration(v*1e9).Round(time.Second))
	case slotSensorStuck:
		return fmt.Sprintf("purity sensor reads exactly %.1f %% for %d readings in a row: it may be stuck", v, d.stuckN)
	case slotPurityDeclining:
		return fmt.Sprintf("purity falling %.2f points a day over %d days at steady flow", -v, c.days)
	}
	return slotNames[s]
}

func unixUTC(ns int64) time.Time { return time.Unix(0, ns).UTC() }
