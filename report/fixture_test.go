package report

import (
	"context"
	"time"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// The fixture is a small Ugandan fleet in November 2026 (Africa/Kampala),
// used by the golden, CLI and DHIS2 tests.

var fixtureNow = time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)

func lt(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, kampala())
	if err != nil {
		panic(err)
	}
	return t
}

func liv(status plant.Status, start, end, cause string) plant.StatusInterval {
	out := plant.StatusInterval{Status: status, Start: lt(start), Cause: cause}
	if end != "" {
		out.End = lt(end)
	}
	return out
}

func fixtureRegistry() *fakeRegistry {
	dev := func(id, kind, fac, region string, rated float64, status plant.Status) plant.Device {
		return plant.Device{ID: plant.DeviceID(id), Kind: plant.Kind(kind), Facility: fac, Region: region, Country: "UG",
			RatedFlowLPM: rated, Status: status, CreatedAt: lt("2026-01-01 00:00")}
	}
	added := dev("conc-jinja-1", "concentrator", "jinja", "Eastern", 10, plant.StatusOperational)
	added.CreatedAt = lt("2026-11-10 09:00")
	return &fakeRegistry{
		devices: []plant.Device{
			dev("psa-mulago-1", "psa", "mulago", "Central", 500, plant.StatusOperational),
			dev("conc-mulago-1", "concentrator", "mulago", "Central", 10, plant.StatusOperational),
			dev("conc-mulago-2", "concentrator", "mulago", "Central", 10, plant.StatusDegraded),
			dev("lox-mulago-1", "lox_tank", "mulago", "Central", 3000, plant.StatusOperational),
			dev("psa-jinja-1", "psa", "jinja", "Eastern", 250, plant.StatusDown),
			added,
			dev("psa-gulu-1", "psa", "gulu", "Northern", 333, plant.StatusOperational),
			dev("conc-gulu-1", "concentrator", "gulu", "Northern", 10, plant.StatusNoData),
			// storage without a contents reading: counted by hand
			dev("cyl-jinja-1", "cylinder_bank", "jinja", "Eastern", 0, plant.StatusNoData),
			// concentrators without telemetry, known by recorded status only
			dev("conc-kabale-1", "concentrator", "kabale", "Western", 5, plant.StatusNoData),
			dev("conc-kabale-2", "concentrator", "kabale", "Western", 5, plant.StatusNoData),
			dev("conc-kabale-3", "concentrator", "kabale", "Western", 5, plant.StatusNoData),
		},
		facilities: []plant.Facility{
			{ID: "mulago", Name: "Mulago National Referral Hospital", Region: "Central", Country: "UG", DemandLPM: 400, OrgUnit: "ImspTQPwCqd"},
			{ID: "jinja", Name: "Jinja Regional Referral Hospital", Region: "Eastern", Country: "UG", Beds: 120},
			{ID: "gulu", Name: "Gulu Regional Referral Hospital", Region: "Northern", Country: "UG", Beds: 200},
			// oxygen-using beds by category: 40 × 2.5 + 8 × 10 + 2 × 30 = 240 L/min
			{ID: "kabale", Name: "Kabale Regional Referral Hospital", Region: "Western", Country: "UG", Beds: 80,
				BedsGeneral: 40, BedsSevere: 8, BedsCritical: 2},
		},
		functional: []plant.FunctionalRecord{
			{Device: "conc-kabale-1", Status: plant.FunctionalWorking, At: lt("2026-10-14 10:00")},
			{Device: "conc-kabale-2", Status: plant.FunctionalWorking, At: lt("2026-09-02 10:00")},
			{Device: "conc-kabale-2", Status: plant.FunctionalBroken, At: lt("2026-11-18 15:00"), Note: "sieve beds worn"},
			{Device: "conc-kabale-3", Status: plant.FunctionalWorking, At: lt("2026-12-01 09:00")}, // after the month: not counted
			{Device: "conc-gulu-1", Status: plant.FunctionalUnderRepair, At: lt("2026-11-20 11:00")},
			// older than the plant's last telemetry: the telemetry wins
			{Device: "psa-jinja-1", Status: plant.FunctionalWorking, At: lt("2026-11-02 08:00")},
		},
		stock: []plant.StockRecord{
			{Device: "lox-mulago-1", Litres: 2_850_000, At: lt("2026-11-28 07:00")}, // 95 m3/day out: 30 days
			{Device: "cyl-jinja-1", Litres: 40 * plant.LitresPerCylinder, At: lt("2026-11-29 16:00")},
		},
	}
}

func fixtureTimelines() mapTimelines {
	return mapTimelines{
		"psa-mulago-1": {
			liv(op, "2026-10-20 00:00", "2026-11-12 02:00", ""),
			liv(down, "2026-11-12 02:00", "2026-11-12 09:30", "power:none"),
			liv(op, "2026-11-12 09:30", "2026-11-25 00:00", ""),
			liv(maint, "2026-11-25 00:00", "2026-11-25 08:00", "state:maintenance"),
			liv(op, "2026-11-25 08:00", "", ""),
		},
		"conc-mulago-1": {liv(op, "2026-10-01 00:00", "", "")},
		"lox-mulago-1":  {liv(op, "2026-10-01 00:00", "", "")},
		"conc-mulago-2": {
			liv(op, "2026-10-01 00:00", "2026-11-05 00:00", ""),
			liv(deg, "2026-11-05 00:00", "", "low_purity"),
		},
		"psa-jinja-1": {
			liv(op, "2026-10-01 00:00", "2026-11-03 12:00", ""),
			liv(down, "2026-11-03 12:00", "2026-11-03 12:40", "alarm:compressor_fault"),
			liv(op, "2026-11-03 12:40", "2026-11-21 06:00", ""),
			liv(down, "2026-11-21 06:00", "2026-11-22 06:00", "alarm:compressor_fault"),
			liv(down, "2026-11-22 06:00", "", "state:fault"),
		},
		"conc-jinja-1": {liv(op, "2026-11-10 10:00", "", "")},
		"psa-gulu-1": {
			liv(op, "2026-10-01 00:00", "2026-11-08 00:00", ""),
			liv(down, "2026-11-08 00:00", "2026-11-08 04:00", "power:none"),
			liv(down, "2026-11-08 10:00", "2026-11-08 12:00", "offline"),
			liv(op, "2026-11-08 12:00", "", ""),
		},
	}
}

// fixtureProduction: Mulago's plant makes 250 m3 and 20 cylinders a day,
// Jinja's until it failed on the 21st, Gulu's every other day.
type fixtureProduction struct{}

func (fixtureProduction) Production(_ context.Context, q ProductionQuery) (map[plant.DeviceID]Production, error) {
	out := map[plant.DeviceID]Production{}
	add := func(id plant.DeviceID, day time.Time, m3, cyl float64) {
		p := out[id]
		p.M3 += m3
		p.Cylinders += cyl
		p.Days = append(p.Days, DayProduction{Day: day.Format(time.DateOnly), M3: m3, Cylinders: cyl})
		out[id] = p
	}
	for day := q.From.In(q.Loc); day.Before(q.To); day = day.AddDate(0, 0, 1) {
		add("psa-mulago-1", day, 250, 20)
		add("conc-mulago-1", day, 7.2, 0)
		add("lox-mulago-1", day, 95, 0) // drawn from the tank: supplied, not produced
		if day.Day() < 21 {
			add("psa-jinja-1", day, 120, 10)
		}
		if day.Day()%2 == 0 {
			add("psa-gulu-1", day, 180, 12)
		}
	}
	return out, nil
}

func fixtureDue() []MaintenanceDue {
	return []MaintenanceDue{
		{Device: "psa-jinja-1", Facility: "jinja", Region: "Eastern", Component: "filter_elements", RuntimeH: 5100, IntervalH: 4380, LastDone: lt("2026-03-02 10:00"), Known: true},
		// due by the calendar at 2,600 of 4,380 h, and one coming due by the calendar
		{Device: "psa-gulu-1", Facility: "gulu", Region: "Northern", Component: "filter_elements", RuntimeH: 2600, IntervalH: 4380, IntervalMonths: 6,
			LastDone: lt("2026-05-20 09:00"), DueAt: lt("2026-11-20 09:00"), Due: true, DueBy: "calendar", Known: true},
		{Device: "psa-gulu-1", Facility: "gulu", Region: "Northern", Component: "preventive_service", RuntimeH: 2600, IntervalH: 8760, IntervalMonths: 12,
			LastDone: lt("2025-12-15 09:00"), DueAt: lt("2026-12-15 09:00"), Known: true},
		// coming due by running hours: 120 h left, its calendar date later
		{Device: "psa-jinja-1", Facility: "jinja", Region: "Eastern", Component: "air_compressor", RuntimeH: 3880, IntervalH: 4000,
			LastDone: lt("2026-06-01 10:00"), DueAt: lt("2027-06-01 10:00"), Known: true},
		{Device: "conc-mulago-2", Facility: "mulago", Region: "Central", Component: "sieve_beds", RuntimeH: 19500, IntervalH: 20000},
	}
}

func fixtureReporter() *Reporter {
	return New(fixtureRegistry(), fixtureTimelines(), fixtureProduction{}, Options{
		Loc: kampala(), Now: fixedNow(fixtureNow), OutageListMin: 30 * time.Minute, LitresPerBed: 2.5,
	})
}

func fixturePeriod() Period { return Month(2026, time.November, kampala()) }
