package report

import (
	"cmp"
	"embed"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strings"
	"time"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

var pageTemplate = template.Must(template.New("report.html.tmpl").Funcs(template.FuncMap{
	"pct":  fmtPct,
	"h":    fmtHours,
	"n":    fmtNum,
	"opt":  fmtOpt,
	"date": func(t time.Time, loc *time.Location) string { return fmtTime(t, loc, "2006-01-02") },
	"time": func(t time.Time, loc *time.Location) string { return fmtTime(t, loc, "2006-01-02 15:04") },
	"dash": dash,
	"lastday": func(end time.Time, loc *time.Location) string {
		return end.Add(-time.Nanosecond).In(loc).Format("2006-01-02")
	},
	"bar":   statusBar,
	"label": func(s string) string { return dash(s) },
	"cause": func(code string) string { return dash(CauseLabel(code)) },
}).ParseFS(templateFS, "templates/report.html.tmpl"))

// MaxListedOutages caps the outage list of the HTML report; the longest are kept.
const MaxListedOutages = 100

// Page is what the HTML report shows. Sections with no data are left out, so
// one template serves the monthly ministry report and an ad-hoc uptime table.
type Page struct {
	Title       string
	Period      Period
	GeneratedAt time.Time
	Summary     *UptimeRow       // fleet total
	Supply      *SupplyReport    // supply by region, when production was read
	Regions     *UptimeReport    // region table and chart
	Table       *UptimeReport    // the main table: facilities, or the group asked for
	Outages     []Outage         // longest first
	MoreOutages int              // outages not listed
	Maintenance []MaintenanceDue // due components with a service on record
	// NoServiceRecord sums, per component, the due components with no
	// service on record: one line each instead of a row per device.
	NoServiceRecord []UnrecordedService
	Facilities      int
	// Provisional is set when the period had not ended when the report was
	// made: its figures cover the period up to then.
	Provisional bool
	// SupplyUnavailable says why the supply section is missing, when it is.
	SupplyUnavailable string
}

// UnrecordedService is one component's due services that OxyWatch has no
// record of: their clocks run from the first telemetry.
type UnrecordedService struct {
	Component  string
	Devices    int
	MaxRuntime float64 // running hours of the longest-running one
	IntervalH  float64 // the interval of that one
}

// MonthlyPage builds the ministry report from a fleet: summary, regions,
// facilities with an uptime bar each, outages, supply when the fleet's
// production was loaded, and the maintenance due list given.
func MonthlyPage(title string, f *Fleet, due []MaintenanceDue) *Page {
	fac := f.Uptime(GroupFacility)
	p := &Page{
		Title: title, Period: f.Period, GeneratedAt: f.GeneratedAt,
		Summary: &fac.Total, Regions: f.Uptime(GroupRegion), Table: fac,
		Facilities: len(fac.Items), Provisional: f.GeneratedAt.Before(f.Period.To),
	}
	p.Maintenance, p.NoServiceRecord = splitDue(due)
	if f.production != nil {
		p.Supply = f.Supply(GroupRegion)
	}
	p.Outages, p.MoreOutages = longestOutages(fac.Outages, fac.OutagesNotListed, MaxListedOutages)
	return p
}

// UptimePage shows one uptime report: its table with bars and its outages.
func UptimePage(title string, r *UptimeReport, loc *time.Location) *Page {
	p := &Page{
		Title: title, Period: Period{From: r.From, To: r.To, Loc: loc}, GeneratedAt: r.GeneratedAt,
		Summary: &r.Total, Table: r, Provisional: r.GeneratedAt.Before(r.To),
	}
	p.Outages, p.MoreOutages = longestOutages(r.Outages, r.OutagesNotListed, MaxListedOutages)
	return p
}

// SupplyPage shows one supply report's table.
func SupplyPage(title string, r *SupplyReport, loc *time.Location) *Page {
	return &Page{Title: title, Period: Period{From: r.From, To: r.To, Loc: loc}, GeneratedAt: r.GeneratedAt, Supply: r}
}

// WriteHTML renders the report as a printable HTML page with a status bar
// per row and the outage list.
func (r *UptimeReport) WriteHTML(w io.Writer) error {
	return UptimePage("OxyWatch uptime report", r, reportLoc(r.loc, r.TimeZone)).WriteHTML(w)
}

// WriteHTML renders the report as a printable HTML page.
func (r *SupplyReport) WriteHTML(w io.Writer) error {
	return SupplyPage("OxyWatch oxygen supply report", r, reportLoc(r.loc, r.TimeZone)).WriteHTML(w)
}

// reportLoc is loc, or the named zone of a report read back from JSON.
func reportLoc(loc *time.Location, name string) *time.Location {
	if loc != nil {
		return loc
	}
	if l, err := time.LoadLocation(name); err == nil {
		return l
	}
	return time.UTC
}

// WriteHTML renders the page as one self-contained HTML document.
func (p *Page) WriteHTML(w io.Writer) error {
	if err := pageTemplate.Execute(w, p); err != nil {
		return fmt.Errorf("render html report: %w", err)
	}
	return nil
}

// Loc is the report zone, for the template.
func (p *Page) Loc() *time.Location {
	if p.Period.Loc == nil {
		return time.UTC
	}
	return p.Period.Loc
}

// GroupTitle names the main table's grouping.
func (p *Page) GroupTitle() string { return groupTitle(p.Table.Group) }

// SupplyTitle heads the supply table's first column: Facility, Region….
func (p *Page) SupplyTitle() string {
	n := groupNoun(p.Supply.Group)
	return strings.ToUpper(n[:1]) + n[1:]
}

// SupplyNoun names one row of the supply table, for its heading.
func (p *Page) SupplyNoun() string { return groupNoun(p.Supply.Group) }

func groupTitle(g Group) string {
	switch g {
	case GroupDevice:
		return "Devices"
	case GroupRegion:
		return "Regions"
	case GroupCountry:
		return "Countries"
	}
	return "Facilities"
}

// GroupNoun names one row of the main table, for its heading.
func (p *Page) GroupNoun() string { return groupNoun(p.Table.Group) }

func groupNoun(g Group) string {
	if g == "" {
		return string(GroupFacility)
	}
	return string(g)
}

// longestOutages keeps the n longest of all; more counts those left out,
// with notListed already left out of all.
func longestOutages(all []Outage, notListed, n int) (o []Outage, more int) {
	o = slices.Clone(all)
	slices.SortStableFunc(o, func(a, b Outage) int { return cmp.Compare(b.DownH, a.DownH) })
	if len(o) <= n {
		return o, notListed
	}
	return o[:n], len(o) - n + notListed
}

// splitDue lists due components with a service on record, most overdue
// first, and sums those without one per component.
func splitDue(due []MaintenanceDue) ([]MaintenanceDue, []UnrecordedService) {
	var listed []MaintenanceDue
	sums := map[string]*UnrecordedService{}
	for _, m := range due {
		if !m.LastDone.IsZero() {
			listed = append(listed, m)
			continue
		}
		u := sums[m.Component]
		if u == nil {
			u = &UnrecordedService{Component: m.Component}
			sums[m.Component] = u
		}
		u.Devices++
		if m.RuntimeH > u.MaxRuntime {
			u.MaxRuntime, u.IntervalH = m.RuntimeH, m.IntervalH
		}
	}
	slices.SortStableFunc(listed, func(a, b MaintenanceDue) int {
		return cmp.Or(cmp.Compare(b.OverduePct(), a.OverduePct()), cmp.Compare(a.Device, b.Device))
	})
	var unrecorded []UnrecordedService
	for _, u := range sums {
		unrecorded = append(unrecorded, *u)
	}
	slices.SortFunc(unrecorded, func(a, b UnrecordedService) int {
		return cmp.Or(cmp.Compare(b.Devices, a.Devices), cmp.Compare(a.Component, b.Component))
	})
	return listed, unrecorded
}

func fmtPct(v *float64) string {
	if v == nil {
		return "–"
	}
	return fmt.Sprintf("%.1f %%", *v)
}

func fmtHours(v float64) string { return fmt.Sprintf("%.1f", v) }

func fmtNum(v float64) string {
	if v == float64(int64(v)) {
		return fmt.Sprintf("%d", int64(v))
	}
	return fmt.Sprintf("%.1f", v)
}

func fmtOpt(v *float64) string {
	if v == nil {
		return "–"
	}
	return fmtNum(*v)
}

func fmtTime(t time.Time, loc *time.Location, layout string) string {
	if t.IsZero() {
		return "open"
	}
	return t.In(loc).Format(layout)
}

func dash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

// DataCoveragePctOr100 is the row's data coverage, 100 when it has none;
// the template uses it to say when hours without data were left out.
func (r UptimeRow) DataCoveragePctOr100() float64 {
	if r.DataCoveragePct == nil {
		return 100
	}
	return *r.DataCoveragePct
}
