package report

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/oxywatch/oxywatch/internal/plant"
	"github.com/oxywatch/oxywatch/internal/store"
	"github.com/oxywatch/oxywatch/report/dhis2"
)

// TestFieldRecordsFromSQLite runs the supply report over a real SQLite
// registry: demand from each basis, stock and autonomy from recorded
// counts, cylinder equivalents, and the functional census by source, with
// figures worked out by hand in the comments.
func TestFieldRecordsFromSQLite(t *testing.T) {
	ctx := context.Background()
	loc := kampala()
	p := Month(2026, time.November, loc)
	now := p.To.Add(24 * time.Hour)
	db, err := store.OpenSQLite(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	reg, err := store.OpenRegistry(ctx, db, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	for _, fc := range []plant.Facility{
		{ID: "arua", Name: "Arua RRH", Region: "West Nile", Country: "UG", DemandLPM: 300, BedsCritical: 50}, // own figure wins
		{ID: "hoima", Name: "Hoima RRH", Region: "Bunyoro", Country: "UG", Beds: 500, BedsGeneral: 100, BedsSevere: 10, BedsCritical: 5},
		{ID: "lira", Name: "Lira RRH", Region: "Lango", Country: "UG", Beds: 40},
		{ID: "moroto", Name: "Moroto RRH", Region: "Karamoja", Country: "UG"},
	} {
		if err := reg.PutFacility(ctx, fc); err != nil {
			t.Fatal(err)
		}
	}
	since := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, d := range []plant.Device{
		{ID: "psa-arua", Kind: plant.KindPSA, Facility: "arua", RatedFlowLPM: 500},
		{ID: "lox-arua", Kind: plant.KindLOXTank, Facility: "arua"},
		{ID: "cyl-hoima", Kind: plant.KindCylinderBank, Facility: "hoima"},
		{ID: "con-hoima-1", Kind: plant.KindConcentrator, Facility: "hoima", RatedFlowLPM: 10},
		{ID: "con-hoima-2", Kind: plant.KindConcentrator, Facility: "hoima", RatedFlowLPM: 10},
		{ID: "con-lira-1", Kind: plant.KindConcentrator, Facility: "lira", RatedFlowLPM: 10},
	} {
		fc := map[string]string{"arua": "West Nile", "hoima": "Bunyoro", "lira": "Lango"}
		d.Region, d.Country, d.CommissionedAt = fc[d.Facility], "UG", since
		if _, err := reg.Put(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	at := func(day, hour int) time.Time { return time.Date(2026, 11, day, hour, 0, 0, 0, loc) }
	for _, rec := range []plant.FunctionalRecord{
		{Device: "con-hoima-1", Status: plant.FunctionalWorking, At: at(5, 9)},
		{Device: "con-hoima-2", Status: plant.FunctionalUnderRepair, At: at(12, 9)},
		// newer than the plant's last telemetry: the engineer's word wins
		{Device: "psa-arua", Status: plant.FunctionalBroken, At: at(29, 10)},
		// recorded after the period: not counted, con-lira-1 stays unknown
		{Device: "con-lira-1", Status: plant.FunctionalWorking, At: p.To.Add(time.Hour)},
	} {
		if _, err := reg.RecordFunctional(ctx, rec); err != nil {
			t.Fatal(err)
		}
	}
	for _, rec := range []plant.StockRecord{
		{Device: "lox-arua", Litres: 900_000, At: at(2, 8)},
		{Device: "lox-arua", Litres: 1_200_000, At: at(27, 8)}, // the latest count is used
		{Device: "cyl-hoima", Litres: 30 * plant.LitresPerCylinder, At: at(28, 8)},
	} {
		if _, err := reg.RecordStock(ctx, rec); err != nil {
			t.Fatal(err)
		}
	}
	tls := mapTimelines{
		"psa-arua": {{Device: "psa-arua", Status: plant.StatusOperational, Start: p.From, End: at(20, 0)}},
		"lox-arua": {{Device: "lox-arua", Status: plant.StatusOperational, Start: p.From}},
	}
	// the LOX tank gave 60 m3 a day over the 30 days; the plant made 300 m3
	prod := ProductionFunc(func(context.Context, ProductionQuery) (map[plant.DeviceID]Production, error) {
		return map[plant.DeviceID]Production{"lox-arua": {M3: 1800}, "psa-arua": {M3: 6800}}, nil
	})
	r := New(reg, tls, prod, Options{Loc: loc, Now: fixedNow(now), LitresPerBed: 2.5})
	rep, err := r.Supply(ctx, Query{Period: p, Group: GroupFacility})
	if err != nil {
		t.Fatal(err)
	}
	rows := rowsByKey(rep.Items, func(r SupplyRow) string { return r.Key })
	arua, hoima, lira, moroto := rows["arua"], rows["hoima"], rows["lira"], rows["moroto"]
	// demand: arua its own 300 L/min; hoima 100 × 2.5 + 10 × 10 + 5 × 30 =
	// 500 L/min from categories (not 500 beds × 2.5); lira 40 × 2.5 = 100.
	for _, c := range []struct {
		row   *SupplyRow
		basis string
		lpm   float64
		cyl   float64 // lpm × 1440 / 6800
	}{{arua, DemandFromFigure, 300, 63.53}, {hoima, DemandFromCategories, 500, 105.88}, {lira, DemandFromBeds, 100, 21.18}} {
		if c.row.DemandBasis != c.basis || c.row.DemandLPM == nil || *c.row.DemandLPM != c.lpm || *c.row.DemandCylEqPerDay != c.cyl {
			t.Errorf("%s: basis %q, demand %v L/min, %v cyl/day; want %q, %g, %g", c.row.Key, c.row.DemandBasis, deref(c.row.DemandLPM), deref(c.row.DemandCylEqPerDay), c.basis, c.lpm, c.cyl)
		}
	}
	if moroto.DemandBasis != "" || moroto.DemandLPM != nil {
		t.Errorf("moroto has no demand figure: %+v", moroto)
	}
	if rep.Demand.Registered != 1 || rep.Demand.FromCategories != 1 || rep.Demand.FromBeds != 1 || rep.Demand.Missing != 1 {
		t.Errorf("demand basis: %+v", rep.Demand)
	}
	// arua: 1,200,000 L ÷ 60,000 L a day of measured outflow = 20 days;
	// 6,800 m3 in 30 days = 33.33 cylinders a day produced, 8.82 out of storage
	if deref(arua.AutonomyDays) != 20.0 || arua.AutonomyBasis != AutonomyFromOutflow || deref(arua.StockCylinders) != 176.47 ||
		arua.ProducedCylEqPerDay != 33.33 || arua.FromStorageCylEqPerDay != 8.82 {
		t.Errorf("arua storage: %+v %v %v %v, produced %v, from storage %v cyl/day", arua.Storage, deref(arua.AutonomyDays), deref(arua.StockCylinders), deref(arua.StockL), arua.ProducedCylEqPerDay, arua.FromStorageCylEqPerDay)
	}
	// hoima: 204,000 L ÷ (500 L/min × 1,440) = 0.28 days, from demand
	if deref(hoima.AutonomyDays) != 0.3 || hoima.AutonomyBasis != AutonomyFromDemand || deref(hoima.StockL) != 204000.0 {
		t.Errorf("hoima storage: %+v %v %v", hoima.Storage, deref(hoima.AutonomyDays), deref(hoima.StockL))
	}
	if lira.StockL != nil || lira.AutonomyDays != nil {
		t.Errorf("lira has no storage: %+v", lira.Storage)
	}
	// census: psa-arua reported non-functional (record newer than its
	// telemetry), lox-arua measured functional; hoima: cylinder bank
	// unknown, con-hoima-1 reported functional, con-hoima-2 reported under
	// repair; lira: unknown. Functional 2 of 4 known.
	want := Functionality{Devices: 6, Measured: FunctionalCounts{Functional: 1}, Reported: FunctionalCounts{Functional: 1, NonFunctional: 1, UnderRepair: 1},
		Unknown: 2, OldestReport: at(5, 9).UTC()}
	got := rep.Total.Functionality
	if got.FunctionalPct == nil || *got.FunctionalPct != 50 {
		t.Errorf("functional_pct %v, want 50", deref(got.FunctionalPct))
	}
	got.FunctionalPct = nil
	if got != want {
		t.Errorf("census\ngot  %+v\nwant %+v", got, want)
	}
	// the monthly page's census needs no production
	f, err := r.Fleet(ctx, p, nil)
	if err != nil {
		t.Fatal(err)
	}
	page := MonthlyPage("t", f, nil)
	if page.Supply != nil || page.Census == nil || page.Census.Total.Devices != 6 || len(page.Census.Items) != 3 {
		t.Errorf("monthly census without production: %+v", page.Census)
	}
}

// The census and storage indicators go to DHIS2; the census ones need no
// production figures.
func TestDHIS2FieldIndicators(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mapping.yaml")
	mapping := `data_elements:
  functional_pct: {data_element: Fp2KlMnB9vC}
  functional_devices: {data_element: Fn5AsDfG6hJ}
  reported_status_devices: {data_element: Rs3DfGh8JkL}
org_units:
  jinja: DiszpKrYNg8
  kabale: Kb7QwErT2yU
`
	if err := os.WriteFile(path, []byte(mapping), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := dhis2.LoadMapping(path, Indicators())
	if err != nil {
		t.Fatal(err)
	}
	// production fails: census indicators do not need it
	r := New(fixtureRegistry(), fixtureTimelines(), failingProduction{}, Options{Loc: kampala(), Now: fixedNow(fixtureNow), LitresPerBed: 2.5})
	set, _, err := (&DHIS2Exporter{Reporter: r, Mapping: m}).Payload(context.Background(), fixturePeriod())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, v := range set.DataValues {
		got[v.OrgUnit+"/"+v.DataElement] = v.Value
	}
	// Kabale: conc-kabale-1 reported functional, -2 non-functional, -3
	// unknown (its record is from December); Jinja: plant down, measured
	// non-functional, concentrator measured functional, cylinder bank unknown.
	want := map[string]string{
		"Kb7QwErT2yU/Fp2KlMnB9vC": "50", "Kb7QwErT2yU/Fn5AsDfG6hJ": "1", "Kb7QwErT2yU/Rs3DfGh8JkL": "2",
		"DiszpKrYNg8/Fp2KlMnB9vC": "50", "DiszpKrYNg8/Fn5AsDfG6hJ": "1", "DiszpKrYNg8/Rs3DfGh8JkL": "0",
		// Mulago (org unit from the registry): all four measured functional
		"ImspTQPwCqd/Fp2KlMnB9vC": "100", "ImspTQPwCqd/Fn5AsDfG6hJ": "4", "ImspTQPwCqd/Rs3DfGh8JkL": "0",
	}
	if !maps.Equal(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
}
