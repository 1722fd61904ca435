package report

import (
	"cmp"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/oxywatch/oxywatch/internal/i18n"
)

// UptimeColumns is the CSV header of an uptime report, in its fixed order.
var UptimeColumns = []string{
	"group", "key", "name", "facility", "region", "country", "devices",
	"period_h", "operational_h", "degraded_h", "down_h", "maintenance_h", "no_data_h",
	"uptime_pct", "data_coverage_pct", "outages", "outage_h", "longest_outage_h",
	"repairs", "mttr_h", "top_causes", "retired", "uptime_min_pct",
}

// SupplyColumns is the CSV header of a supply report, in its fixed order.
var SupplyColumns = []string{
	"group", "key", "name", "region", "country", "devices", "rated_lpm", "available_lpm",
	"produced_m3", "cylinders_filled", "cylinders_per_day", "demand_lpm", "demand_m3",
	"capacity_coverage_pct", "production_coverage_pct", "idle_device_days", "storage_devices", "from_storage_m3",
	"demand_basis", "produced_cylinders_eq_per_day", "from_storage_cylinders_eq_per_day", "demand_cylinders_eq_per_day",
	"stock_l", "stock_cylinders", "stock_at", "autonomy_days", "autonomy_basis",
	"functional_measured", "functional_reported", "non_functional_measured", "non_functional_reported",
	"under_repair_measured", "under_repair_reported", "functional_unknown", "functional_pct",
}

// CSVHeaders says how a report CSV names its columns: by their stable
// machine names (the default, what scripts and imports read), or in words
// in a language for a person opening it in a spreadsheet. Numbers stay
// machine numbers (a dot before decimals) either way.
type CSVHeaders struct {
	Human bool
	Lang  i18n.Lang // of human headings and of top_causes' words; "": English
}

// csvHeaderKeys are the catalogue keys of human CSV headings.
var csvHeaderKeys = map[string]string{
	"group":                   "report.csv.group",
	"key":                     "report.csv.key",
	"name":                    "report.csv.name",
	"facility":                "report.csv.facility",
	"region":                  "report.csv.region",
	"country":                 "report.csv.country",
	"devices":                 "report.csv.devices",
	"period_h":                "report.csv.period_h",
	"operational_h":           "report.csv.operational_h",
	"degraded_h":              "report.csv.degraded_h",
	"down_h":                  "report.csv.down_h",
	"maintenance_h":           "report.csv.maintenance_h",
	"no_data_h":               "report.csv.no_data_h",
	"uptime_pct":              "report.csv.uptime_pct",
	"data_coverage_pct":       "report.csv.data_coverage_pct",
	"outages":                 "report.csv.outages",
	"outage_h":                "report.csv.outage_h",
	"longest_outage_h":        "report.csv.longest_outage_h",
	"repairs":                 "report.csv.repairs",
	"mttr_h":                  "report.csv.mttr_h",
	"top_causes":              "report.csv.top_causes",
	"retired":                 "report.csv.retired",
	"uptime_min_pct":          "report.csv.uptime_min_pct",
	"rated_lpm":               "report.csv.rated_lpm",
	"available_lpm":           "report.csv.available_lpm",
	"produced_m3":             "report.csv.produced_m3",
	"cylinders_filled":        "report.csv.cylinders_filled",
	"cylinders_per_day":       "report.csv.cylinders_per_day",
	"demand_lpm":              "report.csv.demand_lpm",
	"demand_m3":               "report.csv.demand_m3",
	"capacity_coverage_pct":   "report.csv.capacity_coverage_pct",
	"production_coverage_pct": "report.csv.production_coverage_pct",
	"idle_device_days":        "report.csv.idle_device_days",
	"storage_devices":         "report.csv.storage_devices",
	"from_storage_m3":         "report.csv.from_storage_m3",

	"demand_basis":                      "report.csv.demand_basis",
	"produced_cylinders_eq_per_day":     "report.csv.produced_cylinders_eq_per_day",
	"from_storage_cylinders_eq_per_day": "report.csv.from_storage_cylinders_eq_per_day",
	"demand_cylinders_eq_per_day":       "report.csv.demand_cylinders_eq_per_day",
	"stock_l":                           "report.csv.stock_l",
	"stock_cylinders":                   "report.csv.stock_cylinders",
	"stock_at":                          "report.csv.stock_at",
	"autonomy_days":                     "report.csv.autonomy_days",
	"autonomy_basis":                    "report.csv.autonomy_basis",
	"functional_measured":               "report.csv.functional_measured",
	"functional_reported":               "report.csv.functional_reported",
	"non_functional_measured":           "report.csv.non_functional_measured",
	"non_functional_reported":           "report.csv.non_functional_reported",
	"under_repair_measured":             "report.csv.under_repair_measured",
	"under_repair_reported":             "report.csv.under_repair_reported",
	"functional_unknown":                "report.csv.functional_unknown",
	"functional_pct":                    "report.csv.functional_pct",
}

// decimalComma reports whether h writes for a reader whose numbers have a
// decimal comma (human headers in French or Portuguese: 93,4). Such a
// reader's spreadsheet splits CSV on ';' (a ',' would cut 93,4 in two), so
// those files use ';' between cells. Machine CSV is always 93.4 and ','.
func (h CSVHeaders) decimalComma() bool {
	return h.Human && strings.Contains(i18n.New(h.Lang.Or(i18n.English)).Num(1.5, 1), ",")
}

// writer is a CSV writer with the cell separator h's reader expects.
func (h CSVHeaders) writer(w io.Writer) *csv.Writer {
	cw := csv.NewWriter(w)
	if h.decimalComma() {
		cw.Comma = ';'
	}
	return cw
}

// num writes v as h's reader does: 93.4, or 93,4 (never grouped, so a
// spreadsheet reads it as a number).
func (h CSVHeaders) num(v float64) string {
	s := num(v)
	if h.decimalComma() {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

func (h CSVHeaders) optNum(v *float64) string {
	if v == nil {
		return ""
	}
	return h.num(*v)
}

// names returns the header row of columns.
func (h CSVHeaders) names(columns []string) []string {
	if !h.Human {
		return columns
	}
	p := i18n.New(h.Lang.Or(i18n.English))
	out := make([]string, len(columns))
	for i, c := range columns {
		out[i] = c
		if k, ok := csvHeaderKeys[c]; ok {
			out[i] = p.T(k)
		}
	}
	return out
}

// WriteUptimeCSV writes one row per group after a header row. Null
// percentages are empty cells; top_causes reads "cause in words=hours; …".
func WriteUptimeCSV(w io.Writer, r *UptimeReport) error {
	return WriteUptimeCSVWith(w, r, CSVHeaders{})
}

// WriteUptimeCSVWith is WriteUptimeCSV with the headers h asks for; with
// human headers, top_causes is in h's language too.
func WriteUptimeCSVWith(w io.Writer, r *UptimeReport, h CSVHeaders) error {
	cw := h.writer(w)
	_ = cw.Write(h.names(UptimeColumns))
	p := i18n.New(i18n.English)
	if h.Human {
		p = i18n.New(h.Lang.Or(i18n.English))
	}
	for _, row := range r.Items {
		if h.Human {
			row.TopCauses = slices.Clone(row.TopCauses)
			for i, c := range row.TopCauses {
				row.TopCauses[i].Label = causeIn(p, c.Cause)
			}
		}
		_ = cw.Write(uptimeRecord(r.Group, row, h, p))
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write uptime csv: %w", err)
	}
	return nil
}

func uptimeRecord(g Group, r UptimeRow, h CSVHeaders, p *i18n.Printer) []string {
	t, num, optNum := CSVText, h.num, h.optNum
	return []string{
		t(string(g)), t(r.Key), t(r.Name), t(r.Facility), t(r.Region), t(r.Country), strconv.Itoa(r.Devices),
		num(r.PeriodH), num(r.OperationalH), num(r.DegradedH), num(r.DownH), num(r.MaintenanceH), num(r.NoDataH),
		optNum(r.UptimePct), optNum(r.DataCoveragePct), strconv.Itoa(r.Outages), num(r.OutageH), num(r.LongestOutageH),
		strconv.Itoa(r.Repairs), optNum(r.MTTRH), t(causesCell(r.TopCauses, num, p)), strconv.Itoa(r.Retired), optNum(r.UptimeMinPct),
	}
}

// WriteSupplyCSV writes one row per group after a header row.
func WriteSupplyCSV(w io.Writer, r *SupplyReport) error {
	return WriteSupplyCSVWith(w, r, CSVHeaders{})
}

// WriteSupplyCSVWith is WriteSupplyCSV with the headers h asks for.
func WriteSupplyCSVWith(w io.Writer, r *SupplyReport, h CSVHeaders) error {
	cw := h.writer(w)
	_ = cw.Write(h.names(SupplyColumns))
	t, num, optNum := CSVText, h.num, h.optNum
	basis := func(code string) string { return code }
	if h.Human {
		p := i18n.New(h.Lang.Or(i18n.English))
		basis = func(code string) string { return basisIn(p, code) }
	}
	for _, row := range r.Items {
		fn := row.Functionality
		stockAt := ""
		if !row.StockAt.IsZero() {
			stockAt = row.StockAt.Format(time.RFC3339)
		}
		_ = cw.Write([]string{
			t(string(r.Group)), t(row.Key), t(row.Name), t(row.Region), t(row.Country), strconv.Itoa(row.Devices),
			num(row.RatedLPM), num(row.AvailableLPM), num(row.ProducedM3), num(row.CylindersFilled),
			num(row.CylindersPerDay), optNum(row.DemandLPM), optNum(row.DemandM3),
			optNum(row.CapacityCoveragePct), optNum(row.ProductionCoveragePct), strconv.Itoa(row.IdleDeviceDays),
			strconv.Itoa(row.StorageDevices), num(row.FromStorageM3),
			t(basis(row.DemandBasis)), num(row.ProducedCylEqPerDay), num(row.FromStorageCylEqPerDay), optNum(row.DemandCylEqPerDay),
			optNum(row.StockL), optNum(row.StockCylinders), stockAt, optNum(row.AutonomyDays), t(basis(row.AutonomyBasis)),
			strconv.Itoa(fn.Measured.Functional), strconv.Itoa(fn.Reported.Functional),
			strconv.Itoa(fn.Measured.NonFunctional), strconv.Itoa(fn.Reported.NonFunctional),
			strconv.Itoa(fn.Measured.UnderRepair), strconv.Itoa(fn.Reported.UnderRepair),
			strconv.Itoa(fn.Unknown), optNum(fn.FunctionalPct),
		})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write supply csv: %w", err)
	}
	return nil
}

// WriteJSON writes v as indented JSON.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write json: %w", err)
	}
	return nil
}

// CSVText makes a text cell safe to open in a spreadsheet: a cell starting
// with = + - @, a tab or a carriage return would be read as a formula (a
// facility named =HYPERLINK(…) runs when the export is opened), so it gets
// a leading '. Only text cells go through it; numbers, negative ones
// included, are written as they are and stay numbers.
func CSVText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// causesCell reads "cause in words=hours; …", the list as p writes it.
func causesCell(cs []CauseHours, num func(float64) string, p *i18n.Printer) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = cmp.Or(c.Label, c.Cause) + "=" + num(c.Hours)
	}
	return listIn(p, parts)
}

// WriteJSON writes the report as indented JSON (the API's answer).
func (r *UptimeReport) WriteJSON(w io.Writer) error { return WriteJSON(w, r) }

// WriteCSV writes the report's rows as CSV (see WriteUptimeCSV).
func (r *UptimeReport) WriteCSV(w io.Writer) error { return WriteUptimeCSV(w, r) }

// WriteCSVWith writes the report's rows as CSV with the headers h asks for.
func (r *UptimeReport) WriteCSVWith(w io.Writer, h CSVHeaders) error {
	return WriteUptimeCSVWith(w, r, h)
}

// WriteJSON writes the report as indented JSON (the API's answer).
func (r *SupplyReport) WriteJSON(w io.Writer) error { return WriteJSON(w, r) }

// WriteCSV writes the report's rows as CSV (see WriteSupplyCSV).
func (r *SupplyReport) WriteCSV(w io.Writer) error { return WriteSupplyCSV(w, r) }

// WriteCSVWith writes the report's rows as CSV with the headers h asks for.
func (r *SupplyReport) WriteCSVWith(w io.Writer, h CSVHeaders) error {
	return WriteSupplyCSVWith(w, r, h)
}
