package report

import (
	"cmp"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
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
}

// WriteUptimeCSV writes one row per group after a header row. Null
// percentages are empty cells; top_causes reads "cause in words=hours; …".
func WriteUptimeCSV(w io.Writer, r *UptimeReport) error {
	cw := csv.NewWriter(w)
	_ = cw.Write(UptimeColumns)
	for _, row := range r.Items {
		_ = cw.Write(uptimeRecord(r.Group, row))
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write uptime csv: %w", err)
	}
	return nil
}

func uptimeRecord(g Group, r UptimeRow) []string {
	t := CSVText
	return []string{
		t(string(g)), t(r.Key), t(r.Name), t(r.Facility), t(r.Region), t(r.Country), strconv.Itoa(r.Devices),
		num(r.PeriodH), num(r.OperationalH), num(r.DegradedH), num(r.DownH), num(r.MaintenanceH), num(r.NoDataH),
		optNum(r.UptimePct), optNum(r.DataCoveragePct), strconv.Itoa(r.Outages), num(r.OutageH), num(r.LongestOutageH),
		strconv.Itoa(r.Repairs), optNum(r.MTTRH), t(causesCell(r.TopCauses)), strconv.Itoa(r.Retired), optNum(r.UptimeMinPct),
	}
}

// WriteSupplyCSV writes one row per group after a header row.
func WriteSupplyCSV(w io.Writer, r *SupplyReport) error {
	cw := csv.NewWriter(w)
	_ = cw.Write(SupplyColumns)
	t := CSVText
	for _, row := range r.Items {
		_ = cw.Write([]string{
			t(string(r.Group)), t(row.Key), t(row.Name), t(row.Region), t(row.Country), strconv.Itoa(row.Devices),
			num(row.RatedLPM), num(row.AvailableLPM), num(row.ProducedM3), num(row.CylindersFilled),
			num(row.CylindersPerDay), optNum(row.DemandLPM), optNum(row.DemandM3),
			optNum(row.CapacityCoveragePct), optNum(row.ProductionCoveragePct), strconv.Itoa(row.IdleDeviceDays),
			strconv.Itoa(row.StorageDevices), num(row.FromStorageM3),
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

func optNum(v *float64) string {
	if v == nil {
		return ""
	}
	return num(*v)
}

func causesCell(cs []CauseHours) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = cmp.Or(c.Label, c.Cause) + "=" + num(c.Hours)
	}
	return strings.Join(parts, "; ")
}

// WriteJSON writes the report as indented JSON (the API's answer).
func (r *UptimeReport) WriteJSON(w io.Writer) error { return WriteJSON(w, r) }

// WriteCSV writes the report's rows as CSV (see WriteUptimeCSV).
func (r *UptimeReport) WriteCSV(w io.Writer) error { return WriteUptimeCSV(w, r) }

// WriteJSON writes the report as indented JSON (the API's answer).
func (r *SupplyReport) WriteJSON(w io.Writer) error { return WriteJSON(w, r) }

// WriteCSV writes the report's rows as CSV (see WriteSupplyCSV).
func (r *SupplyReport) WriteCSV(w io.Writer) error { return WriteSupplyCSV(w, r) }
