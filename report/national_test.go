package report

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/oxywatch/oxywatch/internal/i18n"
	"github.com/oxywatch/oxywatch/internal/plant"
	"github.com/oxywatch/oxywatch/internal/store"
	"github.com/oxywatch/oxywatch/report/dhis2"
)

// The national fixture: Malawi in November 2026 (Africa/Blantyre, 720 h),
// three regional hospitals with PSA plants, concentrators with telemetry
// and without (known by the status an engineer recorded), a LOX tank and a
// cylinder bank counted by hand, and work orders opened and closed by
// engineers. The registry, field records and work orders live in a real
// SQLite registry; production in a real influxd.

func blantyre() *time.Location {
	loc, err := time.LoadLocation("Africa/Blantyre")
	if err != nil {
		panic(err)
	}
	return loc
}

// mw is a local time in Blantyre.
func mw(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, blantyre())
	if err != nil {
		panic(err)
	}
	return t
}

func nationalTimelines() mapTimelines {
	iv := func(id string, st plant.Status, from, to, cause string) plant.StatusInterval {
		out := plant.StatusInterval{Device: plant.DeviceID(id), Status: st, Start: mw(from), Cause: cause}
		if to != "" {
			out.End = mw(to)
		}
		return out
	}
	op, down := plant.StatusOperational, plant.StatusDown
	return mapTimelines{
		"psa-mzuzu-1": {
			iv("psa-mzuzu-1", op, "2026-10-01 00:00", "2026-11-10 06:00", ""),
			iv("psa-mzuzu-1", down, "2026-11-10 06:00", "2026-11-10 16:00", "alarm:compressor_fault"), // 10 h
			iv("psa-mzuzu-1", op, "2026-11-10 16:00", "", ""),
		},
		"conc-mzuzu-1": {iv("conc-mzuzu-1", op, "2026-10-01 00:00", "", "")},
		"psa-kch-1": {
			iv("psa-kch-1", op, "2026-10-01 00:00", "2026-11-20 00:00", ""),
			iv("psa-kch-1", down, "2026-11-20 00:00", "2026-11-21 12:00", "power:none"), // 36 h, work order
			iv("psa-kch-1", op, "2026-11-21 12:00", "2026-11-25 08:00", ""),
			iv("psa-kch-1", down, "2026-11-25 08:00", "2026-11-25 09:00", "state:fault"), // 1 h, no work order
			iv("psa-kch-1", op, "2026-11-25 09:00", "", ""),
		},
		"lox-kch-1": {iv("lox-kch-1", op, "2026-10-01 00:00", "", "")},
		"psa-qech-1": {
			iv("psa-qech-1", op, "2026-10-01 00:00", "2026-11-05 10:00", ""),
			iv("psa-qech-1", down, "2026-11-05 10:00", "2026-11-05 14:00", "alarm:dryer_fault"), // 4 h
			iv("psa-qech-1", op, "2026-11-05 14:00", "", ""),
		},
		"conc-qech-1": {
			iv("conc-qech-1", down, "2026-10-28 08:00", "2026-11-02 10:00", "state:off"), // 34 h in November
			iv("conc-qech-1", op, "2026-11-02 10:00", "2026-11-28 00:00", ""),
			iv("conc-qech-1", down, "2026-11-28 00:00", "", "state:fault"), // still down, no work order
		},
	}
}

// nationalFlows are the flow readings written to influxd: L/min while the
// device runs, hourly on the hour; a reading counts for the hour before it
// (report.max_reading_gap 1 h). The LOX tank's flow is what it supplies.
var nationalFlows = map[plant.DeviceID]float64{
	"psa-mzuzu-1": 300, "conc-mzuzu-1": 5, "psa-kch-1": 600, "psa-qech-1": 450, "conc-qech-1": 8, "lox-kch-1": 100,
}

// nationalLines writes one reading an hour for each flowing device from
// the hour before the month to its last hour: state running when the hour
// it closes was operational, fault otherwise (no state for the tank).
func nationalLines(tls mapTimelines) []string {
	var lines []string
	for id, lpm := range nationalFlows {
		for at := mw("2026-10-31 23:00"); at.Before(mw("2026-12-01 00:00")); at = at.Add(time.Hour) {
			st := statusAt(tls[id], at.Add(-30*time.Minute))
			state := `,state="running"`
			switch {
			case id == "lox-kch-1":
				state = ""
			case st != plant.StatusOperational:
				state = `,state="fault"`
			}
			lines = append(lines, fmt.Sprintf("o2_reading,device=%s flow_lpm=%g%s %d", id, lpm, state, at.UnixMilli()))
		}
	}
	return lines
}

func statusAt(ivs []plant.StatusInterval, t time.Time) plant.Status {
	for _, iv := range ivs {
		if !t.Before(iv.Start) && (iv.End.IsZero() || t.Before(iv.End)) {
			return iv.Status
		}
	}
	return plant.StatusNoData
}

// nationalRegistry fills a real SQLite registry: facilities, devices,
// functional statuses, stock counts and work orders.
func nationalRegistry(t *testing.T) *store.Registry {
	t.Helper()
	ctx := context.Background()
	db, err := store.OpenSQLite(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	reg, err := store.OpenRegistry(ctx, db, fixedNow(mw("2026-10-01 00:00"))) // registered on 1 October
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []plant.Facility{
		{ID: "mzuzu", Name: "Mzuzu Central Hospital", Region: "Northern", Country: "MW", DemandLPM: 300},
		// 100 × 2.5 + 20 × 10 + 5 × 30 = 600 L/min
		{ID: "kch", Name: "Kamuzu Central Hospital", Region: "Central", Country: "MW", Beds: 400, BedsGeneral: 100, BedsSevere: 20, BedsCritical: 5},
		// 200 beds × 2.5 = 500 L/min
		{ID: "qech", Name: "Queen Elizabeth Central Hospital", Region: "Southern", Country: "MW", Beds: 200},
	} {
		must(reg.PutFacility(ctx, f))
	}
	dev := func(id, kind, fac, region string, rated float64) plant.Device {
		return plant.Device{ID: plant.DeviceID(id), Kind: plant.Kind(kind), Facility: fac, Region: region, Country: "MW", RatedFlowLPM: rated, ReportIntervalS: 300}
	}
	for _, d := range []plant.Device{
		dev("psa-mzuzu-1", "psa", "mzuzu", "Northern", 500),
		dev("conc-mzuzu-1", "concentrator", "mzuzu", "Northern", 10),
		dev("conc-mzuzu-2", "concentrator", "mzuzu", "Northern", 5), // no telemetry
		dev("psa-kch-1", "psa", "kch", "Central", 1000),
		dev("lox-kch-1", "lox_tank", "kch", "Central", 3000),
		dev("conc-kch-1", "concentrator", "kch", "Central", 5), // no telemetry
		dev("conc-kch-2", "concentrator", "kch", "Central", 5), // no telemetry
		dev("conc-kch-3", "concentrator", "kch", "Central", 5), // no telemetry, never recorded
		dev("psa-qech-1", "psa", "qech", "Southern", 750),
		dev("conc-qech-1", "concentrator", "qech", "Southern", 10),
		dev("cyl-qech-1", "cylinder_bank", "qech", "Southern", 0),
	} {
		_, err := reg.Put(ctx, d)
		must(err)
	}
	for _, r := range []plant.FunctionalRecord{
		{Device: "conc-mzuzu-2", Status: plant.FunctionalWorking, At: mw("2026-11-03 10:00")},
		{Device: "conc-kch-1", Status: plant.FunctionalWorking, At: mw("2026-10-15 10:00")},
		{Device: "conc-kch-2", Status: plant.FunctionalBroken, At: mw("2026-11-18 09:00"), Note: "no flow"},
	} {
		_, err := reg.RecordFunctional(ctx, r)
		must(err)
	}
	for _, s := range []plant.StockRecord{
		{Device: "lox-kch-1", Litres: 2_880_000, At: mw("2026-11-28 07:00")},
		{Device: "cyl-qech-1", Litres: 60 * plant.LitresPerCylinder, At: mw("2026-11-29 16:00")},
	} {
		_, err := reg.RecordStock(ctx, s)
		must(err)
	}
	type wo struct {
		dev, fault, opened, closed, restored, cause string
	}
	for _, w := range []wo{
		{"psa-mzuzu-1", "other", "2026-10-05 08:00", "2026-10-05 12:00", "", "other"}, // closed in October: not counted
		{"psa-mzuzu-1", "compressor_fault", "2026-11-10 06:30", "2026-11-10 17:00", "2026-11-10 16:00", "compressor_fault: worn piston rings"},
		{"psa-kch-1", "mains_loss", "2026-11-20 02:00", "2026-11-21 14:00", "2026-11-21 12:00", "mains_loss"},
		{"conc-kch-2", "other", "2026-11-18 09:00", "", "", ""}, // still open
		{"psa-qech-1", "dryer_fault", "2026-11-05 10:00", "2026-11-06 09:00", "2026-11-05 14:00", "dryer_fault"},
		{"conc-qech-1", "other", "2026-10-28 08:00", "2026-11-02 11:00", "2026-11-02 10:00", "Rats ate the power cable"},
		{"psa-qech-1", "low_purity", "2026-12-01 08:00", "", "", ""}, // after the month
	} {
		opened, _, err := reg.OpenWorkOrder(ctx, plant.WorkOrder{Device: plant.DeviceID(w.dev), OpenedAt: mw(w.opened), Fault: w.fault, OpenedBy: "token:eng"})
		must(err)
		if w.closed == "" {
			continue
		}
		c := plant.WorkOrderClose{ClosedAt: mw(w.closed), Cause: w.cause, ClosedBy: "token:eng"}
		if w.restored != "" {
			c.RestoredAt = mw(w.restored)
		}
		_, err = reg.CloseWorkOrder(ctx, opened.ID, c)
		must(err)
	}
	return reg
}

// TestGoldenNationalMonthly renders the national monthly report (HTML and
// CSV by region) from the real registry and influxd, and checks its key
// figures against values worked out by hand here, not from the golden.
func TestGoldenNationalMonthly(t *testing.T) {
	if testing.Short() {
		t.Skip("needs influxd")
	}
	ctx := context.Background()
	tls := nationalTimelines()
	prod := influxProduction(t, nationalLines(tls))
	r := New(nationalRegistry(t), tls, prod, Options{Loc: blantyre(), Now: fixedNow(mw("2026-12-02 08:00")),
		OutageListMin: 30 * time.Minute, LitresPerBed: 2.5, MaxReadingGap: time.Hour})
	f, err := r.Fleet(ctx, Month(2026, time.November, blantyre()), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.LoadProduction(ctx, f); err != nil {
		t.Fatal(err)
	}
	page := MonthlyPage("Malawi Ministry of Health – National Oxygen Programme", f, nil)
	checkNationalByHand(t, page)

	var html, csv bytes.Buffer
	if err := page.WriteHTML(&html); err != nil {
		t.Fatal(err)
	}
	if err := page.WriteCSV(&csv, CSVHeaders{}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Repairs (work orders)", "Rats ate the power cable (1)", "mains power lost (1)", "compressor fault (1)",
		"42.4 h", "mean time to repair, from work orders (4 closed)"} {
		if !strings.Contains(html.String(), want) {
			t.Errorf("the HTML report lacks %q", want)
		}
	}
	golden(t, "monthly-national.html", html.Bytes())
	golden(t, "monthly-national.csv", csv.Bytes())
	checkNationalDHIS2(t, r, f.Period)

	// The same report as a ministry reads it in French or Portuguese: the
	// repairs, supply and census sections too, not only the uptime ones.
	for _, tc := range []struct {
		lang i18n.Lang
		want []string
	}{
		{i18n.French, []string{`<html lang="fr">`, "42,4 h"}},
		{i18n.Portuguese, []string{`<html lang="pt">`, "42,4 h"}},
	} {
		page.Lang = tc.lang
		var b bytes.Buffer
		if err := page.WriteHTML(&b); err != nil {
			t.Fatal(err)
		}
		for _, w := range tc.want {
			if !strings.Contains(b.String(), w) {
				t.Errorf("the %s national report lacks %q", tc.lang, w)
			}
		}
		noEnglishLeft(t, tc.lang, b.String())
		golden(t, "monthly-national."+string(tc.lang)+".html", b.Bytes())
	}
}

// checkNationalDHIS2: the work-order indicators per facility.
func checkNationalDHIS2(t *testing.T, r *Reporter, p Period) {
	t.Helper()
	m := &dhis2.Mapping{DataElements: map[string]dhis2.Target{}}
	for _, ind := range []string{"mttr_hours", "work_orders_closed", "work_orders_open", "failures_without_work_order"} {
		m.DataElements[ind] = dhis2.Target{DataElement: "Xh4kQ2mUuLd"}
	}
	values, err := (&DHIS2Exporter{Reporter: r, Mapping: m}).values(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, v := range values {
		got[v.Facility+"/"+v.Indicator] = v.Value
	}
	want := map[string]float64{
		"mzuzu/mttr_hours": 9.5, "mzuzu/work_orders_closed": 1, "mzuzu/work_orders_open": 0, "mzuzu/failures_without_work_order": 0,
		"kch/mttr_hours": 34, "kch/work_orders_closed": 1, "kch/work_orders_open": 1, "kch/failures_without_work_order": 1,
		"qech/mttr_hours": 63, "qech/work_orders_closed": 2, "qech/work_orders_open": 0, "qech/failures_without_work_order": 1,
	}
	if !maps.Equal(got, want) {
		t.Errorf("DHIS2 values %v, want %v", got, want)
	}
}

// checkNationalByHand: the figures of the fixture, worked out by hand.
func checkNationalByHand(t *testing.T, p *Page) {
	t.Helper()
	// MTTR = restored_at − opened_at over the work orders closed in
	// November: 9.5 h (Mzuzu compressor: 06:30 → 16:00), 34 h (Kamuzu
	// mains: 20th 02:00 → 21st 12:00), 4 h (QECH dryer) and 122 h (QECH
	// concentrator: 28 Oct 08:00 → 2 Nov 10:00, closed in November).
	// The October work order and the one opened on 1 December do not count.
	mttr := (9.5 + 34 + 4 + 122) / 4.0
	rep := p.Repairs
	if rep == nil {
		t.Fatal("no repairs section, though the registry keeps work orders")
	}
	tot := rep.Total
	if tot.MTTRH == nil || *tot.MTTRH != mttr || tot.WorkOrdersClosed != 4 || tot.WorkOrdersOpen != 1 {
		t.Errorf("national repairs: MTTR %v h over %d closed, %d open; want %v h over 4, 1 open", deref(tot.MTTRH), tot.WorkOrdersClosed, tot.WorkOrdersOpen, mttr)
	}
	// failures: outages of at least 30 min: Mzuzu 1, Kamuzu 2 (the 1 h one
	// without a work order), QECH 3: the plant's, and the concentrator's
	// two (the one still going without a work order)
	if tot.Failures != 6 || tot.FailuresWithoutWorkOrder != 2 {
		t.Errorf("failures %d, without a work order %d; want 6 and 2", tot.Failures, tot.FailuresWithoutWorkOrder)
	}
	for region, want := range map[string]float64{"Northern": 9.5, "Central": 34, "Southern": (4 + 122) / 2.0} {
		row := rowOf(rep.Items, &rep.Total, region, func(r RepairRow) string { return r.Key })
		if row == nil || row.MTTRH == nil || *row.MTTRH != want {
			t.Errorf("%s MTTR: got %+v, want %v h", region, row, want)
		}
	}
	if len(tot.TopCauses) != 3 || tot.TopCauses[0].Label != "Rats ate the power cable" || tot.TopCauses[1].Cause != "mains_loss" || tot.TopCauses[2].Cause != "compressor_fault" {
		t.Errorf("top causes: %+v; want the 122 h, 34 h and 9.5 h ones", tot.TopCauses)
	}

	// functional rate by source at the month's end: measured (telemetry)
	// 5 of 6 functional (conc-qech-1 ended the month down); reported 2 of
	// 3 (conc-kch-2 non-functional); conc-kch-3 and the cylinder bank
	// unknown; together 7 of 9
	c := p.Census.Total.Functionality
	round2 := func(v float64) float64 { return math.Round(v*100) / 100 }
	if c.Devices != 11 || c.Unknown != 2 || deref(c.FunctionalPct) != round2(700.0/9) ||
		deref(FunctionalPctOf(c.Measured)) != round2(500.0/6) || deref(FunctionalPctOf(c.Reported)) != round2(200.0/3) {
		t.Errorf("functionality: %+v measured %v reported %v; want 11 devices, 2 unknown, 77.78 %% (83.33 measured, 66.67 reported)",
			c, deref(FunctionalPctOf(c.Measured)), deref(FunctionalPctOf(c.Reported)))
	}

	// capacity: rated flow × share of the 720 h operational, against
	// demand 300 + 600 + 500 = 1,400 L/min
	avail := 500*710/720.0 + 10 + 1000*683/720.0 + 750*716/720.0 + 10*614/720.0
	s := p.Supply.Total
	if s.AvailableLPM != math.Round(avail*10)/10 || deref(s.DemandLPM) != 1400.0 || deref(s.CapacityCoveragePct) != round2(100*s.AvailableLPM/1400) {
		t.Errorf("capacity: available %v of demand %v (%v %%); want %.1f of 1400", s.AvailableLPM, deref(s.DemandLPM), deref(s.CapacityCoveragePct), avail)
	}
	// production: running hours × L/min × 60 ÷ 1000, against 1,400 L/min
	// over 30 days = 60,480 m3
	produced := (710*300 + 720*5 + 683*600 + 716*450 + 614*8) * 60 / 1000.0
	if math.Abs(s.ProducedM3-produced) > 1e-6 || deref(s.ProductionCoveragePct) != round2(100*produced/60480) {
		t.Errorf("produced %v m3 (%v %%), want %v m3", s.ProducedM3, deref(s.ProductionCoveragePct), produced)
	}
	// the LOX tank supplied 100 L/min all month (144 m3 a day): its
	// 2,880,000 L last 20 days
	central := rowOf(p.Supply.Items, &p.Supply.Total, "Central", func(r SupplyRow) string { return r.Key })
	if central == nil || central.FromStorageM3 != 4320 || deref(central.AutonomyDays) != 20.0 {
		t.Errorf("Central storage: %+v; want 4,320 m3 supplied and 20 days of autonomy", central)
	}
}
