package report

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/oxywatch/oxywatch/internal/influx"
	"github.com/oxywatch/oxywatch/internal/plant"
	"github.com/oxywatch/oxywatch/internal/testenv"
)

// TestProductionInflux writes readings to a real influxd and checks the
// figures worked out by hand in the comments, read through the
// application's InfluxDB client (influx.Client.Production).
func TestProductionInflux(t *testing.T) {
	if testing.Short() {
		t.Skip("needs influxd")
	}
	in := testenv.StartInfluxd(t, "oxywatch")
	// the app's store client, as production wires it
	src := influx.New(influx.Options{URL: in.URL, Bucket: "oxywatch/autogen"})
	defer src.Close()
	ctx := context.Background()
	if err := src.Write(ctx, productionLines()...); err != nil {
		t.Fatal(err)
	}
	loc := kampala()
	from := time.Date(2026, 11, 1, 0, 0, 0, 0, loc)
	q := ProductionQuery{From: from, To: from.AddDate(0, 0, 2), Loc: loc, MaxGap: 5 * time.Minute}
	for _, devices := range [][]plant.DeviceID{nil, {"psa-1", "conc-2"}} {
		q.Devices = devices
		got, err := src.Production(ctx, q)
		if err != nil {
			t.Fatalf("devices %v: %v", devices, err)
		}
		checkProduction(t, got)
	}
	checkSupplyFromInflux(t, src, q)
}

// checkSupplyFromInflux runs a whole supply report over the readings of
// productionLines, 1 to 2 November in Kampala.
func checkSupplyFromInflux(t *testing.T, src ProductionSource, q ProductionQuery) {
	t.Helper()
	reg := &fakeRegistry{
		devices: []plant.Device{
			{ID: "psa-1", Kind: plant.KindPSA, Facility: "mulago", Region: "central", Country: "UG", RatedFlowLPM: 500, Status: plant.StatusOperational},
			{ID: "conc-2", Kind: plant.KindConcentrator, Facility: "mulago", Region: "central", Country: "UG", RatedFlowLPM: 10, Status: plant.StatusDown},
		},
		facilities: []plant.Facility{{ID: "mulago", Name: "Mulago", Region: "central", Country: "UG", Beds: 10}},
	}
	// available capacity comes from the period's own timelines: the plant
	// ran the whole two days, the concentrator was down
	tls := mapTimelines{
		"psa-1":  {{Device: "psa-1", Status: plant.StatusOperational, Start: q.From, End: q.To}},
		"conc-2": {{Device: "conc-2", Status: plant.StatusDown, Start: q.From, End: q.To, Cause: "state:fault"}},
	}
	r := New(reg, tls, src, Options{Loc: q.Loc, Now: fixedNow(q.To.AddDate(0, 1, 0)), LitresPerBed: 2.5, MaxReadingGap: q.MaxGap})
	rep, err := r.Supply(context.Background(), Query{Period: Period{From: q.From, To: q.To, Loc: q.Loc}, Group: GroupFacility})
	if err != nil {
		t.Fatal(err)
	}
	// 1.6 + 0.005 m3 and 7 cylinders; demand 10 beds × 2.5 L/min = 25 L/min,
	// 72 m3 over two days; each device produced nothing on one of the days.
	// In 6,800 L cylinders: 1,605 L / 6,800 / 2 days = 0.12 a day produced,
	// 25 × 1,440 / 6,800 = 5.29 a day needed. The plant's telemetry shows
	// it functional, the concentrator's non-functional: 50 %.
	want := SupplyRow{Key: "mulago", Name: "Mulago", Region: "central", Country: "UG", Devices: 2,
		RatedLPM: 510, AvailableLPM: 500, ProducedM3: 1.605, CylindersFilled: 7, CylindersPerDay: 3.5,
		DemandLPM: f64(25), DemandM3: f64(72), CapacityCoveragePct: f64(2000), ProductionCoveragePct: f64(2.23), IdleDeviceDays: 2,
		DemandBasis: DemandFromBeds, ProducedCylEqPerDay: 0.12, DemandCylEqPerDay: f64(5.29),
		Functionality: Functionality{Devices: 2, Measured: FunctionalCounts{Functional: 1, NonFunctional: 1}, FunctionalPct: f64(50)}}
	if len(rep.Items) != 1 || !reflect.DeepEqual(rep.Items[0], want) {
		t.Errorf("supply:\ngot  %+v\nwant %+v", rep.Items, want)
	}
}

func checkProduction(t *testing.T, got map[plant.DeviceID]Production) {
	t.Helper()
	psa := got["psa-1"]
	// 11 running readings a minute apart at 100 L/min: 1.1 m3; the reading
	// after a 50 min gap counts 5 min: 0.5 m3; standby counts nothing.
	if !near(psa.M3, 1.6) || !near(psa.Cylinders, 7) {
		t.Errorf("psa-1: got %g m3 and %g cylinders, want 1.6 and 7", psa.M3, psa.Cylinders)
	}
	if len(psa.Days) != 2 || psa.Days[0].Day != "2026-11-01" || !near(psa.Days[0].M3, 1.6) || !near(psa.Days[0].Cylinders, 5) ||
		psa.Days[1].Day != "2026-11-02" || !near(psa.Days[1].M3, 0) || !near(psa.Days[1].Cylinders, 2) {
		t.Errorf("psa-1 days: got %+v", psa.Days)
	}
	conc := got["conc-2"]
	// the first reading has no predecessor; the second counts 1 min at 5 L/min
	if !near(conc.M3, 0.005) || len(conc.Days) != 1 || conc.Days[0].Day != "2026-11-02" {
		t.Errorf("conc-2: got %+v", conc)
	}
	if _, ok := got["elsewhere"]; ok {
		t.Error("a reading after the period was counted")
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func productionLines() []string {
	tags := "o2_reading,country=UG,device=%s,facility=mulago,kind=%s,region=central "
	line := func(dev, kind, fields, at string) string {
		return fmt.Sprintf(tags+"%s %d", dev, kind, fields, utc(at).UnixMilli()) // the client writes milliseconds
	}
	lines := []string{
		line("psa-1", "psa", "cylinders_filled=100", "2026-10-31 20:00"),
		line("psa-1", "psa", `flow_lpm=100,state="running"`, "2026-10-31 20:59"),
	}
	for m := range 11 {
		at := utc("2026-10-31 21:00").Add(time.Duration(m) * time.Minute).Format("2006-01-02 15:04")
		lines = append(lines, line("psa-1", "psa", `flow_lpm=100,purity_pct=93.5,state="running"`, at))
	}
	return append(lines,
		line("psa-1", "psa", "cylinders_filled=102", "2026-10-31 21:05"),
		line("psa-1", "psa", `flow_lpm=100,state="running",cylinders_filled=105`, "2026-10-31 22:00"),
		line("psa-1", "psa", `flow_lpm=100,state="standby"`, "2026-10-31 22:01"),
		line("psa-1", "psa", "cylinders_filled=107", "2026-11-02 05:00"),
		line("conc-2", "concentrator", "flow_lpm=5", "2026-11-02 10:00"),
		line("conc-2", "concentrator", "flow_lpm=5", "2026-11-02 10:01"),
		line("elsewhere", "psa", `flow_lpm=100,state="running"`, "2026-11-02 21:00"),
		line("elsewhere", "psa", `flow_lpm=100,state="running"`, "2026-11-02 21:01"),
	)
}
