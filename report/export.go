package report

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/oxywatch/oxywatch/internal/config"
	"github.com/oxywatch/oxywatch/report/dhis2"
)

// indicator is one facility figure that can go to DHIS2.
type indicator struct {
	name   string
	supply bool // needs production data
	value  func(u *UptimeRow, s *SupplyRow) *float64
	// census, when set, gives the value from the functional census
	// instead (SQLite only, like uptime)
	census func(c *Functionality) *float64
	// repairs, when set, gives the value from the work orders instead
	// (SQLite only; workorders.go)
	repairs func(r *RepairRow) *float64
}

func censusInd(name string, fn func(c *Functionality) *float64) indicator {
	return indicator{name: name, census: fn}
}

func uptimeInd(name string, fn func(u *UptimeRow) *float64) indicator {
	return indicator{name: name, value: func(u *UptimeRow, _ *SupplyRow) *float64 {
		if u == nil {
			return nil
		}
		return fn(u)
	}}
}

func supplyInd(name string, fn func(s *SupplyRow) *float64) indicator {
	return indicator{name: name, supply: true, value: func(_ *UptimeRow, s *SupplyRow) *float64 {
		if s == nil {
			return nil
		}
		return fn(s)
	}}
}

func v(x float64) *float64 { return &x }

// indicators lists every exportable indicator, by the name used in the
// DHIS2 mapping file.
var indicators = []indicator{
	uptimeInd("devices", func(u *UptimeRow) *float64 { return v(float64(u.Devices)) }),
	uptimeInd("uptime_pct", func(u *UptimeRow) *float64 { return u.UptimePct }),
	uptimeInd("data_coverage_pct", func(u *UptimeRow) *float64 { return u.DataCoveragePct }),
	uptimeInd("operational_h", func(u *UptimeRow) *float64 { return v(u.OperationalH) }),
	uptimeInd("degraded_h", func(u *UptimeRow) *float64 { return v(u.DegradedH) }),
	uptimeInd("down_h", func(u *UptimeRow) *float64 { return v(u.DownH) }),
	uptimeInd("maintenance_h", func(u *UptimeRow) *float64 { return v(u.MaintenanceH) }),
	uptimeInd("no_data_h", func(u *UptimeRow) *float64 { return v(u.NoDataH) }),
	uptimeInd("outages", func(u *UptimeRow) *float64 { return v(float64(u.Outages)) }),
	uptimeInd("outage_h", func(u *UptimeRow) *float64 { return v(u.OutageH) }),
	uptimeInd("longest_outage_h", func(u *UptimeRow) *float64 { return v(u.LongestOutageH) }),
	uptimeInd("repairs", func(u *UptimeRow) *float64 { return v(float64(u.Repairs)) }),
	uptimeInd("mttr_h", func(u *UptimeRow) *float64 { return u.MTTRH }),
	supplyInd("rated_lpm", func(s *SupplyRow) *float64 { return v(s.RatedLPM) }),
	supplyInd("oxygen_m3", func(s *SupplyRow) *float64 { return v(s.ProducedM3) }),
	supplyInd("cylinders_filled", func(s *SupplyRow) *float64 { return v(s.CylindersFilled) }),
	supplyInd("demand_lpm", func(s *SupplyRow) *float64 { return s.DemandLPM }),
	supplyInd("production_coverage_pct", func(s *SupplyRow) *float64 { return s.ProductionCoveragePct }),
	supplyInd("idle_device_days", func(s *SupplyRow) *float64 { return v(float64(s.IdleDeviceDays)) }),
	supplyInd("oxygen_cylinders_eq_per_day", func(s *SupplyRow) *float64 { return v(s.ProducedCylEqPerDay) }),
	supplyInd("demand_cylinders_eq_per_day", func(s *SupplyRow) *float64 { return s.DemandCylEqPerDay }),
	supplyInd("stock_cylinders", func(s *SupplyRow) *float64 { return s.StockCylinders }),
	supplyInd("autonomy_days", func(s *SupplyRow) *float64 { return s.AutonomyDays }),
	censusInd("functional_devices", func(c *Functionality) *float64 { return v(float64(c.Measured.Functional + c.Reported.Functional)) }),
	censusInd("non_functional_devices", func(c *Functionality) *float64 {
		return v(float64(c.Measured.NonFunctional + c.Reported.NonFunctional))
	}),
	censusInd("under_repair_devices", func(c *Functionality) *float64 { return v(float64(c.Measured.UnderRepair + c.Reported.UnderRepair)) }),
	censusInd("reported_status_devices", func(c *Functionality) *float64 { return v(float64(c.Reported.total())) }),
	censusInd("functional_pct", func(c *Functionality) *float64 { return c.FunctionalPct }),
}

// Indicators names every indicator a DHIS2 mapping may use.
func Indicators() []string {
	names := make([]string, len(indicators))
	for i, ind := range indicators {
		names[i] = ind.name
	}
	return names
}

// DHIS2Exporter produces and pushes the monthly facility figures.
type DHIS2Exporter struct {
	Reporter *Reporter
	Mapping  *dhis2.Mapping
	Client   *dhis2.Client // nil when no server is configured
	Log      *slog.Logger
}

// NewDHIS2Exporter loads the mapping file named in cfg and, when cfg names a
// server, a client for it. hc may be nil.
func NewDHIS2Exporter(cfg config.Report, r *Reporter, hc *http.Client) (*DHIS2Exporter, error) {
	if cfg.DHIS2.MappingFile == "" {
		return nil, fmt.Errorf("report.dhis2.mapping_file is not set")
	}
	m, err := dhis2.LoadMapping(cfg.DHIS2.MappingFile, Indicators())
	if err != nil {
		return nil, err
	}
	e := &DHIS2Exporter{Reporter: r, Mapping: m, Log: slog.Default()}
	if cfg.DHIS2.URL != "" {
		if hc == nil {
			hc = &http.Client{Timeout: cfg.DHIS2.Timeout}
		}
		e.Client = &dhis2.Client{BaseURL: cfg.DHIS2.URL, Username: cfg.DHIS2.Username, Password: cfg.DHIS2.Password, Token: cfg.DHIS2.Token, HTTP: hc}
	}
	return e, nil
}

// Payload computes the month p and builds its dataValueSets payload.
func (e *DHIS2Exporter) Payload(ctx context.Context, p Period) (dhis2.DataValueSet, []dhis2.Skipped, error) {
	if !p.IsMonth() {
		return dhis2.DataValueSet{}, nil, fmt.Errorf("%w: DHIS2 takes whole months, not %s", ErrBadPeriod, p)
	}
	values, err := e.values(ctx, p)
	if err != nil {
		return dhis2.DataValueSet{}, nil, err
	}
	return e.Mapping.Build(p.DHIS2(), values)
}

// Push sends month p to DHIS2 and returns its import summary.
func (e *DHIS2Exporter) Push(ctx context.Context, p Period) (*dhis2.ImportSummary, []dhis2.Skipped, error) {
	if e.Client == nil {
		return nil, nil, fmt.Errorf("report.dhis2.url is not set")
	}
	set, skipped, err := e.Payload(ctx, p)
	if err != nil {
		return nil, skipped, err
	}
	if len(set.DataValues) == 0 {
		return nil, skipped, fmt.Errorf("nothing to push for %s: no mapped facility has values", p.DHIS2())
	}
	s, err := e.Client.Push(ctx, set)
	if err != nil {
		return s, skipped, fmt.Errorf("push %s to dhis2: %w", p.DHIS2(), err)
	}
	return s, skipped, nil
}

func (e *DHIS2Exporter) needsSupply() bool {
	for _, ind := range indicators {
		if _, ok := e.Mapping.DataElements[ind.name]; ok && ind.supply {
			return true
		}
	}
	return false
}

// values computes every mapped indicator for every facility.
func (e *DHIS2Exporter) values(ctx context.Context, p Period) ([]dhis2.Value, error) {
	f, err := e.Reporter.Fleet(ctx, p, nil)
	if err != nil {
		return nil, err
	}
	up := rowsByKey(f.Uptime(GroupFacility).Items, func(r UptimeRow) string { return r.Key })
	census := rowsByKey(f.Functionality(GroupFacility).Items, func(r FunctionalityRow) string { return r.Key })
	repairs := map[string]*RepairRow{}
	if rep := f.Repairs(GroupFacility); rep != nil {
		repairs = rowsByKey(rep.Items, func(r RepairRow) string { return r.Key })
	}
	var sup map[string]*SupplyRow
	if e.needsSupply() {
		if err := e.Reporter.LoadProduction(ctx, f); err != nil {
			return nil, err
		}
		sup = rowsByKey(f.Supply(GroupFacility).Items, func(r SupplyRow) string { return r.Key })
	}
	orgUnits := map[string]string{}
	for _, fc := range f.facilities {
		orgUnits[fc.ID] = fc.OrgUnit
	}
	var out []dhis2.Value
	for _, fac := range facilityKeys(up, sup) {
		for _, ind := range indicators {
			if _, ok := e.Mapping.DataElements[ind.name]; !ok {
				continue
			}
			var x *float64
			switch c := census[fac]; {
			case ind.repairs != nil:
				if rr := repairs[fac]; rr != nil {
					x = ind.repairs(rr)
				}
			case ind.census == nil:
				x = ind.value(up[fac], sup[fac])
			case c != nil:
				x = ind.census(&c.Functionality)
			}
			if x != nil {
				out = append(out, dhis2.Value{Facility: fac, OrgUnit: orgUnits[fac], Indicator: ind.name, Value: *x})
			}
		}
	}
	return out, nil
}

func rowsByKey[R any](rows []R, key func(R) string) map[string]*R {
	m := make(map[string]*R, len(rows))
	for i := range rows {
		m[key(rows[i])] = &rows[i]
	}
	return m
}

func facilityKeys(up map[string]*UptimeRow, sup map[string]*SupplyRow) []string {
	var keys []string
	for k := range up {
		keys = append(keys, k)
	}
	for k := range sup {
		if _, ok := up[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// Schedule is when the monthly push runs: on Day (1-28) at Hour, local time.
type Schedule struct {
	Day, Hour int
	Loc       *time.Location
	// RetryEvery is the wait after a failed push; it is retried until it
	// succeeds or Retries attempts have failed.
	RetryEvery time.Duration
	Retries    int
}

// ScheduleFrom reads the schedule from configuration; ok is false when the
// scheduled push is off.
func ScheduleFrom(cfg config.Report) (s Schedule, ok bool) {
	return Schedule{Day: cfg.DHIS2.PushDay, Hour: cfg.DHIS2.PushHour, Loc: cfg.Location(), RetryEvery: time.Hour, Retries: 6}, cfg.DHIS2.PushDay > 0
}

// Next is the first push time strictly after now.
func (s Schedule) Next(now time.Time) time.Time {
	l := now.In(s.Loc)
	t := time.Date(l.Year(), l.Month(), s.Day, s.Hour, 0, 0, 0, s.Loc)
	if !t.After(now) {
		t = time.Date(l.Year(), l.Month()+1, s.Day, s.Hour, 0, 0, 0, s.Loc)
	}
	return t
}

// RunMonthly pushes the previous month on every scheduled day until ctx
// ends. The app runs it in a goroutine it owns; it returns ctx.Err().
func (e *DHIS2Exporter) RunMonthly(ctx context.Context, s Schedule) error {
	return RunSchedule(ctx, s, e.Reporter.opt.Now, func(ctx context.Context, p Period) error {
		log := e.Log
		if log == nil {
			log = slog.Default()
		}
		sum, skipped, err := e.Push(ctx, p)
		for _, k := range skipped {
			log.Warn("dhis2 value skipped", "period", p.DHIS2(), "facility", k.Facility, "indicator", k.Indicator, "reason", k.Reason)
		}
		if err != nil {
			log.Error("dhis2 push failed", "period", p.DHIS2(), "err", err)
			return err
		}
		log.Info("dhis2 push done", "period", p.DHIS2(), "summary", sum.String())
		return nil
	})
}

// RunSchedule calls push with the previous month at every time s names,
// retrying failures, until ctx ends.
func RunSchedule(ctx context.Context, s Schedule, now func() time.Time, push func(context.Context, Period) error) error {
	for {
		at := s.Next(now())
		if err := waitUntil(ctx, at, now); err != nil {
			return err
		}
		p := PreviousMonth(at, s.Loc)
		for attempt := 0; push(ctx, p) != nil && attempt < s.Retries; attempt++ {
			if err := waitUntil(ctx, now().Add(s.RetryEvery), now); err != nil {
				return err
			}
		}
	}
}

func waitUntil(ctx context.Context, at time.Time, now func() time.Time) error {
	t := time.NewTimer(at.Sub(now()))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
