package report

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// TestLateBacklogFillsNoData runs one report before and one after a device's
// backlog reached the timeline. The day, 2026-11-01 UTC, hand-computed:
//
//	before: down 04-06 · silent 06-10 · down 10-12 · operational 12-24
//	        one outage (a silent gap shows no repair) of 4 h, repaired after 8 h
//	after:  the backlog shows the plant ran 06-10 at spec
//	        two outages of 2 h, each repaired after 2 h; no_data gone
//
// Hours before 04:00 are operational in both.
func TestLateBacklogFillsNoData(t *testing.T) {
	before := []plant.StatusInterval{
		iv(op, "2026-10-31 00:00", "2026-11-01 04:00", ""),
		iv(down, "2026-11-01 04:00", "2026-11-01 06:00", "power:none"),
		iv(down, "2026-11-01 10:00", "2026-11-01 12:00", "power:none"),
		iv(op, "2026-11-01 12:00", "", ""),
	}
	after := append(before[:2:2], append([]plant.StatusInterval{iv(op, "2026-11-01 06:00", "2026-11-01 10:00", "")}, before[2:]...)...)
	timeline := before
	src := TimelineFunc(func(_ context.Context, ids []plant.DeviceID, _, _ time.Time) (map[plant.DeviceID][]plant.StatusInterval, error) {
		return map[plant.DeviceID][]plant.StatusInterval{"psa-1": append([]plant.StatusInterval(nil), timeline...)}, nil
	})
	reg := &fakeRegistry{devices: []plant.Device{{ID: "psa-1", Region: "central"}}}
	r := reporter(reg, src, time.UTC, utc("2026-11-05 00:00"))
	q := Query{Period: Period{From: utc("2026-11-01 00:00"), To: utc("2026-11-02 00:00"), Loc: time.UTC}, Group: GroupDevice}
	type figures struct {
		Op, Down, NoData, Uptime, Coverage float64
		Outages, Repairs                   int
		Longest, MTTR                      float64
	}
	get := func() figures {
		t.Helper()
		rep, err := r.Uptime(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		x := rep.Items[0]
		return figures{x.OperationalH, x.DownH, x.NoDataH, *x.UptimePct, *x.DataCoveragePct, x.Outages, x.Repairs, x.LongestOutageH, *x.MTTRH}
	}
	// uptime of the 20 h with data: 16 / 20; the 4 silent hours are not held against the plant
	if got, want := get(), (figures{16, 4, 4, 80, 83.33, 1, 1, 4, 8}); got != want {
		t.Errorf("before the backlog:\ngot  %+v\nwant %+v", got, want)
	}
	timeline = after
	if got, want := get(), (figures{20, 4, 0, 83.33, 100, 2, 2, 2, 2}); got != want {
		t.Errorf("after the backlog:\ngot  %+v\nwant %+v", got, want)
	}
}

// TestMonthWithClockChange: report.time_zone draws months in local time, so a
// month in which the clocks go back is 745 h long (Egypt, October 2026), one
// in which they go forward 719 h (April 2026).
func TestMonthWithClockChange(t *testing.T) {
	cairo, err := time.LoadLocation("Africa/Cairo")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		month time.Month
		hours float64
	}{{time.October, 745}, {time.April, 719}}
	for _, tc := range tests {
		t.Run(tc.month.String(), func(t *testing.T) {
			reg := &fakeRegistry{devices: []plant.Device{{ID: "psa-1"}}}
			tls := mapTimelines{"psa-1": {iv(op, "2026-01-01 00:00", "", "")}}
			rep, err := reporter(reg, tls, cairo, utc("2027-01-01 00:00")).Uptime(context.Background(), Query{Period: Month(2026, tc.month, cairo), Group: GroupDevice})
			if err != nil {
				t.Fatal(err)
			}
			if got := rep.Items[0]; got.PeriodH != tc.hours || got.OperationalH != tc.hours || *got.UptimePct != 100 {
				t.Errorf("got period %g h, operational %g h, uptime %g, want %g h all operational", got.PeriodH, got.OperationalH, *got.UptimePct, tc.hours)
			}
		})
	}
}

// TestDeviceLifespanCuts: a device replaced mid-month. The old one is retired
// on the 10th at 12:00 while down; the new one is registered on the 10th at
// 12:00 and reports from 14:00. November 2026, UTC.
func TestDeviceLifespanCuts(t *testing.T) {
	reg := retiringRegistry{&fakeRegistry{
		devices: []plant.Device{{ID: "new", Facility: "f", CreatedAt: utc("2026-11-10 12:00")}},
		retired: []RetiredDevice{{Device: plant.Device{ID: "old", Facility: "f"}, RetiredAt: utc("2026-11-10 12:00")}},
	}}
	tls := mapTimelines{
		"old": {
			iv(op, "2026-10-01 00:00", "2026-11-09 00:00", ""),
			iv(down, "2026-11-09 00:00", "", "alarm:compressor_fault"), // never repaired: left open
		},
		"new": {iv(op, "2026-11-10 14:00", "", "")},
	}
	rep, err := reporter(reg, tls, time.UTC, utc("2027-01-01 00:00")).Uptime(context.Background(), Query{Period: Month(2026, time.November, time.UTC), Group: GroupFacility})
	if err != nil {
		t.Fatal(err)
	}
	// old: 9.5 days = 228 h, 192 operational and 36 down; new: 20.5 days =
	// 492 h, 2 no_data and 490 operational. The facility: 720 h, not 1440;
	// uptime 682 / 720, coverage 718 / 720.
	got := rep.Items[0]
	want := UptimeRow{Key: "f", Devices: 2, Retired: 1, PeriodH: 720, OperationalH: 682, DownH: 36, NoDataH: 2,
		UptimePct: f64(94.99), DataCoveragePct: f64(99.72), UptimeMinPct: f64(94.72), Outages: 1, OutageH: 36, LongestOutageH: 36,
		TopCauses: []CauseHours{{"alarm:compressor_fault", "compressor fault", 36}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	if len(rep.Outages) != 1 || !rep.Outages[0].End.IsZero() || !rep.Outages[0].Repaired.IsZero() {
		t.Errorf("want the old device's open outage, got %+v", rep.Outages)
	}
}

// TestSupplyPastPeriodCapacity (issue 17): a past month's available
// capacity comes from that month's timeline, weighted by time, not from the
// status when the report is run; a LOX tank's rated flow is not production
// capacity and what flows out of it is not oxygen produced.
func TestSupplyPastPeriodCapacity(t *testing.T) {
	dev := func(id string, kind plant.Kind, lpm float64, st plant.Status) plant.Device {
		return plant.Device{ID: plant.DeviceID(id), Kind: kind, Country: "UG", RatedFlowLPM: lpm, Status: st}
	}
	reg := &fakeRegistry{devices: []plant.Device{
		// down now, but ran all of November
		dev("ran-all-month", plant.KindPSA, 100, plant.StatusDown),
		// operational now, but failed on 16 November until December
		dev("failed-mid-month", plant.KindPSA, 60, plant.StatusOperational),
		// 6 days silent: unknown capacity is not available capacity
		dev("silent-a-week", plant.KindConcentrator, 10, ""),
		dev("lox", plant.KindLOXTank, 3000, plant.StatusOperational),
	}}
	tls := mapTimelines{
		"ran-all-month":    {iv(op, "2026-10-01 00:00", "2026-12-05 00:00", ""), iv(down, "2026-12-05 00:00", "", "state:fault")},
		"failed-mid-month": {iv(op, "2026-10-01 00:00", "2026-11-16 00:00", ""), iv(down, "2026-11-16 00:00", "2026-12-02 00:00", "state:fault"), iv(op, "2026-12-02 00:00", "", "")},
		"silent-a-week":    {iv(op, "2026-10-01 00:00", "2026-11-10 00:00", ""), iv(op, "2026-11-16 00:00", "", "")},
		"lox":              {iv(op, "2026-10-01 00:00", "", "")},
	}
	prod := ProductionFunc(func(context.Context, ProductionQuery) (map[plant.DeviceID]Production, error) {
		return map[plant.DeviceID]Production{"ran-all-month": {M3: 4000}, "lox": {M3: 900}}, nil
	})
	r := New(reg, tls, prod, Options{Loc: time.UTC, Now: fixedNow(utc("2026-12-10 12:00"))})
	rep, err := r.Supply(context.Background(), Query{Period: Month(2026, time.November, time.UTC), Group: GroupCountry})
	if err != nil {
		t.Fatal(err)
	}
	got := rep.Items[0]
	// 100 × 30/30 + 60 × 15/30 + 10 × 24/30
	if got.RatedLPM != 170 || got.AvailableLPM != 138 || got.Devices != 3 || got.StorageDevices != 1 {
		t.Errorf("got rated %g, available %g, %d sources, %d storage; want 170, 138, 3, 1", got.RatedLPM, got.AvailableLPM, got.Devices, got.StorageDevices)
	}
	if got.ProducedM3 != 4000 || got.FromStorageM3 != 900 {
		t.Errorf("got produced %g, from storage %g; want 4000 and 900", got.ProducedM3, got.FromStorageM3)
	}
}
