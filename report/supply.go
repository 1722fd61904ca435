package report

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// SupplyReport is capacity, production and demand per group over a period.
type SupplyReport struct {
	From        time.Time   `json:"from"`
	To          time.Time   `json:"to"`
	TimeZone    string      `json:"time_zone"`
	Group       Group       `json:"group"`
	GeneratedAt time.Time   `json:"generated_at"`
	Items       []SupplyRow `json:"items"`
	Total       SupplyRow   `json:"total"`

	loc *time.Location // draws dates in the HTML form
}

// SupplyRow is one group's oxygen supply. Null demand and coverage mean the
// registry holds no demand (no demand_lpm and no beds) for the group.
type SupplyRow struct {
	Key                   string   `json:"key"`
	Name                  string   `json:"name,omitempty"`
	Region                string   `json:"region,omitempty"`
	Country               string   `json:"country,omitempty"`
	Devices               int      `json:"devices"`
	RatedLPM              float64  `json:"rated_lpm"`
	AvailableLPM          float64  `json:"available_lpm"` // rated flow of devices operational now
	ProducedM3            float64  `json:"produced_m3"`
	CylindersFilled       float64  `json:"cylinders_filled"`
	CylindersPerDay       float64  `json:"cylinders_per_day"`
	DemandLPM             *float64 `json:"demand_lpm"`
	DemandM3              *float64 `json:"demand_m3"` // demand over the period
	CapacityCoveragePct   *float64 `json:"capacity_coverage_pct"`
	ProductionCoveragePct *float64 `json:"production_coverage_pct"`
	IdleDeviceDays        int      `json:"idle_device_days"` // days a psa or concentrator produced nothing
}

// Supply computes the supply report for q.Period grouped by q.Group, over
// the devices and facilities of q.Regions only.
func (r *Reporter) Supply(ctx context.Context, q Query) (*SupplyReport, error) {
	f, err := r.Fleet(ctx, q.Period, q.Regions)
	if err != nil {
		return nil, err
	}
	if err := r.LoadProduction(ctx, f); err != nil {
		return nil, err
	}
	return f.Supply(q.Group), nil
}

// LoadProduction reads what every device of f produced, and the status now
// of devices whose registry entry holds none, for Supply.
func (r *Reporter) LoadProduction(ctx context.Context, f *Fleet) error {
	if r.production == nil {
		return fmt.Errorf("supply: no production source configured")
	}
	if err := r.loadStatusNow(ctx, f); err != nil {
		return err
	}
	if len(f.devices) == 0 { // an empty query would read every device
		f.production = map[plant.DeviceID]Production{}
		return nil
	}
	q := ProductionQuery{From: f.Period.From, To: f.end(), Loc: f.Period.Loc, MaxGap: r.opt.MaxReadingGap}
	for _, d := range f.devices {
		q.Devices = append(q.Devices, d.dev.ID)
	}
	prod, err := r.production.Production(ctx, q)
	if err != nil {
		return fmt.Errorf("read production: %w", err)
	}
	f.production = prod
	return nil
}

// loadStatusNow fills in the status of devices the registry lists without
// one from their timeline at the time the fleet was read: the status of the
// interval covering that instant, no_data when none does.
func (r *Reporter) loadStatusNow(ctx context.Context, f *Fleet) error {
	var missing []*deviceStats
	for _, d := range f.devices {
		if d.dev.Status == "" {
			missing = append(missing, d)
		}
	}
	now := f.GeneratedAt
	for i := 0; i < len(missing); i += r.opt.BatchSize {
		batch := missing[i:min(i+r.opt.BatchSize, len(missing))]
		ids := make([]plant.DeviceID, len(batch))
		for j, d := range batch {
			ids[j] = d.dev.ID
		}
		tls, err := r.timelines.Timelines(ctx, ids, now, now.Add(time.Nanosecond))
		if err != nil {
			return fmt.Errorf("read the status now of %d devices: %w", len(ids), err)
		}
		for _, d := range batch {
			d.dev.Status = statusAt(tls[d.dev.ID], now)
		}
	}
	return nil
}

// statusAt is the status of the interval covering t, or no_data.
func statusAt(ivs []plant.StatusInterval, t time.Time) plant.Status {
	for _, iv := range ivs {
		if !iv.Start.After(t) && (iv.End.IsZero() || iv.End.After(t)) {
			return iv.Status
		}
	}
	return plant.StatusNoData
}

// end is the period end, or the time the fleet was read if that is earlier.
func (f *Fleet) end() time.Time {
	if f.GeneratedAt.Before(f.Period.To) && f.GeneratedAt.After(f.Period.From) {
		return f.GeneratedAt
	}
	return f.Period.To
}

// Supply groups the fleet's capacity, production and demand by g. Facilities
// without devices still appear, with their demand.
func (f *Fleet) Supply(g Group) *SupplyReport {
	rows := map[string]*supplyAcc{}
	var order []string
	get := func(key string, label SupplyRow) *supplyAcc {
		a, ok := rows[key]
		if !ok {
			a = &supplyAcc{row: label}
			rows[key] = a
			order = append(order, key)
		}
		return a
	}
	facs := f.facilityIndex()
	total := &supplyAcc{row: SupplyRow{Key: "total"}}
	for _, d := range f.devices {
		key := groupKey(g, d.dev)
		u := labelRow(g, key, d.dev, facs)
		a := get(key, SupplyRow{Key: key, Name: u.Name, Region: u.Region, Country: u.Country})
		idle := f.idleDays(d)
		a.addDevice(d, f.production[d.dev.ID], idle)
		total.addDevice(d, f.production[d.dev.ID], idle)
	}
	if g != GroupDevice {
		for _, fc := range f.facilities {
			key := facilityGroupKey(g, fc)
			a := get(key, SupplyRow{Key: key, Name: facilityName(g, fc), Region: fc.Region, Country: fc.Country})
			a.addDemand(facilityDemand(fc, f.litresBed))
			total.addDemand(facilityDemand(fc, f.litresBed))
		}
	}
	days := f.end().Sub(f.Period.From).Hours() / 24
	rep := &SupplyReport{
		From: f.Period.From.UTC(), To: f.Period.To.UTC(), TimeZone: f.Period.Loc.String(),
		Group: g, GeneratedAt: f.GeneratedAt.UTC(), Total: total.finish(days),
		loc: f.Period.Loc,
	}
	rep.Items = make([]SupplyRow, 0, len(order))
	for _, k := range order {
		rep.Items = append(rep.Items, rows[k].finish(days))
	}
	sortSupply(rep.Items)
	return rep
}

func facilityGroupKey(g Group, fc plant.Facility) string {
	switch g {
	case GroupRegion:
		return fc.Region
	case GroupCountry:
		return fc.Country
	}
	return fc.ID
}

func facilityName(g Group, fc plant.Facility) string {
	if g == GroupFacility {
		return fc.Name
	}
	return ""
}

// facilityDemand is demand_lpm, or beds times the per-bed figure; ok is false
// when the registry holds neither.
func facilityDemand(fc plant.Facility, perBed float64) (lpm float64, ok bool) {
	if fc.DemandLPM > 0 {
		return fc.DemandLPM, true
	}
	if fc.Beds > 0 && perBed > 0 {
		return float64(fc.Beds) * perBed, true
	}
	return 0, false
}

// idleDays counts whole local days of d's lifespan in which a psa or
// concentrator produced nothing.
func (f *Fleet) idleDays(d *deviceStats) int {
	if d.dev.Kind != plant.KindPSA && d.dev.Kind != plant.KindConcentrator {
		return 0
	}
	produced := map[string]bool{}
	for _, day := range f.production[d.dev.ID].Days {
		if day.M3 > 0.001 {
			produced[day.Day] = true
		}
	}
	loc := f.Period.Loc
	idle := 0
	for day := firstMidnight(d.from, loc); !day.AddDate(0, 0, 1).After(d.to); day = day.AddDate(0, 0, 1) {
		if !produced[day.Format(time.DateOnly)] {
			idle++
		}
	}
	return idle
}

// firstMidnight is the first local midnight at or after t.
func firstMidnight(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	m := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc)
	if m.Before(t) {
		m = m.AddDate(0, 0, 1)
	}
	return m
}

type supplyAcc struct {
	row       SupplyRow
	demand    float64
	hasDemand bool
}

func (a *supplyAcc) addDevice(d *deviceStats, p Production, idle int) {
	a.row.Devices++
	a.row.RatedLPM += d.dev.RatedFlowLPM
	if d.dev.Status == plant.StatusOperational {
		a.row.AvailableLPM += d.dev.RatedFlowLPM
	}
	a.row.ProducedM3 += p.M3
	a.row.CylindersFilled += p.Cylinders
	a.row.IdleDeviceDays += idle
}

func (a *supplyAcc) addDemand(lpm float64, ok bool) {
	if ok {
		a.demand += lpm
		a.hasDemand = true
	}
}

func (a *supplyAcc) finish(days float64) SupplyRow {
	r := a.row
	r.ProducedM3 = round(r.ProducedM3, 3)
	r.CylindersFilled = round(r.CylindersFilled, 3)
	if days > 0 {
		r.CylindersPerDay = round(r.CylindersFilled/days, 2)
	}
	if !a.hasDemand {
		return r
	}
	lpm := round(a.demand, 3)
	m3 := round(a.demand*days*24*60/1000, 3)
	r.DemandLPM, r.DemandM3 = &lpm, &m3
	r.CapacityCoveragePct = pct(r.AvailableLPM, a.demand)
	r.ProductionCoveragePct = pct(r.ProducedM3, m3)
	return r
}

func sortSupply(rows []SupplyRow) {
	slices.SortFunc(rows, func(a, b SupplyRow) int { return rowOrder(a.Country, a.Region, a.Key, b.Country, b.Region, b.Key) })
}
