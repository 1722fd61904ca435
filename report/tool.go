package report

import (
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/oxywatch/oxywatch/internal/config"
	"github.com/oxywatch/oxywatch/internal/i18n"
	"github.com/oxywatch/oxywatch/report/dhis2"
)

// Sources is what the report command reads; internal/app opens them.
type Sources struct {
	Config     config.Report
	Registry   Registry
	Timelines  TimelineSource
	Production ProductionSource // nil: supply figures are unavailable
	// Maintenance lists components due for service, for the monthly report; may be nil.
	Maintenance func(ctx context.Context) ([]MaintenanceDue, error)
	HTTPClient  *http.Client     // for the DHIS2 push; nil uses report.dhis2.timeout
	Now         func() time.Time // nil: time.Now
	// DataDir is the data dir the registry and timelines were read from,
	// and ProductionFrom where production is read (i18n.Msg
	// "cli.report.influx_at"), for messages.
	DataDir        string
	ProductionFrom i18n.Message
	// Language is the deployment's default language (config
	// notify.language) of HTML reports; Request.Lang overrides it. "": English.
	Language string
}

// Request is one report, as the command line asks for it.
type Request struct {
	From, To, Month string // the period: local dates or RFC 3339 times, or a month 2026-11
	Group           string // device, facility, region or country
	Regions         string // comma separated; "": all
	Format          string // json, csv or html (monthly: html or csv)
	Lang            string // of HTML and human CSV; "": Sources.Language, else English
	CSVHeaders      string // machine (default) or human
	Title           string // of the monthly report; "": the default title in Lang
}

// DHIS2Request is one DHIS2 export.
type DHIS2Request struct {
	Period  string // 202611; "": the last complete month
	Mapping string // "": report.dhis2.mapping_file
	Push    bool
}

// Output writes a report.
type Output func(io.Writer) error

// ErrEmptyRegistry is returned instead of a report of no devices: the data
// dir read is most likely not the server's.
var ErrEmptyRegistry = errors.New("no devices in the registry")

// ErrUsage is wrapped by errors in what a request asks for.
var ErrUsage = errors.New("usage")

// Tool makes the reports of `oxywatch report` from Sources. What the
// person running it should read on the side (a month not ended, supply
// left out, progress) goes to Notice as catalogue messages; its errors are
// i18n.Errors, said in the reader's language by the command line.
type Tool struct {
	src    Sources
	Notice func(i18n.Message)
	// Reader is the language of the person running the tool, for the lines
	// it writes itself (DHIS2's import summary); "": the report's language.
	Reader i18n.Lang
}

// NewTool returns a tool reading src; notices go to notice (nil: dropped).
func NewTool(src Sources, notice func(i18n.Message)) *Tool {
	if notice == nil {
		notice = func(i18n.Message) {}
	}
	return &Tool{src: src, Notice: notice}
}

// Indicators lists the DHIS2 indicators, for the command's help.
func (t *Tool) Indicators() []string { return Indicators() }

// Uptime is the uptime report req asks for.
func (t *Tool) Uptime(ctx context.Context, req Request) (Output, error) {
	q, l, h, err := t.query(ctx, req)
	if err != nil {
		return nil, err
	}
	t.warnProvisional(q.Period)
	rep, err := t.reporter().Uptime(ctx, q)
	if err != nil {
		return nil, err
	}
	return formatWriter(req.Format, l, h, rep), nil
}

// Supply is the supply report req asks for.
func (t *Tool) Supply(ctx context.Context, req Request) (Output, error) {
	q, l, h, err := t.query(ctx, req)
	if err != nil {
		return nil, err
	}
	t.warnProvisional(q.Period)
	rep, err := t.reporter().Supply(ctx, q)
	if err != nil {
		return nil, i18n.Errorf("cli.report.no_production_err", t.productionError(err))
	}
	return formatWriter(req.Format, l, h, rep), nil
}

// Repairs is the repairs report req asks for: work orders per group, MTTR,
// main causes, still open, failures without a work order.
func (t *Tool) Repairs(ctx context.Context, req Request) (Output, error) {
	q, l, h, err := t.query(ctx, req)
	if err != nil {
		return nil, err
	}
	t.warnProvisional(q.Period)
	rep, err := t.reporter().Repairs(ctx, q)
	if err != nil {
		return nil, err
	}
	return formatWriter(req.Format, l, h, rep), nil
}

// Monthly is the monthly report req asks for: the printable page (HTML,
// the default), or with Format "csv" its figures by region and the
// national total.
func (t *Tool) Monthly(ctx context.Context, req Request) (Output, error) {
	if err := t.checkRegistry(ctx); err != nil {
		return nil, err
	}
	if f := cmpOr(req.Format, "html"); f != "html" && f != "csv" {
		return nil, i18n.Wrap(ErrUsage, "cli.report.bad_monthly_format", req.Format)
	}
	p, err := t.period(req)
	if err != nil {
		return nil, err
	}
	l, err := t.lang(req.Lang)
	if err != nil {
		return nil, err
	}
	title := req.Title
	if title == "" {
		title = wordsIn(l).T("report.default_title")
	}
	t.warnProvisional(p)
	page, err := t.monthlyPage(ctx, p, ParseRegions(req.Regions), title, l)
	if err != nil {
		return nil, err
	}
	page.Lang = l
	if req.Format == "csv" {
		return func(w io.Writer) error { return page.WriteCSV(w, CSVHeaders{Lang: l}) }, nil
	}
	return page.WriteHTML, nil
}

// query checks the registry and reads the period, group, regions, format,
// language and CSV headings of req.
func (t *Tool) query(ctx context.Context, req Request) (Query, i18n.Lang, CSVHeaders, error) {
	if err := t.checkRegistry(ctx); err != nil {
		return Query{}, "", CSVHeaders{}, err
	}
	p, err := t.period(req)
	if err != nil {
		return Query{}, "", CSVHeaders{}, err
	}
	g, err := ParseGroup(cmpOr(req.Group, string(GroupFacility)))
	if err != nil {
		return Query{}, "", CSVHeaders{}, i18n.Wrap(ErrUsage, "cli.report.bad_group", req.Group)
	}
	switch cmpOr(req.Format, "json") {
	case "json", "csv", "html":
	default:
		return Query{}, "", CSVHeaders{}, i18n.Wrap(ErrUsage, "cli.report.bad_format", req.Format)
	}
	l, err := t.lang(req.Lang)
	if err != nil {
		return Query{}, "", CSVHeaders{}, err
	}
	h, err := csvHeaders(req.CSVHeaders, l)
	if err != nil {
		return Query{}, "", CSVHeaders{}, err
	}
	return Query{Period: p, Group: g, Regions: ParseRegions(req.Regions)}, l, h, nil
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// checkRegistry refuses to report on a registry without devices.
func (t *Tool) checkRegistry(ctx context.Context) error {
	if t.src.Registry == nil {
		return nil
	}
	devs, err := t.src.Registry.Devices(ctx)
	if err != nil {
		return i18n.Errorf("cli.report.list_devices", err)
	}
	if len(devs) > 0 {
		return nil
	}
	if rs, ok := t.src.Registry.(RetirementSource); ok {
		if gone, err := rs.Retired(ctx, time.Time{}, t.now()); err == nil && len(gone) > 0 {
			return nil
		}
	}
	var dir any = i18n.Msg("cli.report.the_data_dir")
	if t.src.DataDir != "" {
		dir = t.src.DataDir
	}
	return i18n.Wrap(ErrEmptyRegistry, "cli.report.empty_registry", dir)
}

// warnProvisional gives a notice when p has not ended yet.
func (t *Tool) warnProvisional(p Period) {
	if now := t.now(); now.Before(p.To) {
		t.Notice(i18n.Msg("cli.report.provisional", p, p.To.In(p.Loc).Format("2006-01-02 15:04"), now.In(p.Loc).Format("2006-01-02 15:04")))
	}
}

// In names the period in l ("novembre 2026"), for messages.
func (p Period) In(l i18n.Lang) string { return wordsIn(l).period(p) }

// productionError names where production was to be read from.
func (t *Tool) productionError(err error) error {
	if t.src.ProductionFrom.Key != "" && errors.Is(err, ErrNoProduction) {
		return i18n.Errorf("cli.report.production_from", t.src.ProductionFrom, err)
	}
	return err
}

func (t *Tool) now() time.Time {
	if t.src.Now != nil {
		return t.src.Now()
	}
	return time.Now()
}

func (t *Tool) reporter() *Reporter {
	opt := OptionsFrom(t.src.Config)
	opt.Now = t.now
	batch := opt.BatchSize
	opt.Progress = func(done, total int) {
		if total > batch { // a long run: say how far it got
			t.Notice(i18n.Msg("cli.report.progress", done, total))
		}
	}
	return New(t.src.Registry, t.src.Timelines, t.src.Production, opt)
}

func (t *Tool) period(req Request) (Period, error) {
	loc := t.src.Config.Location()
	if req.Month == "" {
		p, err := ParsePeriod(req.From, req.To, t.now(), loc)
		if err != nil {
			return p, i18n.Wrap(ErrUsage, "cli.report.bad_period", err)
		}
		return p, nil
	}
	if req.From != "" || req.To != "" {
		return Period{}, i18n.Wrap(ErrUsage, "cli.report.month_and_range")
	}
	p, err := ParseMonthPeriod(strings.ReplaceAll(req.Month, "-", ""), loc)
	if err != nil {
		return p, i18n.Wrap(ErrUsage, "cli.report.bad_month", req.Month)
	}
	return p, nil
}

// formatWriter picks the writer of a report for format; HTML is in l,
// CSV has the headers h asks for.
func formatWriter(format string, l i18n.Lang, h CSVHeaders, rep interface {
	WriteJSON(io.Writer) error
	WriteCSVWith(io.Writer, CSVHeaders) error
	WriteHTMLIn(io.Writer, i18n.Lang) error
}) Output {
	switch format {
	case "csv":
		return func(w io.Writer) error { return rep.WriteCSVWith(w, h) }
	case "html":
		return func(w io.Writer) error { return rep.WriteHTMLIn(w, l) }
	}
	return rep.WriteJSON
}

// csvHeaders reads the CSV headings asked for.
func csvHeaders(s string, l i18n.Lang) (CSVHeaders, error) {
	switch s {
	case "", "machine":
		return CSVHeaders{Lang: l}, nil
	case "human":
		return CSVHeaders{Human: true, Lang: l}, nil
	}
	return CSVHeaders{}, i18n.Wrap(ErrUsage, "cli.report.bad_csv_headers", s)
}

// lang is the language asked for, else the deployment's
// (notify.language), else English.
func (t *Tool) lang(s string) (i18n.Lang, error) {
	l, err := i18n.Parse(s)
	if err != nil {
		return "", i18n.Wrap(ErrUsage, "cli.report.bad_lang", s)
	}
	def, _ := i18n.Parse(t.src.Language)
	return l.Or(def).Or(i18n.English), nil
}

func (t *Tool) monthlyPage(ctx context.Context, p Period, regions []string, title string, l i18n.Lang) (*Page, error) {
	r := t.reporter()
	f, err := r.Fleet(ctx, p, regions)
	if err != nil {
		return nil, err
	}
	prodErr := r.LoadProduction(ctx, f)
	if prodErr != nil && !errors.Is(prodErr, ErrNoProduction) {
		return nil, prodErr
	}
	if prodErr != nil {
		prodErr = t.productionError(prodErr)
		t.Notice(i18n.Msg("cli.report.no_production_warn", prodErr))
	}
	var due []MaintenanceDue
	if t.src.Maintenance != nil {
		if due, err = t.src.Maintenance(ctx); err != nil {
			return nil, i18n.Errorf("cli.report.list_maintenance", err)
		}
		in := newRegionFilter(regions)
		due = slices.DeleteFunc(due, func(m MaintenanceDue) bool { return !in.has(m.Region) })
	}
	page := MonthlyPage(title, f, due)
	if prodErr != nil {
		page.SupplyUnavailable = i18n.Text(prodErr, l) // the reason in the page's words
	}
	return page, nil
}

// DHIS2 builds the month's DHIS2 payload, or pushes it and writes DHIS2's
// import summary. With Push, the Output may come with an error: the
// summary of an import DHIS2 refused in part.
func (t *Tool) DHIS2(ctx context.Context, req DHIS2Request) (Output, error) {
	if err := t.checkRegistry(ctx); err != nil {
		return nil, err
	}
	p, err := t.dhis2Period(req.Period)
	if err != nil {
		return nil, err
	}
	if t.now().Before(p.To) {
		return nil, i18n.Wrap(ErrUsage, "cli.report.dhis2_unfinished", p)
	}
	cfg := t.src.Config
	if req.Mapping != "" {
		cfg.DHIS2.MappingFile = req.Mapping
	}
	if !req.Push {
		cfg.DHIS2.URL = ""
	}
	e, err := NewDHIS2Exporter(cfg, t.reporter(), t.src.HTTPClient)
	if err != nil {
		return nil, err
	}
	if req.Push {
		return t.pushDHIS2(ctx, e, p)
	}
	set, skipped, err := e.Payload(ctx, p)
	if err != nil {
		return nil, t.productionError(err)
	}
	t.warnSkipped(skipped)
	return func(w io.Writer) error { return WriteJSON(w, set) }, nil
}

func (t *Tool) dhis2Period(s string) (Period, error) {
	loc := t.src.Config.Location()
	if s == "" {
		return PreviousMonth(t.now(), loc), nil
	}
	if !dhis2.ValidPeriod(s) {
		return Period{}, i18n.Wrap(ErrUsage, "cli.report.dhis2_bad_period", s)
	}
	return ParseMonthPeriod(s, loc)
}

func (t *Tool) pushDHIS2(ctx context.Context, e *DHIS2Exporter, p Period) (Output, error) {
	if e.Client == nil {
		return nil, i18n.Errorf("cli.report.dhis2_no_url")
	}
	sum, skipped, err := e.Push(ctx, p)
	t.warnSkipped(skipped)
	if sum == nil {
		return nil, err
	}
	return func(w io.Writer) error {
		_, werr := io.WriteString(w, i18n.Msg("cli.report.dhis2_summary", p.DHIS2(), sum.String()).In(t.lang0())+"\n")
		return werr
	}, err
}

// lang0 is the reader's language, else the deployment's.
func (t *Tool) lang0() i18n.Lang {
	l, _ := t.lang("")
	return t.Reader.Or(l)
}

func (t *Tool) warnSkipped(skipped []dhis2.Skipped) {
	for _, s := range skipped {
		t.Notice(i18n.Msg("cli.report.dhis2_skipped", s.Indicator, s.Facility, s.Reason))
	}
}
