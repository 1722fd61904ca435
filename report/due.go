package report

import (
	"math"
	"time"
)

// nextDue is when a maintenance item falls (or fell) due, and whether the
// calendar decides it: the earlier of its calendar date (last service plus
// the calendar interval) and the instant its running hours run out if the
// device runs from now without a stop (running hours never pass faster
// than the clock, so that is the earliest they can). hoursLeft is the
// running hours left (negative: past the interval). ok is false when the
// item has neither clock.
func nextDue(m MaintenanceDue, now time.Time) (at time.Time, calendar bool, hoursLeft float64, ok bool) {
	byHours := m.IntervalH > 0 && m.Known
	if byHours {
		hoursLeft = m.IntervalH - m.RuntimeH
		at = now.Add(time.Duration(hoursLeft * float64(time.Hour)))
	}
	if !m.DueAt.IsZero() && (!byHours || m.DueAt.Before(at)) {
		return m.DueAt, true, hoursLeft, true
	}
	return at, false, hoursLeft, byHours
}

// due says when an item falls due, whichever clock comes first: "due by
// 2027-03-01 (calendar)" or "overdue since 2026-11-02 (calendar)", "in 120
// h" or "310 h overdue"; a dash when it has neither clock.
func (w *words) due(m MaintenanceDue, now time.Time, loc *time.Location) string {
	at, calendar, left, ok := nextDue(m, now)
	switch {
	case !ok:
		return "–"
	case calendar && at.After(now):
		return w.T("report.due.calendar", w.date(at, loc))
	case calendar:
		return w.T("report.due.calendar_past", w.date(at, loc))
	case left > 0:
		return w.T("report.due.hours_left", w.num(math.Ceil(left)))
	}
	return w.T("report.due.hours_past", w.num(math.Floor(-left)))
}

// compareDue orders items by when they fall due, earliest first; items
// with neither clock go last.
func compareDue(a, b MaintenanceDue, now time.Time) int {
	at, _, _, aok := nextDue(a, now)
	bt, _, _, bok := nextDue(b, now)
	switch {
	case aok != bok && aok:
		return -1
	case aok != bok:
		return 1
	}
	return at.Compare(bt)
}
