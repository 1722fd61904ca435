package report

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// FieldRecordSource is optionally implemented by a Registry that keeps what
// engineers record by hand (*store.Registry does): each device's latest
// functional status and stock count at or before a time. Without it, a
// device without telemetry has an unknown functional status and storage has
// no stock figure.
type FieldRecordSource interface {
	LatestFunctional(ctx context.Context, at time.Time) (map[plant.DeviceID]plant.FunctionalRecord, error)
	LatestStock(ctx context.Context, at time.Time) (map[plant.DeviceID]plant.StockRecord, error)
}

// loadFieldRecords reads the records in force at the fleet's end.
func (r *Reporter) loadFieldRecords(ctx context.Context, f *Fleet) error {
	src, ok := r.registry.(FieldRecordSource)
	if !ok {
		return nil
	}
	var err error
	if f.functional, err = src.LatestFunctional(ctx, f.end()); err != nil {
		return fmt.Errorf("read functional status records: %w", err)
	}
	if f.stock, err = src.LatestStock(ctx, f.end()); err != nil {
		return fmt.Errorf("read stock records: %w", err)
	}
	return nil
}

// Functionality counts devices by functional status, apart by source, so a
// census covers equipment without telemetry (most concentrators) and a
// reader can tell a measured status from a reported one.
//
// A device is measured when it sent telemetry in the period and no
// functional status was recorded for it after its last telemetry: its
// status is that of its last hour with data (operational or degraded:
// functional; down: non-functional; maintenance: under repair). Otherwise it
// is reported, by the last status an engineer recorded (POST
// /devices/{id}/functional) up to the end of the period, or unknown when
// none was.
type Functionality struct {
	Devices  int              `json:"devices"`
	Measured FunctionalCounts `json:"measured"`
	Reported FunctionalCounts `json:"reported"`
	Unknown  int              `json:"unknown"`
	// FunctionalPct is functional ÷ devices with a status (measured or
	// reported); null when none has one.
	FunctionalPct *float64 `json:"functional_pct"`
	// OldestReport is the date of the oldest reported status counted.
	OldestReport time.Time `json:"oldest_report,omitzero"`
}

// FunctionalCounts counts devices per functional status.
type FunctionalCounts struct {
	Functional    int `json:"functional"`
	NonFunctional int `json:"non_functional"`
	UnderRepair   int `json:"under_repair"`
}

func (c *FunctionalCounts) add(s plant.Functional) {
	switch s {
	case plant.FunctionalWorking:
		c.Functional++
	case plant.FunctionalBroken:
		c.NonFunctional++
	case plant.FunctionalUnderRepair:
		c.UnderRepair++
	}
}

func (c FunctionalCounts) total() int { return c.Functional + c.NonFunctional + c.UnderRepair }

// FunctionalityReport is the functionality census per group.
type FunctionalityReport struct {
	Group Group              `json:"group"`
	Items []FunctionalityRow `json:"items"`
	Total FunctionalityRow   `json:"total"`
}

// FunctionalityRow is one group's census.
type FunctionalityRow struct {
	Key     string `json:"key"`
	Name    string `json:"name,omitempty"`
	Region  string `json:"region,omitempty"`
	Country string `json:"country,omitempty"`
	Functionality
}

// measuredFunctional maps a status with data to a functional status.
var measuredFunctional = [nStatus]plant.Functional{
	iOperational: plant.FunctionalWorking, iDegraded: plant.FunctionalWorking,
	iDown: plant.FunctionalBroken, iMaintenance: plant.FunctionalUnderRepair,
}

// functionalOf is d's functional status and whether it was measured.
func (f *Fleet) functionalOf(d *deviceStats) (s plant.Functional, measured bool, rec plant.FunctionalRecord, ok bool) {
	rec, ok = f.functional[d.dev.ID]
	if d.hasData && (!ok || !rec.At.After(d.lastData)) {
		return measuredFunctional[d.lastStatus], true, rec, false
	}
	if ok {
		return rec.Status, false, rec, true
	}
	return "", false, rec, false
}

func (a *Functionality) addDevice(s plant.Functional, measured bool, rec plant.FunctionalRecord, reported bool) {
	a.Devices++
	switch {
	case measured:
		a.Measured.add(s)
	case reported:
		a.Reported.add(s)
		if a.OldestReport.IsZero() || rec.At.Before(a.OldestReport) {
			a.OldestReport = rec.At
		}
	default:
		a.Unknown++
	}
}

func (a Functionality) finish() Functionality {
	known := a.Measured.total() + a.Reported.total()
	a.FunctionalPct = pct(float64(a.Measured.Functional+a.Reported.Functional), float64(known))
	if !a.OldestReport.IsZero() {
		a.OldestReport = a.OldestReport.UTC()
	}
	return a
}

// Functionality groups the fleet's functional census by g.
func (f *Fleet) Functionality(g Group) *FunctionalityReport {
	facs := f.facilityIndex()
	acc := map[string]*FunctionalityRow{}
	var order []string
	total := &FunctionalityRow{Key: "total"}
	for _, d := range f.devices {
		key := groupKey(g, d.dev)
		a, ok := acc[key]
		if !ok {
			u := labelRow(g, key, d.dev, facs)
			a = &FunctionalityRow{Key: key, Name: u.Name, Region: u.Region, Country: u.Country}
			acc[key] = a
			order = append(order, key)
		}
		s, measured, rec, reported := f.functionalOf(d)
		a.addDevice(s, measured, rec, reported)
		total.addDevice(s, measured, rec, reported)
	}
	rep := &FunctionalityReport{Group: g, Items: make([]FunctionalityRow, 0, len(order))}
	for _, k := range order {
		row := *acc[k]
		row.Functionality = row.Functionality.finish()
		rep.Items = append(rep.Items, row)
	}
	sortByPlace(rep.Items, func(r FunctionalityRow) (string, string, string) { return r.Country, r.Region, r.Key })
	rep.Total = *total
	rep.Total.Functionality = total.Functionality.finish()
	return rep
}

// Storage is a group's LOX tanks and cylinder banks: their stock as last
// counted, and how many days it lasts.
//
// No reading field carries a tank's contents (CONTRACT §3 has
// tank_pressure_bar, the vessel's pressure, not its level), so stock comes
// from the counts engineers record (POST /devices/{id}/stock), the latest at
// or before the period's end for each storage device. Days of autonomy =
// stock ÷ daily consumption, site by site (a facility): consumption is the
// average outflow its storage devices' flow readings show over the period
// (basis storage_outflow), or, when they show none, the facility's demand
// (basis demand); a group's autonomy sums the stock and the consumption of
// its sites whose consumption is known (basis mixed when they differ).
type Storage struct {
	StockL         *float64  `json:"stock_l"`         // litres of gas; null when no storage device has a count
	StockCylinders *float64  `json:"stock_cylinders"` // in large cylinders of 6,800 L
	StockAt        time.Time `json:"stock_at,omitzero"`
	Counted        int       `json:"storage_counted"` // storage devices with a count
	AutonomyDays   *float64  `json:"autonomy_days"`
	AutonomyBasis  string    `json:"autonomy_basis,omitempty"` // storage_outflow or demand
}

// Autonomy bases; mixed when sites of a group differ.
const (
	AutonomyFromOutflow = "storage_outflow"
	AutonomyFromDemand  = "demand"
	AutonomyMixed       = "mixed"
)

// storageAcc sums the stock of storage devices and the daily consumption
// it is set against, site by site (a facility, or a device with none): a
// site's consumption is its storage outflow when its flow readings show
// one, else its demand; a site with neither is left out of autonomy.
type storageAcc struct {
	litres  float64 // all counted stock
	oldest  time.Time
	counted int
	// stock and consumption (L/day) of sites whose consumption is known
	covered, perDay float64
	bases           map[string]bool
}

func (s *storageAcc) add(rec plant.StockRecord) {
	s.litres += rec.Litres
	s.counted++
	if s.oldest.IsZero() || rec.At.Before(s.oldest) {
		s.oldest = rec.At
	}
}

func (s *storageAcc) merge(o storageAcc) {
	s.litres += o.litres
	s.counted += o.counted
	if !o.oldest.IsZero() && (s.oldest.IsZero() || o.oldest.Before(s.oldest)) {
		s.oldest = o.oldest
	}
	s.covered += o.covered
	s.perDay += o.perDay
	for b := range o.bases {
		s.setBasis(b)
	}
}

func (s *storageAcc) setBasis(b string) {
	if s.bases == nil {
		s.bases = map[string]bool{}
	}
	s.bases[b] = true
}

func (s storageAcc) finish() Storage {
	var out Storage
	if s.counted == 0 {
		return out
	}
	l := round(s.litres, 1)
	cyl := round(s.litres/plant.LitresPerCylinder, 2)
	out.StockL, out.StockCylinders, out.StockAt, out.Counted = &l, &cyl, s.oldest.UTC(), s.counted
	if s.perDay > 0 {
		d := round(s.covered/s.perDay, 1)
		out.AutonomyDays = &d
		out.AutonomyBasis = AutonomyMixed
		if len(s.bases) == 1 {
			for b := range s.bases {
				out.AutonomyBasis = b
			}
		}
	}
	return out
}

// storageSite is one site's storage: its stock, outflow and group.
type storageSite struct {
	group     string
	stock     storageAcc
	outflowM3 float64
}

// storageByGroup sums storage stock and consumption per group key of g.
func (f *Fleet) storageByGroup(g Group, days float64) map[string]storageAcc {
	sites := map[string]*storageSite{}
	for _, d := range f.devices {
		if d.dev.Kind.Produces() {
			continue
		}
		site := d.dev.Facility
		if g == GroupDevice || site == "" {
			site = "device:" + string(d.dev.ID)
		}
		st := sites[site]
		if st == nil {
			st = &storageSite{group: groupKey(g, d.dev)}
			sites[site] = st
		}
		st.outflowM3 += f.production[d.dev.ID].M3
		if rec, ok := f.stock[d.dev.ID]; ok {
			st.stock.add(rec)
		}
	}
	facs := f.facilityIndex()
	out := map[string]storageAcc{}
	for id, st := range sites {
		if st.stock.counted == 0 {
			continue
		}
		perDay, basis := 0.0, ""
		if st.outflowM3 > 0 && days > 0 {
			perDay, basis = st.outflowM3*1000/days, AutonomyFromOutflow
		} else if fc, ok := facs[id]; ok {
			if lpm, how := facilityDemand(fc, f.litresBed); how != "" && lpm > 0 {
				perDay, basis = lpm*24*60, AutonomyFromDemand
			}
		}
		if perDay > 0 {
			st.stock.covered, st.stock.perDay = st.stock.litres, perDay
			st.stock.setBasis(basis)
		}
		acc := out[st.group]
		acc.merge(st.stock)
		out[st.group] = acc
	}
	return out
}

// cylinderEq is a volume over days in large cylinders a day.
func cylinderEq(m3, days float64) float64 {
	if days <= 0 {
		return 0
	}
	return round(m3*1000/plant.LitresPerCylinder/days, 2)
}

// sortByPlace orders rows by country, region, then key.
func sortByPlace[R any](rows []R, place func(R) (country, region, key string)) {
	slices.SortFunc(rows, func(a, b R) int {
		ac, ar, ak := place(a)
		bc, br, bk := place(b)
		return rowOrder(ac, ar, ak, bc, br, bk)
	})
}
