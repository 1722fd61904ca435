package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/oxywatch/oxywatch/internal/i18n"
)

// TestFrenchFiguresOnPageNotInCSV: a French HTML report writes its figures
// as French typography wants them on a page, U+202F between the thousands
// and before "%"; the French CSV of the same report has no U+202F.
func TestFrenchFiguresOnPageNotInCSV(t *testing.T) {
	pct := 93.44
	from := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	up := &UptimeReport{Group: GroupFacility, From: from, To: from.AddDate(0, 1, 0), TimeZone: "UTC",
		Items: []UptimeRow{{Key: "jinja", Name: "Jinja", Devices: 6, PeriodH: 4380.5, OperationalH: 4093.2, UptimePct: &pct}}}
	var html bytes.Buffer
	if err := up.WriteHTMLIn(&html, i18n.French); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"93,4\u202f%", "4\u202f093,2"} {
		if !strings.Contains(html.String(), want) {
			t.Errorf("the French report lacks %q", want)
		}
	}
	for _, bad := range []string{"93,4 %", "4 093,2"} {
		if strings.Contains(html.String(), bad) {
			t.Errorf("the French report writes %q with a plain space", bad)
		}
	}
	var csv bytes.Buffer
	if err := WriteUptimeCSVWith(&csv, up, CSVHeaders{Human: true, Lang: i18n.French}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(csv.String(), "93,4") || strings.ContainsRune(csv.String(), '\u202f') {
		t.Errorf("the French CSV: %q, want 93,4 and no U+202F", csv.String())
	}
}
