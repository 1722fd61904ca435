package report

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/oxywatch/oxywatch/internal/plant"
)

const (
	op    = plant.StatusOperational
	deg   = plant.StatusDegraded
	down  = plant.StatusDown
	maint = plant.StatusMaintenance
)

// novemberTimeline has hand-computed figures for November 2026 in UTC:
// operational 216+228+210 = 654 h, degraded 24+2 = 26 h, down 6+4+3+1 = 14 h,
// maintenance 24 h, no_data 2 h (the gap on the 10th): 720 h in all.
func novemberTimeline() []plant.StatusInterval {
	return []plant.StatusInterval{
		iv(op, "2026-10-31 20:00", "2026-11-10 00:00", ""),
		iv(down, "2026-11-10 00:00", "2026-11-10 06:00", "power:none"),
		// 06:00-08:00 no telemetry: no_data, and the outage goes on
		iv(down, "2026-11-10 08:00", "2026-11-10 12:00", "alarm:compressor_fault"),
		iv(op, "2026-11-10 12:00", "2026-11-20 00:00", ""),
		iv(maint, "2026-11-20 00:00", "2026-11-21 00:00", "state:maintenance"),
		iv(deg, "2026-11-21 00:00", "2026-11-22 00:00", "low_purity"),
		iv(down, "2026-11-22 00:00", "2026-11-22 03:00", "state:fault"),
		iv(deg, "2026-11-22 03:00", "2026-11-22 05:00", "low_purity"),
		iv(down, "2026-11-22 05:00", "2026-11-22 06:00", "state:fault"),
		iv(op, "2026-11-22 06:00", "2026-12-03 00:00", ""),
	}
}

func f64(v float64) *float64 { return &v }

func reporter(reg Registry, tl TimelineSource, loc *time.Location, now time.Time) *Reporter {
	return New(reg, tl, nil, Options{Loc: loc, Now: fixedNow(now), BatchSize: 2, OutageListMin: time.Hour})
}

func TestUptimeHandComputed(t *testing.T) {
	reg := &fakeRegistry{
		devices:    []plant.Device{{ID: "psa-1", Kind: plant.KindPSA, Facility: "mulago", Region: "central", Country: "UG"}},
		facilities: []plant.Facility{{ID: "mulago", Name: "Mulago NRH", Region: "central", Country: "UG"}},
	}
	r := reporter(reg, mapTimelines{"psa-1": novemberTimeline()}, time.UTC, utc("2027-01-01 00:00"))
	rep, err := r.Uptime(context.Background(), Query{Period: Month(2026, time.November, time.UTC), Group: GroupDevice})
	if err != nil {
		t.Fatal(err)
	}
	want := UptimeRow{
		Key: "psa-1", Name: "psa", Facility: "mulago", Region: "central", Country: "UG", Devices: 1,
		PeriodH: 720, OperationalH: 654, DegradedH: 26, DownH: 14, MaintenanceH: 24, NoDataH: 2,
		UptimePct:       f64(94.24), // 654 / (720 - 24 - 2): hours with data, outside maintenance
		DataCoveragePct: f64(99.72), // 718 / 720
		UptimeMinPct:    f64(93.97), // 654 / (720 - 24): silence counted as not up
		Outages:         3, OutageH: 14, LongestOutageH: 10,
		Repairs: 2, MTTRH: f64(9), // (12 h + 6 h) / 2
		TopCauses: []CauseHours{{"power:none", "mains power lost", 6}, {"alarm:compressor_fault", "compressor fault", 4}, {"state:fault", "fault reported by the device", 4}},
	}
	if len(rep.Items) != 1 {
		t.Fatalf("got %d rows, want 1", len(rep.Items))
	}
	if got := rep.Items[0]; !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	wantOutages := []Outage{
		{Device: "psa-1", Facility: "mulago", Region: "central", Start: utc("2026-11-10 00:00"), End: utc("2026-11-10 12:00"), DownH: 10, Cause: "power:none", Repaired: utc("2026-11-10 12:00")},
		{Device: "psa-1", Facility: "mulago", Region: "central", Start: utc("2026-11-22 00:00"), End: utc("2026-11-22 03:00"), DownH: 3, Cause: "state:fault"},
		{Device: "psa-1", Facility: "mulago", Region: "central", Start: utc("2026-11-22 05:00"), End: utc("2026-11-22 06:00"), DownH: 1, Cause: "state:fault", Repaired: utc("2026-11-22 06:00")},
	}
	if !reflect.DeepEqual(rep.Outages, wantOutages) {
		t.Errorf("outages:\ngot  %+v\nwant %+v", rep.Outages, wantOutages)
	}
}

func TestUptimeCutAtPeriodBounds(t *testing.T) {
	tests := []struct {
		name   string
		from   string
		to     string
		opH    float64
		downH  float64
		period float64
	}{
		{"first day", "2026-11-01 00:00", "2026-11-02 00:00", 24, 0, 24},
		{"inside an interval", "2026-11-03 06:30", "2026-11-03 07:00", 0.5, 0, 0.5},
		{"across the first outage", "2026-11-09 23:00", "2026-11-10 03:00", 1, 3, 4},
		{"cut in the middle of down", "2026-11-10 02:00", "2026-11-10 05:00", 0, 3, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			reg := &fakeRegistry{devices: []plant.Device{{ID: "psa-1", Facility: "mulago"}}}
			r := reporter(reg, mapTimelines{"psa-1": novemberTimeline()}, time.UTC, utc("2027-01-01 00:00"))
			p := Period{From: utc(tc.from), To: utc(tc.to), Loc: time.UTC}
			rep, err := r.Uptime(context.Background(), Query{Period: p, Group: GroupDevice})
			if err != nil {
				t.Fatal(err)
			}
			got := rep.Items[0]
			if got.OperationalH != tc.opH || got.DownH != tc.downH || got.PeriodH != tc.period {
				t.Errorf("got operational %g down %g period %g, want %g %g %g", got.OperationalH, got.DownH, got.PeriodH, tc.opH, tc.downH, tc.period)
			}
		})
	}
}

func TestUptimeMaintenanceAndNoData(t *testing.T) {
	tests := []struct {
		name     string
		tl       []plant.StatusInterval
		uptime   *float64
		coverage *float64
		noData   float64
		down     float64
	}{
		{
			name: "maintenance leaves the denominator",
			tl: []plant.StatusInterval{
				iv(op, "2026-11-01 00:00", "2026-11-01 12:00", ""),
				iv(maint, "2026-11-01 12:00", "2026-11-02 00:00", ""),
			},
			uptime: f64(100), coverage: f64(100),
		},
		{
			name: "silence is no_data, not down",
			tl: []plant.StatusInterval{
				iv(op, "2026-11-01 00:00", "2026-11-01 06:00", ""),
				iv(down, "2026-11-01 18:00", "2026-11-02 00:00", "offline"),
			},
			// 6 h up of the 12 h with data; the 12 silent hours are coverage's business
			uptime: f64(50), coverage: f64(50), noData: 12, down: 6,
		},
		{
			name:     "all maintenance has no uptime",
			tl:       []plant.StatusInterval{iv(maint, "2026-10-30 00:00", "", "")},
			uptime:   nil,
			coverage: f64(100),
		},
		{
			name:     "no timeline at all has no uptime, not 0 %",
			uptime:   nil,
			coverage: f64(0),
			noData:   24,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			reg := &fakeRegistry{devices: []plant.Device{{ID: "c-1"}}}
			r := reporter(reg, mapTimelines{"c-1": tc.tl}, time.UTC, utc("2027-01-01 00:00"))
			p := Period{From: utc("2026-11-01 00:00"), To: utc("2026-11-02 00:00"), Loc: time.UTC}
			rep, err := r.Uptime(context.Background(), Query{Period: p, Group: GroupDevice})
			if err != nil {
				t.Fatal(err)
			}
			got := rep.Items[0]
			if !reflect.DeepEqual(got.UptimePct, tc.uptime) || !reflect.DeepEqual(got.DataCoveragePct, tc.coverage) {
				t.Errorf("got uptime %v coverage %v, want %v %v", deref(got.UptimePct), deref(got.DataCoveragePct), deref(tc.uptime), deref(tc.coverage))
			}
			if got.NoDataH != tc.noData || got.DownH != tc.down {
				t.Errorf("got no_data %g down %g, want %g %g", got.NoDataH, got.DownH, tc.noData, tc.down)
			}
		})
	}
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

// In Africa/Kampala (UTC+3) November 2026 runs from 2026-10-31 21:00 UTC to
// 2026-11-30 21:00 UTC.
func TestUptimeMonthBoundaryKampala(t *testing.T) {
	tl := []plant.StatusInterval{
		iv(down, "2026-10-31 18:00", "2026-10-31 22:00", "power:none"),
		iv(op, "2026-10-31 22:00", "2026-11-30 20:00", ""),
		iv(down, "2026-11-30 20:00", "2026-12-01 02:00", "power:none"),
	}
	tests := []struct {
		name            string
		loc             *time.Location
		op, down, noDat float64
		outages         int
	}{
		{"Kampala", kampala(), 718, 2, 0, 2}, // down 21-22 UTC on the 31st and 20-21 UTC on the 30th
		{"UTC", time.UTC, 716, 4, 0, 1},      // down 20:00 to 24:00 on the 30th
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			reg := &fakeRegistry{devices: []plant.Device{{ID: "psa-1"}}}
			r := reporter(reg, mapTimelines{"psa-1": tl}, tc.loc, utc("2027-01-01 00:00"))
			p, err := ParseMonthPeriod("202611", tc.loc)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := r.Uptime(context.Background(), Query{Period: p, Group: GroupDevice})
			if err != nil {
				t.Fatal(err)
			}
			got := rep.Items[0]
			if got.OperationalH != tc.op || got.DownH != tc.down || got.NoDataH != tc.noDat || got.PeriodH != 720 {
				t.Errorf("got op %g down %g no_data %g period %g, want %g %g %g 720", got.OperationalH, got.DownH, got.NoDataH, got.PeriodH, tc.op, tc.down, tc.noDat)
			}
			if got.Outages != tc.outages {
				t.Errorf("got %d outages, want %d", got.Outages, tc.outages)
			}
		})
	}
	if p := Month(2026, time.November, kampala()); !p.From.Equal(utc("2026-10-31 21:00")) || !p.To.Equal(utc("2026-11-30 21:00")) {
		t.Errorf("Kampala November is %s to %s", p.From.UTC(), p.To.UTC())
	}
}

func TestUptimeDevicesAddedAndRetired(t *testing.T) {
	base := &fakeRegistry{
		devices: []plant.Device{
			// added on the 15th; its first telemetry came at 06:00
			{ID: "new", Region: "north", CreatedAt: utc("2026-11-15 00:00")},
			// added after the period: not in the report
			{ID: "later", Region: "north", CreatedAt: utc("2026-12-05 00:00")},
		},
		retired: []RetiredDevice{{Device: plant.Device{ID: "old", Region: "north"}, RetiredAt: utc("2026-11-11 00:00")}},
	}
	tls := mapTimelines{
		"new": {iv(op, "2026-11-15 06:00", "", "")},
		"old": {iv(op, "2026-10-01 00:00", "2026-11-10 00:00", ""), iv(down, "2026-11-10 00:00", "", "offline")},
	}
	r := reporter(retiringRegistry{base}, tls, time.UTC, utc("2027-01-01 00:00"))
	rep, err := r.Uptime(context.Background(), Query{Period: Month(2026, time.November, time.UTC), Group: GroupRegion})
	if err != nil {
		t.Fatal(err)
	}
	got := rep.Items[0]
	// new: 16 days = 384 h, 6 h no_data, 378 h operational; old: 10 days = 240 h
	// operational and 24 h down before retirement.
	if got.Devices != 2 || got.Retired != 1 || got.PeriodH != 384+240 || got.OperationalH != 378+216 || got.DownH != 24 || got.NoDataH != 6 {
		t.Errorf("got %+v", got)
	}
	if want := round(100*594.0/(624-6), 2); *got.UptimePct != want {
		t.Errorf("got uptime %g, want %g", *got.UptimePct, want)
	}
}

func TestUptimeGroupSumsHours(t *testing.T) {
	reg := &fakeRegistry{
		devices: []plant.Device{
			{ID: "a", Facility: "f1", Region: "central", Country: "UG"},
			{ID: "b", Facility: "f1", Region: "central", Country: "UG"},
			{ID: "c", Facility: "f2", Region: "west", Country: "UG"},
		},
		facilities: []plant.Facility{{ID: "f1", Name: "One"}, {ID: "f2", Name: "Two"}},
	}
	tls := mapTimelines{
		"a": {iv(op, "2026-11-01 00:00", "2026-11-02 00:00", "")},
		"b": {iv(op, "2026-11-01 00:00", "2026-11-01 06:00", ""), iv(maint, "2026-11-01 06:00", "2026-11-02 00:00", "")},
		"c": {iv(down, "2026-11-01 00:00", "2026-11-02 00:00", "power:none")},
	}
	r := reporter(reg, tls, time.UTC, utc("2027-01-01 00:00"))
	p := Period{From: utc("2026-11-01 00:00"), To: utc("2026-11-02 00:00"), Loc: time.UTC}
	rep, err := r.Uptime(context.Background(), Query{Period: p, Group: GroupCountry})
	if err != nil {
		t.Fatal(err)
	}
	got := rep.Items[0]
	// summed hours: operational 30, maintenance 18, period 72: 30 / 54, not the
	// mean of the devices' percentages (100, 100, 0).
	if got.Key != "UG" || got.OperationalH != 30 || got.MaintenanceH != 18 || *got.UptimePct != 55.56 {
		t.Errorf("got %+v", got)
	}
	if !reflect.DeepEqual(rep.Total.UptimePct, got.UptimePct) {
		t.Errorf("total uptime %v differs from the only group's %v", deref(rep.Total.UptimePct), deref(got.UptimePct))
	}
	fac, _ := r.Uptime(context.Background(), Query{Period: p, Group: GroupFacility})
	if len(fac.Items) != 2 || fac.Items[0].Name != "One" || fac.Items[0].Devices != 2 || *fac.Items[0].UptimePct != 100 {
		t.Errorf("facility rows %+v", fac.Items)
	}
}

func TestUptimeEndsNow(t *testing.T) {
	reg := &fakeRegistry{devices: []plant.Device{{ID: "a"}}}
	tls := mapTimelines{"a": {iv(op, "2026-11-01 00:00", "2026-11-03 00:00", ""), iv(down, "2026-11-03 00:00", "", "state:fault")}}
	r := reporter(reg, tls, time.UTC, utc("2026-11-03 12:00"))
	rep, err := r.Uptime(context.Background(), Query{Period: Month(2026, time.November, time.UTC), Group: GroupDevice})
	if err != nil {
		t.Fatal(err)
	}
	got := rep.Items[0]
	if got.PeriodH != 60 || got.DownH != 12 || got.Repairs != 0 || got.MTTRH != nil {
		t.Errorf("got %+v", got)
	}
	if len(rep.Outages) != 1 || !rep.Outages[0].End.IsZero() {
		t.Errorf("want one open outage, got %+v", rep.Outages)
	}
}

func TestUptimeUnsortedAndOverlapping(t *testing.T) {
	reg := &fakeRegistry{devices: []plant.Device{{ID: "a"}}}
	tls := mapTimelines{"a": {
		iv(down, "2026-11-01 10:00", "2026-11-01 14:00", "x"),
		iv(op, "2026-11-01 00:00", "2026-11-01 12:00", ""), // overlaps the down: the earlier start wins
		iv(op, "2026-11-01 14:00", "2026-11-02 00:00", ""),
	}}
	r := reporter(reg, tls, time.UTC, utc("2027-01-01 00:00"))
	p := Period{From: utc("2026-11-01 00:00"), To: utc("2026-11-02 00:00"), Loc: time.UTC}
	rep, err := r.Uptime(context.Background(), Query{Period: p, Group: GroupDevice})
	if err != nil {
		t.Fatal(err)
	}
	got := rep.Items[0]
	if got.OperationalH != 22 || got.DownH != 2 || got.PeriodH != 24 {
		t.Errorf("got op %g down %g period %g, want 22 2 24", got.OperationalH, got.DownH, got.PeriodH)
	}
}

// TestHistoryBeforeRegistration (issue 17): a plant that ran two weeks
// without airtime and was registered when its backlog arrived counts from
// its first reading, so its six-hour mains outage shows; a commissioning
// date counts from that date; a decommissioned device stops counting; a test
// device deleted without ever sending data is not equipment.
func TestHistoryBeforeRegistration(t *testing.T) {
	reg := &fakeRegistry{
		devices: []plant.Device{
			// registered on the 20th when its backlog arrived; readings since the 3rd
			{ID: "late", Region: "north", CreatedAt: utc("2026-11-20 09:00")},
			// commissioned on the 5th, registered on the 25th, silent until the 10th
			{ID: "commissioned", Region: "north", CreatedAt: utc("2026-11-25 00:00"), CommissionedAt: utc("2026-11-05 00:00")},
			// taken out of service on the 11th
			{ID: "gone", Region: "north", DecommissionedAt: utc("2026-11-11 00:00")},
		},
		retired: []RetiredDevice{
			{Device: plant.Device{ID: "test-1", Region: "north", CreatedAt: utc("2026-11-02 00:00")}, RetiredAt: utc("2026-11-02 01:00")},
		},
	}
	tls := mapTimelines{
		"late": {
			iv(op, "2026-11-03 00:00", "2026-11-12 22:00", ""),
			iv(down, "2026-11-12 22:00", "2026-11-13 04:00", "power:none"),
			iv(op, "2026-11-13 04:00", "", ""),
		},
		"commissioned": {iv(op, "2026-11-10 00:00", "", "")},
		"gone":         {iv(op, "2026-10-01 00:00", "", "")},
	}
	r := reporter(retiringRegistry{reg}, tls, time.UTC, utc("2027-01-01 00:00"))
	rep, err := r.Uptime(context.Background(), Query{Period: Month(2026, time.November, time.UTC), Group: GroupDevice})
	if err != nil {
		t.Fatal(err)
	}
	type figures struct {
		period, op, down, noData float64
	}
	want := map[string]figures{
		"late":         {28 * 24, 28*24 - 6, 6, 0},
		"commissioned": {26 * 24, 21 * 24, 0, 5 * 24},
		"gone":         {10 * 24, 10 * 24, 0, 0},
	}
	if len(rep.Items) != len(want) {
		t.Errorf("got %d rows, want %d (a deleted test device with no data is left out)", len(rep.Items), len(want))
	}
	for _, row := range rep.Items {
		got := figures{row.PeriodH, row.OperationalH, row.DownH, row.NoDataH}
		if got != want[row.Key] {
			t.Errorf("%s: got %+v, want %+v", row.Key, got, want[row.Key])
		}
	}
	if rep.Total.Retired != 0 || rep.Total.Devices != 3 || rep.Total.Outages != 1 {
		t.Errorf("total: %d devices, %d retired, %d outages; want 3, 0, 1", rep.Total.Devices, rep.Total.Retired, rep.Total.Outages)
	}
}
