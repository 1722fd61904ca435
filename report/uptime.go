package report

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/oxywatch/oxywatch/internal/config"
	"github.com/oxywatch/oxywatch/internal/plant"
)

// Group is how report rows are grouped.
type Group string

const (
	GroupDevice   Group = "device"
	GroupFacility Group = "facility"
	GroupRegion   Group = "region"
	GroupCountry  Group = "country"
)

// ParseGroup reads a group name; empty means facility.
func ParseGroup(s string) (Group, error) {
	switch g := Group(s); g {
	case "":
		return GroupFacility, nil
	case GroupDevice, GroupFacility, GroupRegion, GroupCountry:
		return g, nil
	}
	return "", fmt.Errorf("unknown group %q (want device, facility, region or country)", s)
}

// Options tune a Reporter; OptionsFrom fills them from configuration.
type Options struct {
	Loc           *time.Location
	Now           func() time.Time
	BatchSize     int           // devices per Timelines call
	OutageListMin time.Duration // shortest outage listed one by one
	OutageListMax int           // most outages listed; the longest are kept
	LitresPerBed  float64       // demand per bed when a facility has no demand_lpm
	MaxReadingGap time.Duration // see ProductionQuery.MaxGap
	// Progress, when set, is called after each batch with devices done and total.
	Progress func(done, total int)
}

// OptionsFrom returns options from the report configuration.
func OptionsFrom(cfg config.Report) Options {
	return Options{
		Loc:           cfg.Location(),
		Now:           time.Now,
		BatchSize:     cfg.TimelineBatch,
		OutageListMin: cfg.OutageListMin,
		OutageListMax: cfg.OutageListMax,
		LitresPerBed:  cfg.LitresPerBed,
		MaxReadingGap: cfg.MaxReadingGap,
	}
}

func (o Options) withDefaults() Options {
	d := OptionsFrom(config.Defaults().Report)
	if o.Loc == nil {
		o.Loc = d.Loc
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.BatchSize <= 0 {
		o.BatchSize = d.BatchSize
	}
	if o.OutageListMax <= 0 {
		o.OutageListMax = d.OutageListMax
	}
	if o.MaxReadingGap <= 0 {
		o.MaxReadingGap = d.MaxReadingGap
	}
	return o
}

// Reporter computes reports from the registry, the status timelines and
// (for supply) production data. It keeps no state between reports and is
// safe for concurrent use when its sources are.
type Reporter struct {
	registry   Registry
	timelines  TimelineSource
	production ProductionSource
	opt        Options
}

// New returns a Reporter. production may be nil when only uptime is asked for.
func New(reg Registry, tl TimelineSource, prod ProductionSource, opt Options) *Reporter {
	return &Reporter{registry: reg, timelines: tl, production: prod, opt: opt.withDefaults()}
}

// Location is the zone that draws month and day boundaries.
func (r *Reporter) Location() *time.Location { return r.opt.Loc }

// Uptime computes the uptime report for q.Period grouped by q.Group, over
// the devices of q.Regions only.
func (r *Reporter) Uptime(ctx context.Context, q Query) (*UptimeReport, error) {
	f, err := r.Fleet(ctx, q.Period, q.Regions)
	if err != nil {
		return nil, err
	}
	return f.Uptime(q.Group), nil
}

// Fleet is every device's account of one period; group it with Uptime and
// Supply.
type Fleet struct {
	Period      Period
	GeneratedAt time.Time
	devices     []*deviceStats
	facilities  []plant.Facility
	production  map[plant.DeviceID]Production
	litresBed   float64
	outages     *outageList
	// latest hand-recorded functional status and stock per device, at the
	// fleet's end (FieldRecordSource); nil without one
	functional map[plant.DeviceID]plant.FunctionalRecord
	stock      map[plant.DeviceID]plant.StockRecord
	// work orders of the period (WorkOrderSource), nil without one; a
	// failure is an outage of at least failureMin
	workOrders *workOrderBook
	failureMin time.Duration
}

// Fleet reads the registry and the timeline of every device for p, in
// batches. regions limits it to devices and facilities of those regions (see
// Query.Regions); nil reads all.
func (r *Reporter) Fleet(ctx context.Context, p Period, regions []string) (*Fleet, error) {
	now := r.opt.Now()
	in := newRegionFilter(regions)
	devs, err := r.devices(ctx, p)
	if err != nil {
		return nil, err
	}
	devs = in.devices(devs)
	facs, err := r.registry.Facilities(ctx)
	if err != nil {
		return nil, fmt.Errorf("list facilities: %w", err)
	}
	facs = in.facilities(facs)
	f := &Fleet{Period: p, GeneratedAt: now, facilities: facs, litresBed: r.opt.LitresPerBed, outages: newOutageList(r.opt.OutageListMax),
		failureMin: r.opt.OutageListMin}
	spans := lifespans(devs, p, now)
	for i := 0; i < len(spans); i += r.opt.BatchSize {
		batch := spans[i:min(i+r.opt.BatchSize, len(spans))]
		if err := r.accountBatch(ctx, f, batch, p); err != nil {
			return nil, err
		}
		if r.opt.Progress != nil {
			r.opt.Progress(i+len(batch), len(spans))
		}
	}
	if err := r.loadFieldRecords(ctx, f); err != nil {
		return nil, err
	}
	if err := r.loadWorkOrders(ctx, f, in); err != nil {
		return nil, err
	}
	return f, nil
}

// lifespan is the part of a period one device may have existed: it ends at
// the period's end, now, decommissioning or retirement, whichever comes
// first; its start is settled once the timeline is read (see start).
type lifespan struct {
	dev     plant.Device
	to      time.Time
	retired bool
}

func lifespans(devs []RetiredDevice, p Period, now time.Time) []lifespan {
	out := make([]lifespan, 0, len(devs))
	for _, d := range devs {
		to := p.To
		if now.Before(to) {
			to = now
		}
		if !d.RetiredAt.IsZero() && d.RetiredAt.Before(to) {
			to = d.RetiredAt
		}
		if dc := d.Device.DecommissionedAt; !dc.IsZero() && dc.Before(to) {
			to = dc
		}
		if to.After(p.From) {
			out = append(out, lifespan{dev: d.Device, to: to, retired: !d.RetiredAt.IsZero()})
		}
	}
	slices.SortFunc(out, func(a, b lifespan) int { return cmp.Compare(a.dev.ID, b.dev.ID) })
	return out
}

// start is when a device begins to count in a period starting at from: the
// earlier of its entry into service (commissioning date, else registration)
// and its first reading, never before from. A device registered after its
// readings began (a backlog, a plant that ran weeks without airtime before
// it connected) counts from its first reading. ok is false for a retired
// device with no reading in the period: a test entry, not equipment.
func (s lifespan) start(from time.Time, ivs []plant.StatusInterval) (time.Time, bool) {
	first, seen := firstData(ivs, from, s.to)
	if s.retired && !seen {
		return time.Time{}, false
	}
	start := s.dev.InService()
	if seen && first.Before(start) {
		start = first
	}
	if start.Before(from) {
		start = from
	}
	return start, true
}

// firstData is the start of the earliest interval with data (any status but
// no_data) that ends after from and starts before to.
func firstData(ivs []plant.StatusInterval, from, to time.Time) (time.Time, bool) {
	var first time.Time
	seen := false
	for _, iv := range ivs {
		if statusIndex(iv.Status) == iNoData || !iv.Start.Before(to) || (!iv.End.IsZero() && !iv.End.After(from)) {
			continue
		}
		if !seen || iv.Start.Before(first) {
			first, seen = iv.Start, true
		}
	}
	return first, seen
}

// devices lists current devices and, when the registry knows them, devices
// retired during p.
func (r *Reporter) devices(ctx context.Context, p Period) ([]RetiredDevice, error) {
	devs, err := r.registry.Devices(ctx)
	if err != nil {
		return nil, fmt.Errorf("list devices: %w", err)
	}
	out := make([]RetiredDevice, 0, len(devs))
	seen := make(map[plant.DeviceID]bool, len(devs))
	for _, d := range devs {
		out = append(out, RetiredDevice{Device: d})
		seen[d.ID] = true
	}
	rs, ok := r.registry.(RetirementSource)
	if !ok {
		return out, nil
	}
	retired, err := rs.Retired(ctx, p.From, p.To)
	if err != nil {
		return nil, fmt.Errorf("list retired devices: %w", err)
	}
	for _, d := range retired {
		if !seen[d.Device.ID] {
			out = append(out, d)
		}
	}
	return out, nil
}

func (r *Reporter) accountBatch(ctx context.Context, f *Fleet, batch []lifespan, p Period) error {
	ids := make([]plant.DeviceID, len(batch))
	to := p.From
	for i, s := range batch {
		ids[i] = s.dev.ID
		if s.to.After(to) {
			to = s.to
		}
	}
	tls, err := r.timelines.Timelines(ctx, ids, p.From, to)
	if err != nil {
		return fmt.Errorf("read timelines of %d devices: %w", len(ids), err)
	}
	for _, s := range batch {
		ivs := tls[s.dev.ID]
		from, ok := s.start(p.From, ivs)
		if !ok || !s.to.After(from) {
			continue
		}
		st := account(s.dev, from, s.to, ivs, r.opt.OutageListMin, f.outages)
		st.retired = s.retired
		f.devices = append(f.devices, st)
	}
	return nil
}

// UptimeReport is the uptime of every group over a period.
type UptimeReport struct {
	From        time.Time   `json:"from"`
	To          time.Time   `json:"to"`
	TimeZone    string      `json:"time_zone"`
	Group       Group       `json:"group"`
	GeneratedAt time.Time   `json:"generated_at"`
	Items       []UptimeRow `json:"items"`
	Total       UptimeRow   `json:"total"`
	// Outages lists the longest outages (at most report.outage_list_max) of
	// at least report.outage_list_min, by start; OutagesNotListed counts the
	// other outages of that length.
	Outages          []Outage `json:"outages"`
	OutagesNotListed int      `json:"outages_not_listed"`

	loc *time.Location // draws dates in the HTML form
}

// UptimeRow is one group's uptime. Hours are rounded to 0.001 h and
// percentages to 0.01; null percentages have no denominator (a group with no
// hours, or no hours with data, has no uptime: it is shown as "–", never 0).
type UptimeRow struct {
	Key      string `json:"key"`
	Name     string `json:"name,omitempty"`
	Facility string `json:"facility,omitempty"`
	Region   string `json:"region,omitempty"`
	Country  string `json:"country,omitempty"`
	Devices  int    `json:"devices"`
	// Retired counts the devices among Devices removed from the registry
	// during the period; their hours count until their removal.
	Retired      int     `json:"retired"`
	PeriodH      float64 `json:"period_h"`
	OperationalH float64 `json:"operational_h"`
	DegradedH    float64 `json:"degraded_h"`
	DownH        float64 `json:"down_h"`
	MaintenanceH float64 `json:"maintenance_h"`
	NoDataH      float64 `json:"no_data_h"`
	// UptimePct is operational ÷ (hours with data − maintenance): silence
	// is not held against the equipment. DataCoveragePct says how much of
	// the period that is; UptimeMinPct is the floor, operational ÷ (period
	// − maintenance), as if every hour without data had been down.
	UptimePct       *float64     `json:"uptime_pct"`
	DataCoveragePct *float64     `json:"data_coverage_pct"`
	UptimeMinPct    *float64     `json:"uptime_min_pct"`
	Outages         int          `json:"outages"`
	OutageH         float64      `json:"outage_h"`
	LongestOutageH  float64      `json:"longest_outage_h"`
	Repairs         int          `json:"repairs"`
	MTTRH           *float64     `json:"mttr_h"`
	TopCauses       []CauseHours `json:"top_causes"`
}

// CauseHours is down time attributed to one cause: its code as the status
// timeline records it (power:none, alarm:compressor_fault…) and its label in
// words (see CauseLabel).
type CauseHours struct {
	Cause string  `json:"cause"`
	Label string  `json:"label"`
	Hours float64 `json:"hours"`
}

// TopCauses is how many causes a row lists.
const TopCauses = 3

// Uptime groups the fleet's accounts by g.
func (f *Fleet) Uptime(g Group) *UptimeReport {
	facs := f.facilityIndex()
	acc := map[string]*uptimeAcc{}
	var order []string
	total := &uptimeAcc{row: UptimeRow{Key: "total"}}
	listed := 0
	for _, d := range f.devices {
		key := groupKey(g, d.dev)
		a, ok := acc[key]
		if !ok {
			a = &uptimeAcc{row: labelRow(g, key, d.dev, facs)}
			acc[key] = a
			order = append(order, key)
		}
		a.add(d)
		total.add(d)
		listed += d.listed
	}
	rep := &UptimeReport{
		From: f.Period.From.UTC(), To: f.Period.To.UTC(), TimeZone: f.Period.Loc.String(),
		Group: g, GeneratedAt: f.GeneratedAt.UTC(), Total: total.finish(), Outages: f.outages.sorted(),
		loc: f.Period.Loc,
	}
	rep.OutagesNotListed = listed - len(rep.Outages)
	for _, k := range order {
		rep.Items = append(rep.Items, acc[k].finish())
	}
	sortRows(rep.Items)
	if rep.Items == nil {
		rep.Items = []UptimeRow{}
	}
	return rep
}

func (f *Fleet) facilityIndex() map[string]plant.Facility {
	m := make(map[string]plant.Facility, len(f.facilities))
	for _, fc := range f.facilities {
		m[fc.ID] = fc
	}
	return m
}

func groupKey(g Group, d plant.Device) string {
	switch g {
	case GroupDevice:
		return string(d.ID)
	case GroupRegion:
		return d.Region
	case GroupCountry:
		return d.Country
	}
	return d.Facility
}

func labelRow(g Group, key string, d plant.Device, facs map[string]plant.Facility) UptimeRow {
	r := UptimeRow{Key: key}
	switch g {
	case GroupDevice:
		r.Name, r.Facility, r.Region, r.Country = string(d.Kind), d.Facility, d.Region, d.Country
	case GroupFacility:
		r.Name, r.Region, r.Country = facs[key].Name, d.Region, d.Country
	case GroupRegion:
		r.Region, r.Country = key, d.Country
	}
	return r
}

func sortRows(rows []UptimeRow) {
	slices.SortFunc(rows, func(a, b UptimeRow) int { return rowOrder(a.Country, a.Region, a.Key, b.Country, b.Region, b.Key) })
}

// rowOrder sorts rows by country, region, then key.
func rowOrder(ac, ar, ak, bc, br, bk string) int {
	return cmp.Or(cmp.Compare(ac, bc), cmp.Compare(ar, br), cmp.Compare(ak, bk))
}

// uptimeAcc sums hours of devices in one group.
type uptimeAcc struct {
	row     UptimeRow
	h       [nStatus]float64
	period  float64
	outageH float64
	longest float64
	repairH float64
	causes  map[string]float64
}

func (a *uptimeAcc) add(d *deviceStats) {
	a.row.Devices++
	if d.retired {
		a.row.Retired++
	}
	a.period += hours(d.existence())
	for i, v := range d.dur {
		a.h[i] += hours(v)
	}
	a.row.Outages += d.outages
	a.outageH += hours(d.dur[iDown])
	a.longest = max(a.longest, hours(d.longest))
	a.row.Repairs += d.repairs
	a.repairH += hours(d.repairTime)
	for c, v := range d.causes {
		if a.causes == nil {
			a.causes = map[string]float64{}
		}
		a.causes[c] += hours(v)
	}
}

func (a *uptimeAcc) finish() UptimeRow {
	r := a.row
	r.PeriodH = round(a.period, 3)
	r.OperationalH, r.DegradedH, r.DownH = round(a.h[iOperational], 3), round(a.h[iDegraded], 3), round(a.h[iDown], 3)
	r.MaintenanceH, r.NoDataH = round(a.h[iMaintenance], 3), round(a.h[iNoData], 3)
	r.UptimePct = pct(a.h[iOperational], a.period-a.h[iMaintenance]-a.h[iNoData])
	r.DataCoveragePct = pct(a.period-a.h[iNoData], a.period)
	r.UptimeMinPct = pct(a.h[iOperational], a.period-a.h[iMaintenance])
	r.OutageH = round(a.outageH, 3)
	r.LongestOutageH = round(a.longest, 3)
	if r.Repairs > 0 {
		m := round(a.repairH/float64(r.Repairs), 3)
		r.MTTRH = &m
	}
	r.TopCauses = topCauses(a.causes, TopCauses)
	return r
}

func topCauses(m map[string]float64, n int) []CauseHours {
	out := make([]CauseHours, 0, len(m))
	for c, h := range m {
		if c == "" {
			c = "unknown"
		}
		out = append(out, CauseHours{Cause: c, Label: CauseLabel(c), Hours: round(h, 3)})
	}
	slices.SortFunc(out, func(a, b CauseHours) int {
		return cmp.Or(cmp.Compare(b.Hours, a.Hours), cmp.Compare(a.Cause, b.Cause))
	})
	return out[:min(n, len(out))]
}

// pct is 100·num/den rounded to 0.01, or nil when den is not positive.
func pct(num, den float64) *float64 {
	if den <= 1e-9 {
		return nil
	}
	v := round(100*num/den, 2)
	return &v
}

func round(v float64, places int) float64 {
	p := math.Pow10(places)
	return math.Round(v*p) / p
}
