package report

import (
	"cmp"
	"embed"
	"fmt"
	"html/template"
	"io"
	"slices"
	"time"

	"github.com/oxywatch/oxywatch/internal/i18n"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

// pageTemplate is parsed once with placeholder functions; each render
// clones it and binds the functions to the reader's language (words).
var pageTemplate = template.Must(template.New("report.html.tmpl").Funcs(wordsIn(i18n.English).funcs()).
	ParseFS(templateFS, "templates/*.html.tmpl"))

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
	// Census is the functional status of every device, measured or
	// reported (needs no production figures).
	Census *FunctionalityReport
	// Repairs is what work orders recorded, when the registry keeps them.
	Repairs *RepairReport
	// Lang is the language the page is written in; "" is English.
	Lang i18n.Lang

	tr *words // set by WriteHTML
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
	p.Maintenance, p.NoServiceRecord = splitDue(due, f.GeneratedAt)
	p.Census = f.Functionality(GroupRegion)
	p.Repairs = f.Repairs(GroupRegion)
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

// SupplyPage shows one supply report's tables: supply, storage and
// functional status.
func SupplyPage(title string, r *SupplyReport, loc *time.Location) *Page {
	return &Page{Title: title, Period: Period{From: r.From, To: r.To, Loc: loc}, GeneratedAt: r.GeneratedAt, Supply: r, Census: r.census()}
}

// census is the functional status part of the report's rows.
func (r *SupplyReport) census() *FunctionalityReport {
	c := &FunctionalityReport{Group: r.Group, Items: make([]FunctionalityRow, 0, len(r.Items))}
	for _, row := range r.Items {
		if row.Functionality.Devices > 0 {
			c.Items = append(c.Items, FunctionalityRow{Key: row.Key, Name: row.Name, Region: row.Region, Country: row.Country, Functionality: row.Functionality})
		}
	}
	c.Total = FunctionalityRow{Key: "total", Functionality: r.Total.Functionality}
	return c
}

// WriteHTML renders the report as a printable HTML page with a status bar
// per row and the outage list, in English.
func (r *UptimeReport) WriteHTML(w io.Writer) error { return r.WriteHTMLIn(w, i18n.English) }

// WriteHTMLIn is WriteHTML in language l.
func (r *UptimeReport) WriteHTMLIn(w io.Writer, l i18n.Lang) error {
	p := UptimePage(wordsIn(l).T("report.uptime_title"), r, reportLoc(r.loc, r.TimeZone))
	p.Lang = l
	return p.WriteHTML(w)
}

// WriteHTML renders the report as a printable HTML page, in English.
func (r *SupplyReport) WriteHTML(w io.Writer) error { return r.WriteHTMLIn(w, i18n.English) }

// WriteHTMLIn is WriteHTML in language l.
func (r *SupplyReport) WriteHTMLIn(w io.Writer, l i18n.Lang) error {
	p := SupplyPage(wordsIn(l).T("report.supply_title"), r, reportLoc(r.loc, r.TimeZone))
	p.Lang = l
	return p.WriteHTML(w)
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

// WriteHTML renders the page as one self-contained HTML document in
// p.Lang.
func (p *Page) WriteHTML(w io.Writer) error {
	p.tr = wordsIn(p.Lang.Or(i18n.English))
	t, err := pageTemplate.Clone()
	if err != nil {
		return fmt.Errorf("render html report: %w", err)
	}
	if err := t.Funcs(p.tr.funcs()).Execute(w, p); err != nil {
		return fmt.Errorf("render html report: %w", err)
	}
	return nil
}

// HTMLLang is the page's language for <html lang>.
func (p *Page) HTMLLang() string { return string(p.Lang.Or(i18n.English)) }

// Loc is the report zone, for the template.
func (p *Page) Loc() *time.Location {
	if p.Period.Loc == nil {
		return time.UTC
	}
	return p.Period.Loc
}

// groupKeys name a grouping: the main table's first column (plural), one
// row (singular), and the headings of the uptime and supply sections.
var groupKeys = map[Group][4]string{
	GroupDevice:   {"report.group.device", "report.col.device", "report.uptime_by.device", ""},
	GroupFacility: {"report.group.facility", "report.one.facility", "report.uptime_by.facility", "report.supply_by.facility"},
	GroupRegion:   {"report.group.region", "report.one.region", "report.uptime_by.region", "report.supply_by.region"},
	GroupCountry:  {"report.group.country", "report.one.country", "report.uptime_by.country", "report.supply_by.country"},
}

func (p *Page) group(g Group, i int) string {
	ks, ok := groupKeys[g]
	if !ok || ks[i] == "" {
		ks = groupKeys[GroupFacility]
	}
	return p.tr.T(ks[i])
}

// GroupTitle names the main table's grouping: Facilities, Regions….
func (p *Page) GroupTitle() string { return p.group(p.Table.Group, 0) }

// SupplyTitle heads the supply table's first column: Facility, Region….
func (p *Page) SupplyTitle() string { return p.group(p.Supply.Group, 1) }

// SupplyHeading is the supply section's heading.
func (p *Page) SupplyHeading() string { return p.group(p.Supply.Group, 3) }

// CensusTitle heads the functional status table's first column.
func (p *Page) CensusTitle() string { return p.group(p.Census.Group, 1) }

// FacilityDemand reports whether supply rows are facilities, whose demand
// cell says how it was found.
func (p *Page) FacilityDemand() bool { return p.Supply != nil && p.Supply.Group == GroupFacility }

// UptimeHeading is the main table's heading: Uptime by facility….
func (p *Page) UptimeHeading() string { return p.group(p.Table.Group, 2) }

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

// splitDue lists due components with a service on record, the one that
// fell due first (by running hours or calendar, see nextDue) first, and
// sums those without one per component.
func splitDue(due []MaintenanceDue, now time.Time) ([]MaintenanceDue, []UnrecordedService) {
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
		return cmp.Or(compareDue(a, b, now), cmp.Compare(a.Device, b.Device), cmp.Compare(a.Component, b.Component))
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
