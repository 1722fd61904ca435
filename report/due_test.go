package report

import (
	"testing"
	"time"

	"github.com/oxywatch/oxywatch/internal/i18n"
)

// TestDueText: the maintenance table says when an item falls due by
// whichever clock comes first, calendar or running hours, in each
// language.
func TestDueText(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	day := func(s string) time.Time {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	cases := []struct {
		name string
		m    MaintenanceDue
		want [3]string // en, fr, pt
	}{
		{"calendar before the hours", MaintenanceDue{IntervalH: 4380, RuntimeH: 1000, Known: true, DueAt: day("2027-03-01")},
			[3]string{"due by 2027-03-01 (calendar)", "avant le 01/03/2027 (calendrier)", "até 01/03/2027 (calendário)"}},
		{"hours before the calendar", MaintenanceDue{IntervalH: 4000, RuntimeH: 3880, Known: true, DueAt: day("2027-03-01")},
			[3]string{"in 120 h", "dans 120 h", "em 120 h"}},
		{"calendar date passed", MaintenanceDue{IntervalH: 4380, RuntimeH: 900, Known: true, DueAt: day("2026-11-02")},
			[3]string{"overdue since 2026-11-02 (calendar)", "en retard depuis le 02/11/2026 (calendrier)", "atrasado desde 02/11/2026 (calendário)"}},
		{"hours passed", MaintenanceDue{IntervalH: 4000, RuntimeH: 4310.4, Known: true},
			[3]string{"310 h overdue", "310 h de retard", "310 h de atraso"}},
		{"calendar only: no runtime_h", MaintenanceDue{IntervalH: 4380, DueAt: day("2027-01-10")},
			[3]string{"due by 2027-01-10 (calendar)", "avant le 10/01/2027 (calendrier)", "até 10/01/2027 (calendário)"}},
		{"neither clock", MaintenanceDue{IntervalH: 4380}, [3]string{"–", "–", "–"}},
	}
	for _, tc := range cases {
		for i, l := range []i18n.Lang{i18n.English, i18n.French, i18n.Portuguese} {
			if got := wordsIn(l).due(tc.m, now, time.UTC); got != tc.want[i] {
				t.Errorf("%s (%s): %q, want %q", tc.name, l, got, tc.want[i])
			}
		}
	}
}

// TestMaintenanceOrder: the table lists what fell due first first,
// whichever clock decided it.
func TestMaintenanceOrder(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	last := now.AddDate(-1, 0, 0)
	items := []MaintenanceDue{
		{Device: "a", Component: "soon", IntervalH: 4000, RuntimeH: 3880, Known: true, LastDone: last},
		{Device: "b", Component: "calendar", IntervalH: 4380, RuntimeH: 100, Known: true, LastDone: last, DueAt: now.AddDate(0, -1, 0)},
		{Device: "c", Component: "hours", IntervalH: 4000, RuntimeH: 4100, Known: true, LastDone: last},
	}
	listed, _ := splitDue(items, now)
	var got []string
	for _, m := range listed {
		got = append(got, m.Component)
	}
	if want := []string{"calendar", "hours", "soon"}; len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("order %v, want %v", got, want)
	}
}
