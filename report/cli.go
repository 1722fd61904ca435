package report

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/oxywatch/oxywatch/internal/config"
	"github.com/oxywatch/oxywatch/internal/i18n"
	"github.com/oxywatch/oxywatch/report/dhis2"
)

// CLIDeps is what `oxywatch report` needs from the app.
type CLIDeps struct {
	Config     config.Report
	Registry   Registry
	Timelines  TimelineSource
	Production ProductionSource // nil: supply figures are unavailable
	// Maintenance lists components due for service, for the monthly report; may be nil.
	Maintenance func(ctx context.Context) ([]MaintenanceDue, error)
	HTTPClient  *http.Client     // for the DHIS2 push; nil uses report.dhis2.timeout
	Now         func() time.Time // nil: time.Now
	// DataDir is the data dir the registry and timelines were read from,
	// and ProductionFrom where production is read ("InfluxDB at URL"),
	// for messages.
	DataDir, ProductionFrom string
	// Language is the deployment's default language (config
	// notify.language) of HTML reports; --lang overrides it. "": English.
	Language string
}

// ErrEmptyRegistry is returned instead of a report of no devices: the data
// dir read is most likely not the server's.
var ErrEmptyRegistry = errors.New("no devices in the registry")

// Messages of the command line, in one place until message catalogues come.
const (
	msgEmptyRegistry = "%w at %s: this is not the data dir `oxywatch serve` uses, or no device has reported yet. " +
		"Give the server's data dir with --config FILE or OXYWATCH_DATA_DIR=DIR (make run keeps it in ./var/oxywatch), " +
		"or register devices (POST /api/v1/devices/import)"
	msgProvisional      = "report: warning: %s has not ended (it runs to %s); the figures cover it up to %s and will change\n"
	msgNoProductionWarn = "report: warning: %s; the report shows uptime without the supply section\n"
	msgNoProductionErr  = "%w (uptime, and the monthly report without its supply section, work without it)"
)

// ErrUsage is wrapped by errors in the command line itself.
var ErrUsage = errors.New("usage")

const cliUsage = `Usage: oxywatch report COMMAND [flags]

Commands:
  uptime    hours in each status, uptime, outages and repairs per group
  supply    capacity, oxygen produced, cylinders and demand per group
  monthly   the printable ministry report (HTML): summary, regions, facilities,
            supply, repairs, outages, maintenance due; --format csv for its
            figures by region and the national total
  repairs   work orders per group: MTTR, main causes, still open, failures
            without a work order
  dhis2     build the month's DHIS2 dataValueSets payload, and push it with --push

Periods: --from and --to are local dates (2026-11-01, midnight in
report.time_zone) or RFC 3339 times, the end excluded; --month 2026-11 is one
calendar month. Without them, the last complete month.

Examples:
  oxywatch report uptime --from 2026-11-01 --to 2026-12-01 --group region --format csv
  oxywatch report supply --month 2026-11 --group facility --format json
  oxywatch report monthly --month 2026-11 --out uptime-2026-11.html
  oxywatch report monthly --month 2026-11 --lang fr --out disponibilite-2026-11.html
  oxywatch report monthly --month 2026-11 --format csv --out national-2026-11.csv
  oxywatch report repairs --month 2026-11 --group region --format csv
  oxywatch report dhis2 --period 202611            # print the payload
  oxywatch report dhis2 --period 202611 --push     # send it and show the import summary

Run oxywatch report COMMAND --help for the flags of one command.
`

// RunCLI runs `oxywatch report ARGS…`, writing the report to stdout (or
// --out) and progress and warnings to stderr.
func RunCLI(ctx context.Context, args []string, deps CLIDeps, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		_, err := io.WriteString(stdout, cliUsage)
		if len(args) == 0 {
			return fmt.Errorf("%w: oxywatch report needs a command", ErrUsage)
		}
		return err
	}
	c := &cli{deps: deps, stdout: stdout, stderr: stderr}
	if deps.Registry != nil {
		if err := c.checkRegistry(ctx); err != nil {
			return err
		}
	}
	switch args[0] {
	case "uptime":
		return c.uptime(ctx, args[1:])
	case "supply":
		return c.supply(ctx, args[1:])
	case "monthly":
		return c.monthly(ctx, args[1:])
	case "repairs":
		return c.repairs(ctx, args[1:])
	case "dhis2":
		return c.dhis2(ctx, args[1:])
	}
	return fmt.Errorf("%w: unknown report command %q (want uptime, supply, monthly, repairs or dhis2)", ErrUsage, args[0])
}

type cli struct {
	deps           CLIDeps
	stdout, stderr io.Writer
}

// checkRegistry refuses to report on a registry without devices.
func (c *cli) checkRegistry(ctx context.Context) error {
	devs, err := c.deps.Registry.Devices(ctx)
	if err != nil {
		return fmt.Errorf("list devices: %w", err)
	}
	if len(devs) > 0 {
		return nil
	}
	if rs, ok := c.deps.Registry.(RetirementSource); ok {
		if gone, err := rs.Retired(ctx, time.Time{}, c.now()); err == nil && len(gone) > 0 {
			return nil
		}
	}
	return fmt.Errorf(msgEmptyRegistry, ErrEmptyRegistry, cmp.Or(c.deps.DataDir, "the data dir"))
}

// warnProvisional says on stderr when p has not ended yet.
func (c *cli) warnProvisional(p Period) {
	if now := c.now(); now.Before(p.To) {
		fmt.Fprintf(c.stderr, msgProvisional, p, p.To.In(p.Loc).Format("2006-01-02 15:04"), now.In(p.Loc).Format("2006-01-02 15:04"))
	}
}

// productionError names where production was to be read from.
func (c *cli) productionError(err error) error {
	if c.deps.ProductionFrom != "" && errors.Is(err, ErrNoProduction) {
		err = fmt.Errorf("%s: %w", c.deps.ProductionFrom, err)
	}
	return err
}

// periodFlags are the flags that choose a period and an output.
type periodFlags struct {
	from, to, month, group, format, out, regions, lang, csvHeaders string
}

func (c *cli) flagSet(name, summary string, pf *periodFlags, formats string) *flag.FlagSet {
	fs := flag.NewFlagSet("oxywatch report "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&pf.from, "from", "", "start, a local date such as 2026-11-01 or an RFC 3339 time")
	fs.StringVar(&pf.to, "to", "", "end (excluded), a local date or an RFC 3339 time")
	fs.StringVar(&pf.month, "month", "", "one calendar month, e.g. 2026-11 (instead of --from and --to)")
	fs.StringVar(&pf.out, "out", "", "write to this file instead of standard output")
	fs.StringVar(&pf.regions, "region", "", "only these regions, comma separated (default: all)")
	fs.StringVar(&pf.lang, "lang", "", "language of the HTML report: en, fr or pt (default: notify.language, else en); CSV and JSON keep machine names")
	if formats != "" {
		fs.StringVar(&pf.group, "group", "facility", "device, facility, region or country")
		fs.StringVar(&pf.format, "format", "json", formats)
		fs.StringVar(&pf.csvHeaders, "csv-headers", "machine", "CSV column names: machine (stable names scripts read) or human (words in --lang)")
	}
	fs.Usage = func() {
		fmt.Fprintf(c.stdout, "Usage: oxywatch report %s [flags]\n\n%s\n\nFlags:\n", name, summary)
		fs.SetOutput(c.stdout)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return fs
}

// parse reads flags; done is true when --help was asked for and answered.
func (c *cli) parse(fs *flag.FlagSet, args []string) (done bool, err error) {
	usage := fs.Usage
	fs.Usage = func() {} // flag calls it on errors too; print it for --help only
	err = fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		usage()
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("%w: %s: %w (see --help)", ErrUsage, fs.Name(), err)
	}
	if fs.NArg() > 0 {
		return false, fmt.Errorf("%w: %s: unexpected argument %q (see --help)", ErrUsage, fs.Name(), fs.Arg(0))
	}
	return false, nil
}

func (c *cli) now() time.Time {
	if c.deps.Now != nil {
		return c.deps.Now()
	}
	return time.Now()
}

func (c *cli) reporter() *Reporter {
	opt := OptionsFrom(c.deps.Config)
	opt.Now = c.now
	batch := opt.BatchSize
	opt.Progress = func(done, total int) {
		if total > batch { // a long run: say how far it got
			fmt.Fprintf(c.stderr, "report: %d/%d devices\n", done, total)
		}
	}
	return New(c.deps.Registry, c.deps.Timelines, c.deps.Production, opt)
}

func (c *cli) period(pf *periodFlags) (Period, error) {
	loc := c.deps.Config.Location()
	if pf.month == "" {
		p, err := ParsePeriod(pf.from, pf.to, c.now(), loc)
		if err != nil {
			return p, fmt.Errorf("%w: %w", ErrUsage, err)
		}
		return p, nil
	}
	if pf.from != "" || pf.to != "" {
		return Period{}, fmt.Errorf("%w: give --month or --from and --to, not both", ErrUsage)
	}
	p, err := ParseMonthPeriod(strings.ReplaceAll(pf.month, "-", ""), loc)
	if err != nil {
		return p, fmt.Errorf("%w: --month: %w", ErrUsage, err)
	}
	return p, nil
}

func (c *cli) uptime(ctx context.Context, args []string) error {
	var pf periodFlags
	fs := c.flagSet("uptime", "Hours in each status, uptime_pct, data_coverage_pct, outages and MTTR per group.", &pf, "json, csv or html")
	q, done, err := c.common(fs, args, &pf)
	if done || err != nil {
		return err
	}
	c.warnProvisional(q.Period)
	rep, err := c.reporter().Uptime(ctx, q)
	if err != nil {
		return err
	}
	l, err := c.lang(&pf)
	if err != nil {
		return err
	}
	h, err := csvHeaders(&pf, l)
	if err != nil {
		return err
	}
	return c.write(pf.out, formatWriter(pf.format, l, h, rep))
}

// formatWriter picks the writer of a report for --format; HTML is in l,
// CSV has the headers h asks for.
func formatWriter(format string, l i18n.Lang, h CSVHeaders, rep interface {
	WriteJSON(io.Writer) error
	WriteCSVWith(io.Writer, CSVHeaders) error
	WriteHTMLIn(io.Writer, i18n.Lang) error
}) func(io.Writer) error {
	switch format {
	case "csv":
		return func(w io.Writer) error { return rep.WriteCSVWith(w, h) }
	case "html":
		return func(w io.Writer) error { return rep.WriteHTMLIn(w, l) }
	}
	return rep.WriteJSON
}

// csvHeaders reads --csv-headers.
func csvHeaders(pf *periodFlags, l i18n.Lang) (CSVHeaders, error) {
	switch pf.csvHeaders {
	case "", "machine":
		return CSVHeaders{Lang: l}, nil
	case "human":
		return CSVHeaders{Human: true, Lang: l}, nil
	}
	return CSVHeaders{}, fmt.Errorf("%w: --csv-headers %q is not machine or human", ErrUsage, pf.csvHeaders)
}

// lang is the language --lang asks for, else the deployment's
// (notify.language), else English.
func (c *cli) lang(pf *periodFlags) (i18n.Lang, error) {
	l, err := i18n.Parse(pf.lang)
	if err != nil {
		return "", fmt.Errorf("%w: --lang: %w", ErrUsage, err)
	}
	def, _ := i18n.Parse(c.deps.Language)
	return l.Or(def).Or(i18n.English), nil
}

func (c *cli) supply(ctx context.Context, args []string) error {
	var pf periodFlags
	fs := c.flagSet("supply", "Rated and available capacity, oxygen produced, cylinders filled, demand and coverage per group.", &pf, "json, csv or html")
	q, done, err := c.common(fs, args, &pf)
	if done || err != nil {
		return err
	}
	c.warnProvisional(q.Period)
	rep, err := c.reporter().Supply(ctx, q)
	if err != nil {
		return fmt.Errorf(msgNoProductionErr, c.productionError(err))
	}
	l, err := c.lang(&pf)
	if err != nil {
		return err
	}
	h, err := csvHeaders(&pf, l)
	if err != nil {
		return err
	}
	return c.write(pf.out, formatWriter(pf.format, l, h, rep))
}

// repairs is `oxywatch report repairs`.
func (c *cli) repairs(ctx context.Context, args []string) error {
	var pf periodFlags
	fs := c.flagSet("repairs", "Work orders per group: mean time to repair, main causes, work orders still open, failures without a work order.", &pf, "json, csv or html")
	q, done, err := c.common(fs, args, &pf)
	if done || err != nil {
		return err
	}
	c.warnProvisional(q.Period)
	rep, err := c.reporter().Repairs(ctx, q)
	if err != nil {
		return err
	}
	l, err := c.lang(&pf)
	if err != nil {
		return err
	}
	h, err := csvHeaders(&pf, l)
	if err != nil {
		return err
	}
	return c.write(pf.out, formatWriter(pf.format, l, h, rep))
}

// common parses flags, the period, the group, the regions and the format.
func (c *cli) common(fs *flag.FlagSet, args []string, pf *periodFlags) (Query, bool, error) {
	if done, err := c.parse(fs, args); done || err != nil {
		return Query{}, done, err
	}
	p, err := c.period(pf)
	if err != nil {
		return Query{}, false, err
	}
	g, err := ParseGroup(pf.group)
	if err != nil {
		return Query{}, false, fmt.Errorf("%w: --group: %w", ErrUsage, err)
	}
	switch pf.format {
	case "json", "csv", "html":
	default:
		return Query{}, false, fmt.Errorf("%w: --format %q is not one of json, csv, html", ErrUsage, pf.format)
	}
	return Query{Period: p, Group: g, Regions: ParseRegions(pf.regions)}, false, nil
}

func (c *cli) monthly(ctx context.Context, args []string) error {
	var pf periodFlags
	fs := c.flagSet("monthly", "The printable monthly ministry report, one self-contained HTML file (A4).", &pf, "")
	title := fs.String("title", "", "report title, e.g. the ministry's name (default: National Oxygen Programme – equipment report, in --lang)")
	format := fs.String("format", "html", "html (the printable report) or csv (its figures by region and the national total)")
	if done, err := c.parse(fs, args); done || err != nil {
		return err
	}
	p, err := c.period(&pf)
	if err != nil {
		return err
	}
	l, err := c.lang(&pf)
	if err != nil {
		return err
	}
	if *title == "" {
		*title = wordsIn(l).T("report.default_title")
	}
	if *format != "html" && *format != "csv" {
		return fmt.Errorf("%w: --format %q is not html or csv", ErrUsage, *format)
	}
	c.warnProvisional(p)
	page, err := c.monthlyPage(ctx, p, ParseRegions(pf.regions), *title)
	if err != nil {
		return err
	}
	page.Lang = l
	if *format == "csv" {
		return c.write(pf.out, func(w io.Writer) error { return page.WriteCSV(w, CSVHeaders{Lang: l}) })
	}
	return c.write(pf.out, page.WriteHTML)
}

func (c *cli) monthlyPage(ctx context.Context, p Period, regions []string, title string) (*Page, error) {
	r := c.reporter()
	f, err := r.Fleet(ctx, p, regions)
	if err != nil {
		return nil, err
	}
	prodErr := r.LoadProduction(ctx, f)
	if prodErr != nil && !errors.Is(prodErr, ErrNoProduction) {
		return nil, prodErr
	}
	if prodErr != nil {
		prodErr = c.productionError(prodErr)
		fmt.Fprintf(c.stderr, msgNoProductionWarn, prodErr)
	}
	var due []MaintenanceDue
	if c.deps.Maintenance != nil {
		if due, err = c.deps.Maintenance(ctx); err != nil {
			return nil, fmt.Errorf("list maintenance due: %w", err)
		}
		in := newRegionFilter(regions)
		due = slices.DeleteFunc(due, func(m MaintenanceDue) bool { return !in.has(m.Region) })
	}
	page := MonthlyPage(title, f, due)
	if prodErr != nil {
		page.SupplyUnavailable = prodErr.Error()
	}
	return page, nil
}

func (c *cli) dhis2(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("oxywatch report dhis2", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	period := fs.String("period", "", "DHIS2 monthly period, e.g. 202611 (default: the last complete month)")
	mapping := fs.String("mapping", c.deps.Config.DHIS2.MappingFile, "mapping file: indicators to data elements, facilities to org units")
	push := fs.Bool("push", false, "send the payload to report.dhis2.url and show the import summary")
	out := fs.String("out", "", "write the payload to this file instead of standard output")
	fs.Usage = func() {
		fmt.Fprintf(c.stdout, "Usage: oxywatch report dhis2 [flags]\n\nBuilds the month's dataValueSets payload for DHIS2 and, with --push, sends it.\nIndicators: %s\n\nFlags:\n", strings.Join(Indicators(), ", "))
		fs.SetOutput(c.stdout)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	if done, err := c.parse(fs, args); done || err != nil {
		return err
	}
	p, err := c.dhis2Period(*period)
	if err != nil {
		return err
	}
	if c.now().Before(p.To) {
		return fmt.Errorf("%w: %s has not ended; DHIS2 takes complete months", ErrUsage, p)
	}
	cfg := c.deps.Config
	cfg.DHIS2.MappingFile = *mapping
	if !*push {
		cfg.DHIS2.URL = ""
	}
	e, err := NewDHIS2Exporter(cfg, c.reporter(), c.deps.HTTPClient)
	if err != nil {
		return err
	}
	if *push {
		return c.pushDHIS2(ctx, e, p)
	}
	set, skipped, err := e.Payload(ctx, p)
	if err != nil {
		return c.productionError(err)
	}
	c.warnSkipped(skipped)
	return c.write(*out, func(w io.Writer) error { return WriteJSON(w, set) })
}

func (c *cli) dhis2Period(s string) (Period, error) {
	loc := c.deps.Config.Location()
	if s == "" {
		return PreviousMonth(c.now(), loc), nil
	}
	if !dhis2.ValidPeriod(s) {
		return Period{}, fmt.Errorf("%w: --period %q is not a month such as 202611", ErrUsage, s)
	}
	return ParseMonthPeriod(s, loc)
}

func (c *cli) pushDHIS2(ctx context.Context, e *DHIS2Exporter, p Period) error {
	if e.Client == nil {
		return fmt.Errorf("--push needs report.dhis2.url (OXYWATCH_REPORT_DHIS2_URL)")
	}
	sum, skipped, err := e.Push(ctx, p)
	c.warnSkipped(skipped)
	if sum != nil {
		fmt.Fprintf(c.stdout, "DHIS2 import of %s: %s\n", p.DHIS2(), sum)
	}
	return err
}

func (c *cli) warnSkipped(skipped []dhis2.Skipped) {
	for _, s := range skipped {
		fmt.Fprintf(c.stderr, "report: dhis2: skipped %s of facility %q: %s\n", s.Indicator, s.Facility, s.Reason)
	}
}

// write sends output to stdout, or to the file path when it is set.
func (c *cli) write(path string, fn func(io.Writer) error) error {
	if path == "" {
		return fn(c.stdout)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	if err := fn(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	fmt.Fprintf(c.stderr, "report: wrote %s\n", path)
	return nil
}
