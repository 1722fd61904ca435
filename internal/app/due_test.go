package app

import (
	"testing"
	"time"

	"github.com/oxywatch/oxywatch/alerting"
)

// TestReportDueItems: the monthly report lists what is due, and what has a
// service on record and is coming due (so it can say "in 120 h" or "due by
// DATE (calendar)" before it happens); a component never serviced only
// once due, as the report sums those.
func TestReportDueItems(t *testing.T) {
	now := time.Now()
	last := now.AddDate(0, -5, -25) // a 6-month calendar interval: 5 days left
	items := []alerting.MaintenanceItem{
		{Component: "due", Due: true, IntervalH: 4000, RuntimeH: 4100, Known: true, LastDone: last},
		{Component: "calendar_soon", IntervalH: 4380, RuntimeH: 100, Known: true, LastDone: last, DueAt: last.AddDate(0, 6, 0)},
		{Component: "hours_soon", IntervalH: 4000, RuntimeH: 3880, Known: true, LastDone: now.AddDate(0, -1, 0)},
		{Component: "far", IntervalH: 4000, RuntimeH: 1000, Known: true, LastDone: now.AddDate(0, -1, 0)},
		{Component: "never_serviced_soon", IntervalH: 4000, RuntimeH: 3900, Known: true},
		{Component: "never_serviced_due", Due: true, IntervalH: 4000, RuntimeH: 4100, Known: true},
	}
	got, err := dueItems(items, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, it := range got {
		names = append(names, it.Component)
	}
	want := []string{"due", "calendar_soon", "hours_soon", "never_serviced_due"}
	if len(names) != len(want) {
		t.Fatalf("listed %v, want %v", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Fatalf("listed %v, want %v", names, want)
		}
	}
}
