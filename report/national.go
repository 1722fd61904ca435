package report

import (
	"fmt"
	"io"
	"slices"
	"strconv"

	"github.com/oxywatch/oxywatch/internal/i18n"
)

// MonthlyColumns is the CSV header of the monthly report's figures by
// region (WriteCSV): uptime, supply against demand, the functional census
// by source and repairs from work orders, one row per region and a total
// row for the country.
var MonthlyColumns = []string{
	"group", "key", "country", "devices", "uptime_pct", "data_coverage_pct", "down_h", "no_data_h",
	"rated_lpm", "available_lpm", "demand_lpm", "capacity_coverage_pct", "produced_m3", "production_coverage_pct",
	"stock_cylinders", "autonomy_days",
	"functional_measured", "functional_reported", "non_functional_measured", "non_functional_reported",
	"under_repair_measured", "under_repair_reported", "functional_unknown",
	"functional_pct", "functional_pct_measured", "functional_pct_reported",
	"work_orders_closed", "work_orders_open", "failures", "failures_without_work_order", "work_order_mttr_h", "work_order_causes",
}

// WriteCSV writes the monthly report's figures by region and the national
// total as CSV (MonthlyColumns). Cells of a part the page lacks (supply
// without production figures, repairs without work orders) are empty.
func (p *Page) WriteCSV(w io.Writer, h CSVHeaders) error {
	pr := i18n.New(i18n.English)
	if h.Human {
		pr = i18n.New(h.Lang.Or(i18n.English))
	}
	cw := h.writer(w)
	_ = cw.Write(h.names(MonthlyColumns))
	for _, key := range p.regionKeys() {
		_ = cw.Write(p.monthlyRecord(key, pr, h))
	}
	_ = cw.Write(p.monthlyRecord("total", pr, h))
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write monthly csv: %w", err)
	}
	return nil
}

// regionKeys are the regions of every part of the page, in report order.
func (p *Page) regionKeys() []string {
	type place struct{ country, region string }
	seen := map[string]place{}
	add := func(country, key string) {
		if _, ok := seen[key]; !ok {
			seen[key] = place{country, key}
		}
	}
	if p.Regions != nil {
		for _, r := range p.Regions.Items {
			add(r.Country, r.Key)
		}
	}
	if p.Supply != nil {
		for _, r := range p.Supply.Items {
			add(r.Country, r.Key)
		}
	}
	if p.Census != nil {
		for _, r := range p.Census.Items {
			add(r.Country, r.Key)
		}
	}
	if p.Repairs != nil {
		for _, r := range p.Repairs.Items {
			add(r.Country, r.Key)
		}
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int { return rowOrder(seen[a].country, a, a, seen[b].country, b, b) })
	return keys
}

// monthlyRecord is one region's row, or the total's for key "total".
func (p *Page) monthlyRecord(key string, pr *i18n.Printer, h CSVHeaders) []string {
	t, num, optNum := CSVText, h.num, h.optNum
	up, sup, fn, rep := p.monthlyRows(key)
	group, country := "region", ""
	if key == "total" {
		group = "total"
	}
	rec := []string{t(group), t(key)}
	var cells []string
	if up != nil {
		country = up.Country
		cells = append(cells, strconv.Itoa(up.Devices), optNum(up.UptimePct), optNum(up.DataCoveragePct), num(up.DownH), num(up.NoDataH))
	} else {
		cells = append(cells, "", "", "", "", "")
	}
	if sup != nil {
		cells = append(cells, num(sup.RatedLPM), num(sup.AvailableLPM), optNum(sup.DemandLPM), optNum(sup.CapacityCoveragePct),
			num(sup.ProducedM3), optNum(sup.ProductionCoveragePct), optNum(sup.StockCylinders), optNum(sup.AutonomyDays))
	} else {
		cells = append(cells, "", "", "", "", "", "", "", "")
	}
	if fn != nil {
		c := fn.Functionality
		cells = append(cells, strconv.Itoa(c.Measured.Functional), strconv.Itoa(c.Reported.Functional),
			strconv.Itoa(c.Measured.NonFunctional), strconv.Itoa(c.Reported.NonFunctional),
			strconv.Itoa(c.Measured.UnderRepair), strconv.Itoa(c.Reported.UnderRepair), strconv.Itoa(c.Unknown),
			optNum(c.FunctionalPct), optNum(FunctionalPctOf(c.Measured)), optNum(FunctionalPctOf(c.Reported)))
	} else {
		cells = append(cells, "", "", "", "", "", "", "", "", "", "")
	}
	if rep != nil {
		cells = append(cells, strconv.Itoa(rep.WorkOrdersClosed), strconv.Itoa(rep.WorkOrdersOpen), strconv.Itoa(rep.Failures),
			strconv.Itoa(rep.FailuresWithoutWorkOrder), optNum(rep.MTTRH), t(woCausesCell(rep.TopCauses, pr)))
	} else {
		cells = append(cells, "", "", "", "", "", "")
	}
	return append(append(rec, t(country)), cells...)
}

// monthlyRows finds region key's row (or the total) in each part.
func (p *Page) monthlyRows(key string) (*UptimeRow, *SupplyRow, *FunctionalityRow, *RepairRow) {
	var up *UptimeRow
	var sup *SupplyRow
	var fn *FunctionalityRow
	var rep *RepairRow
	if p.Regions != nil {
		up = rowOf(p.Regions.Items, &p.Regions.Total, key, func(r UptimeRow) string { return r.Key })
	}
	if p.Supply != nil {
		sup = rowOf(p.Supply.Items, &p.Supply.Total, key, func(r SupplyRow) string { return r.Key })
	}
	if p.Census != nil {
		fn = rowOf(p.Census.Items, &p.Census.Total, key, func(r FunctionalityRow) string { return r.Key })
	}
	if p.Repairs != nil {
		rep = rowOf(p.Repairs.Items, &p.Repairs.Total, key, func(r RepairRow) string { return r.Key })
	}
	return up, sup, fn, rep
}

// rowOf is the row of key among items, total for "total", nil when absent.
func rowOf[R any](items []R, total *R, key string, keyOf func(R) string) *R {
	if key == "total" {
		return total
	}
	for i := range items {
		if keyOf(items[i]) == key {
			return &items[i]
		}
	}
	return nil
}

// FunctionalPctOf is the share of functional devices among c, the devices
// of one source (measured or reported) with a status; nil without any.
func FunctionalPctOf(c FunctionalCounts) *float64 {
	return pct(float64(c.Functional), float64(c.total()))
}
