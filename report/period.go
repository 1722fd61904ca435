package report

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Period is the half-open span [From, To) a report covers, with the zone
// that drew its boundaries.
type Period struct {
	From, To time.Time
	Loc      *time.Location
}

// ErrBadPeriod is returned for a period that cannot be read or is empty.
var ErrBadPeriod = errors.New("bad period")

// Month returns the calendar month in loc.
func Month(year int, month time.Month, loc *time.Location) Period {
	from := time.Date(year, month, 1, 0, 0, 0, 0, loc)
	return Period{From: from, To: from.AddDate(0, 1, 0), Loc: loc}
}

// PreviousMonth is the last complete calendar month before now in loc.
func PreviousMonth(now time.Time, loc *time.Location) Period {
	n := now.In(loc)
	return Month(n.Year(), n.Month()-1, loc)
}

// ParsePeriod reads from and to, each a local date (2026-11-01, midnight in
// loc) or an RFC 3339 time. Both empty gives the previous complete month.
func ParsePeriod(from, to string, now time.Time, loc *time.Location) (Period, error) {
	if from == "" && to == "" {
		return PreviousMonth(now, loc), nil
	}
	f, err := parseBound(from, loc)
	if err != nil {
		return Period{}, fmt.Errorf("%w: from: %w", ErrBadPeriod, err)
	}
	t, err := parseBound(to, loc)
	if err != nil {
		return Period{}, fmt.Errorf("%w: to: %w", ErrBadPeriod, err)
	}
	if !t.After(f) {
		return Period{}, fmt.Errorf("%w: to %s is not after from %s", ErrBadPeriod, to, from)
	}
	return Period{From: f, To: t, Loc: loc}, nil
}

func parseBound(s string, loc *time.Location) (time.Time, error) {
	if s == "" {
		return time.Time{}, errors.New("missing (give both from and to, or neither)")
	}
	if t, err := time.ParseInLocation(time.DateOnly, s, loc); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither a date such as 2026-11-01 nor an RFC 3339 time", s)
	}
	return t, nil
}

// ParseMonthPeriod reads a DHIS2 monthly period such as 202611.
func ParseMonthPeriod(s string, loc *time.Location) (Period, error) {
	t, err := time.ParseInLocation("200601", strings.TrimSpace(s), loc)
	if err != nil || len(strings.TrimSpace(s)) != 6 {
		return Period{}, fmt.Errorf("%w: %q is not a month such as 202611", ErrBadPeriod, s)
	}
	return Month(t.Year(), t.Month(), loc), nil
}

// DHIS2 is the DHIS2 monthly period (202611) of a period that starts on the
// first of a month.
func (p Period) DHIS2() string { return p.From.In(p.Loc).Format("200601") }

// IsMonth reports whether p is exactly one calendar month in its zone.
func (p Period) IsMonth() bool {
	f := p.From.In(p.Loc)
	m := Month(f.Year(), f.Month(), p.Loc)
	return m.From.Equal(p.From) && m.To.Equal(p.To)
}

// String names the period for people: "November 2026" or "2026-11-01 – 2026-11-15".
func (p Period) String() string {
	if p.IsMonth() {
		return p.From.In(p.Loc).Format("January 2006")
	}
	last := p.To.In(p.Loc).Add(-time.Nanosecond)
	return p.From.In(p.Loc).Format(time.DateOnly) + " – " + last.Format(time.DateOnly)
}
