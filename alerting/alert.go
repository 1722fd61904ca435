package alerting

import (
	"fmt"
	"math"
	"time"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// openAlert is a firing or acknowledged alert. Its fields belong to its
// owner, its device's shard or (a facility alert) the facilities, and
// change under the owner's lock; the alert book indexes it.
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

// alerter opens and resolves device alerts for the device-level parts
// (the rules, the maintenance clocks), which call it under their device's
// shard lock: an alert is muted as the silences, the device's own
// inhibiting alerts and its facility's outage say, and indexed in the book.
// It holds no lock and no engine: only the parts below the shards.
type alerter struct {
	book *alertBook
	sil  *silences
	fac  *facilities
	now  func() int64
}

// fire opens an alert of rule on d (comp: its maintenance component).
func (al *alerter) fire(d *device, rule string, sev plant.Severity, value float64, summary, comp string, now int64) *openAlert {
	oa := &openAlert{a: plant.Alert{
		Rule: rule, Device: d.id, Facility: d.info.facility, Region: d.info.region,
		Country: d.info.country, Severity: sev, State: plant.AlertFiring,
		StartedAt: time.Unix(0, now).UTC(), Value: floatPtr(value), Summary: summary,
	}, comp: comp}
	al.book.add(oa, al.muted(d, rule), now)
	return oa
}

// resolve resolves an open device alert.
func (al *alerter) resolve(oa *openAlert, now int64) { al.book.resolve(oa, now) }

// muted reports whether a device alert of this rule is muted now: by
// a silence, by critical_purity (mutes low_purity), by offline (mutes the
// value rules), or by its facility's outage alert.
func (al *alerter) muted(d *device, rule string) bool {
	if s, ok := slotByName(rule); ok {
		if s == slotLowPurity && d.hasOpen(slotCriticalPurity) {
			return true
		}
		if s.threshold() && d.hasOpen(slotOffline) {
			return true
		}
	}
	if al.sil.matches(d.id, d.info.facility, d.info.region, rule, al.now()) {
		return true
	}
	return al.fac.mutes(d.info.facility)
}

// fireSlot opens a slot's alert.
func (e *Engine) fireSlot(d *device, s slot, value float64, now int64) {
	st := &d.rules[s]
	if st.pendingSince != 0 && d.rs.r[s].forNs > 0 {
		e.setPending(d, s, 0)
	}
	st.pendingSince, st.clearSince = 0, 0
	st.alert = e.al.fire(d, slotNames[s], e.severity(d, s), value, summarize(d, s, value), "", now)
}

// resolveSlot resolves a slot's open alert.
func (e *Engine) resolveSlot(d *device, s slot, value float64, now int64) {
	st := &d.rules[s]
	oa := st.alert
	st.alert, st.clearSince = nil, 0
	if !math.IsNaN(value) {
		oa.a.Value = floatPtr(value)
	}
	e.al.resolve(oa, now)
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

// sweep announces alerts that were muted when they fired and are muted no
// longer (a silence ended, the inhibiting alert resolved).
func (e *Engine) sweep(now int64) {
	for _, oa := range e.book.muted() {
		if oa.a.Device == "" {
			e.fac.announce(oa, now)
			continue
		}
		sh := e.shardOf(oa.a.Device)
		sh.mu.Lock()
		if d := sh.devs[oa.a.Device]; d != nil && oa.a.State == plant.AlertFiring && !e.al.muted(d, oa.a.Rule) {
			e.book.announce(oa, now)
		}
		sh.mu.Unlock()
	}
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
