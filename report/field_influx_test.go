package report

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/oxywatch/oxywatch/internal/influx"
	"github.com/oxywatch/oxywatch/internal/plant"
	"github.com/oxywatch/oxywatch/internal/testenv"
)

// TestStorageAutonomyFromInflux: a LOX tank's outflow comes from its flow
// readings in a real influxd, and its days of autonomy from the stock an
// engineer counted.
func TestStorageAutonomyFromInflux(t *testing.T) {
	if testing.Short() {
		t.Skip("needs influxd")
	}
	in := testenv.StartInfluxd(t, "oxywatch")
	client := influx.New(influx.Options{URL: in.URL, Bucket: "oxywatch/autogen"})
	defer client.Close()
	ctx := context.Background()
	loc := kampala()
	day := Period{From: time.Date(2026, 11, 5, 0, 0, 0, 0, loc), To: time.Date(2026, 11, 6, 0, 0, 0, 0, loc), Loc: loc}
	// 61 readings a minute apart at 40 L/min, no state (a tank has none),
	// stamped in milliseconds as the client writes them:
	// 60 min × 40 L = 2,400 L drawn in the day
	var lines []string
	for m := range 61 {
		at := day.From.Add(8*time.Hour + time.Duration(m)*time.Minute)
		lines = append(lines, fmt.Sprintf("o2_reading,device=lox-9,facility=mulago,kind=lox_tank,region=central flow_lpm=40,tank_pressure_bar=9.5 %d", at.UnixMilli()))
	}
	if err := client.Write(ctx, lines...); err != nil {
		t.Fatal(err)
	}
	reg := &fakeRegistry{
		devices: []plant.Device{{ID: "lox-9", Kind: plant.KindLOXTank, Facility: "mulago", Region: "central", Country: "UG",
			CreatedAt: day.From.AddDate(0, -1, 0)}},
		facilities: []plant.Facility{{ID: "mulago", Name: "Mulago", Region: "central", Country: "UG", DemandLPM: 400}},
		stock:      []plant.StockRecord{{Device: "lox-9", Litres: 4800, At: day.From.Add(7 * time.Hour)}},
	}
	tls := mapTimelines{"lox-9": {{Device: "lox-9", Status: plant.StatusOperational, Start: day.From, End: day.To}}}
	r := New(reg, tls, client,
		Options{Loc: loc, Now: fixedNow(day.To.AddDate(0, 0, 1)), LitresPerBed: 2.5, MaxReadingGap: 5 * time.Minute})
	rep, err := r.Supply(ctx, Query{Period: day, Group: GroupFacility})
	if err != nil {
		t.Fatal(err)
	}
	row := rep.Items[0]
	// 4,800 L ÷ 2,400 L a day = 2 days, from the measured outflow (not
	// from the 400 L/min demand, which would give 0.01 days);
	// 2.4 m3 = 0.35 large cylinders a day
	if row.FromStorageM3 != 2.4 || deref(row.AutonomyDays) != 2.0 || row.AutonomyBasis != AutonomyFromOutflow || row.FromStorageCylEqPerDay != 0.35 {
		t.Errorf("got from storage %v m3 (%v cyl/day), autonomy %v days from %q; want 2.4, 0.35, 2, storage_outflow",
			row.FromStorageM3, row.FromStorageCylEqPerDay, deref(row.AutonomyDays), row.AutonomyBasis)
	}
}
