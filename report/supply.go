package report

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/oxywatch/oxywatch/internal/i18n"
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
	Demand      DemandBasis `json:"demand_basis"`

	loc *time.Location // draws dates in the HTML form
}

// SupplyRow is one group's oxygen supply. Null demand and coverage mean the
// registry holds no demand (no demand_lpm and no beds) for the group.
//
// Capacity and production count oxygen sources (psa, concentrator, and
// devices not yet classified); LOX tanks and cylinder banks store oxygen made
// elsewhere, so their rated flow is not capacity and what flows out of them
// is FromStorageM3, not produced.
type SupplyRow struct {
	Key            string  `json:"key"`
	Name           string  `json:"name,omitempty"`
	Region         string  `json:"region,omitempty"`
	Country        string  `json:"country,omitempty"`
	Devices        int     `json:"devices"`         // oxygen sources
	StorageDevices int     `json:"storage_devices"` // LOX tanks and cylinder banks
	RatedLPM       float64 `json:"rated_lpm"`
	// AvailableLPM is rated flow weighted by the share of the period each
	// source was operational (at spec): the capacity the period really
	// offered, from its own timeline, not from the status when the report
	// was run. An hour without data counts as not available.
	AvailableLPM          float64  `json:"available_lpm"`
	ProducedM3            float64  `json:"produced_m3"`
	FromStorageM3         float64  `json:"from_storage_m3"`
	CylindersFilled       float64  `json:"cylinders_filled"`
	CylindersPerDay       float64  `json:"cylinders_per_day"`
	DemandLPM             *float64 `json:"demand_lpm"`
	DemandM3              *float64 `json:"demand_m3"` // demand over the period
	CapacityCoveragePct   *float64 `json:"capacity_coverage_pct"`
	ProductionCoveragePct *float64 `json:"production_coverage_pct"`
	IdleDeviceDays        int      `json:"idle_device_days"` // days a psa or concentrator produced nothing
	// DemandBasis says how a facility row's demand was found: demand_lpm
	// (its own figure), bed_categories (WHO flows per bed category), beds
	// (beds × litres_per_bed_lpm), or empty (none). Facility rows only.
	DemandBasis string `json:"demand_basis,omitempty"`
	// Large-cylinder (6,800 L) equivalents a day, the unit ministries
	// count supply in: of oxygen produced, of what flowed out of storage,
	// and of demand (null without demand).
	ProducedCylEqPerDay    float64  `json:"produced_cylinders_eq_per_day"`
	FromStorageCylEqPerDay float64  `json:"from_storage_cylinders_eq_per_day"`
	DemandCylEqPerDay      *float64 `json:"demand_cylinders_eq_per_day"`
	Storage
	Functionality Functionality `json:"functionality"`
}

// DemandBasis says where the demand figures come from, so a reader can
// weigh them: facilities with their own demand figure (demand_lpm, e.g. from
// a needs assessment), facilities estimated from beds, and facilities with
// neither (left out of demand).
type DemandBasis struct {
	LitresPerBed   float64 `json:"litres_per_bed_lpm"`
	SevereLPM      float64 `json:"severe_bed_lpm"`
	CriticalLPM    float64 `json:"critical_bed_lpm"`
	Registered     int     `json:"facilities_with_demand_lpm"`
	FromCategories int     `json:"facilities_from_bed_categories"`
	FromBeds       int     `json:"facilities_from_beds"`
	Missing        int     `json:"facilities_without_demand"`
}

// Oxygen flow per bed of a severe and of a critical patient (WHO); a
// general ward bed uses report.litres_per_bed_lpm (default 2.5 L/min).
const (
	SevereBedLPM   = 10.0
	CriticalBedLPM = 30.0
)

// Demand bases of a facility (SupplyRow.DemandBasis).
const (
	DemandFromFigure     = "demand_lpm"
	DemandFromCategories = "bed_categories"
	DemandFromBeds       = "beds"
)

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

// ErrNoProduction is returned when production figures cannot be read (no
// source configured, or InfluxDB did not answer); uptime does not need them.
var ErrNoProduction = errors.New("production figures unavailable")

// LoadProduction reads what every device of f produced, for Supply. Its
// errors wrap ErrNoProduction.
func (r *Reporter) LoadProduction(ctx context.Context, f *Fleet) error {
	if r.production == nil {
		return i18n.Wrap(ErrNoProduction, "report.production.none")
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
		return i18n.Wrap(ErrNoProduction, "report.production.unreadable", err)
	}
	f.production = prod
	return nil
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
	periodH := hours(f.end().Sub(f.Period.From))
	for _, d := range f.devices {
		key := groupKey(g, d.dev)
		u := labelRow(g, key, d.dev, facs)
		a := get(key, SupplyRow{Key: key, Name: u.Name, Region: u.Region, Country: u.Country})
		idle := f.idleDays(d)
		a.addDevice(d, f.production[d.dev.ID], idle, periodH)
		total.addDevice(d, f.production[d.dev.ID], idle, periodH)
		s, measured, rec, reported := f.functionalOf(d)
		a.row.Functionality.addDevice(s, measured, rec, reported)
		total.row.Functionality.addDevice(s, measured, rec, reported)
	}
	if g != GroupDevice {
		for _, fc := range f.facilities {
			key := facilityGroupKey(g, fc)
			a := get(key, SupplyRow{Key: key, Name: facilityName(g, fc), Region: fc.Region, Country: fc.Country})
			lpm, how := facilityDemand(fc, f.litresBed)
			a.addDemand(lpm, how != "")
			total.addDemand(lpm, how != "")
			if g == GroupFacility {
				a.row.DemandBasis = how
			}
		}
	}
	basis := DemandBasis{LitresPerBed: f.litresBed, SevereLPM: SevereBedLPM, CriticalLPM: CriticalBedLPM}
	for _, fc := range f.facilities {
		switch _, how := facilityDemand(fc, f.litresBed); how {
		case DemandFromFigure:
			basis.Registered++
		case DemandFromCategories:
			basis.FromCategories++
		case DemandFromBeds:
			basis.FromBeds++
		default:
			basis.Missing++
		}
	}
	days := f.end().Sub(f.Period.From).Hours() / 24
	for key, st := range f.storageByGroup(g, days) {
		if a := rows[key]; a != nil {
			a.storage = st
		}
		total.storage.merge(st)
	}
	rep := &SupplyReport{
		From: f.Period.From.UTC(), To: f.Period.To.UTC(), TimeZone: f.Period.Loc.String(),
		Group: g, GeneratedAt: f.GeneratedAt.UTC(), Total: total.finish(days), Demand: basis,
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

// facilityDemand is the facility's demand and how it was found: its own
// demand_lpm; else its oxygen-using beds by category (general × perBed,
// severe × 10, critical × 30 L/min); else beds × perBed. basis is empty
// when the registry holds none of these.
func facilityDemand(fc plant.Facility, perBed float64) (lpm float64, basis string) {
	if fc.DemandLPM > 0 {
		return fc.DemandLPM, DemandFromFigure
	}
	if fc.BedsSevere > 0 || fc.BedsCritical > 0 || (fc.BedsGeneral > 0 && perBed > 0) {
		return float64(fc.BedsGeneral)*perBed + float64(fc.BedsSevere)*SevereBedLPM + float64(fc.BedsCritical)*CriticalBedLPM, DemandFromCategories
	}
	if fc.Beds > 0 && perBed > 0 {
		return float64(fc.Beds) * perBed, DemandFromBeds
	}
	return 0, ""
}

// idleDays counts whole local days of d's lifespan in which a psa or
// concentrator produced nothing. A device that sent no telemetry in the
// period is not counted idle: nothing is known of its production.
func (f *Fleet) idleDays(d *deviceStats) int {
	if d.dev.Kind != plant.KindPSA && d.dev.Kind != plant.KindConcentrator || !d.hasData {
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
	storage   storageAcc
}

func (a *supplyAcc) addDevice(d *deviceStats, p Production, idle int, periodH float64) {
	if !d.dev.Kind.Produces() {
		a.row.StorageDevices++
		a.row.FromStorageM3 += p.M3
		return
	}
	a.row.Devices++
	a.row.RatedLPM += d.dev.RatedFlowLPM
	if periodH > 0 {
		a.row.AvailableLPM += d.dev.RatedFlowLPM * hours(d.dur[iOperational]) / periodH
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
	r.FromStorageM3 = round(r.FromStorageM3, 3)
	r.AvailableLPM = round(r.AvailableLPM, 1)
	r.CylindersFilled = round(r.CylindersFilled, 3)
	if days > 0 {
		r.CylindersPerDay = round(r.CylindersFilled/days, 2)
	}
	r.ProducedCylEqPerDay = cylinderEq(a.row.ProducedM3, days)
	r.FromStorageCylEqPerDay = cylinderEq(a.row.FromStorageM3, days)
	r.Functionality = r.Functionality.finish()
	if a.hasDemand {
		lpm := round(a.demand, 3)
		m3 := round(a.demand*days*24*60/1000, 3)
		r.DemandLPM, r.DemandM3 = &lpm, &m3
		r.CapacityCoveragePct = pct(r.AvailableLPM, a.demand)
		r.ProductionCoveragePct = pct(r.ProducedM3, m3)
		eq := round(a.demand*24*60/plant.LitresPerCylinder, 2)
		r.DemandCylEqPerDay = &eq
	}
	r.Storage = a.storage.finish()
	return r
}

func sortSupply(rows []SupplyRow) {
	slices.SortFunc(rows, func(a, b SupplyRow) int { return rowOrder(a.Country, a.Region, a.Key, b.Country, b.Region, b.Key) })
}
