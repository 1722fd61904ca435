package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/oxywatch/oxywatch/internal/app"
	"github.com/oxywatch/oxywatch/internal/i18n"
)

// makeRunDataDir is where `make run` (scripts/run.sh) keeps the server's
// data, under the default data dir.
const makeRunDataDir = "oxywatch"

// errUsage is wrapped by the report command's errors in its own flags.
var errUsage = app.ErrReportUsage

func (c *cmdline) reportCmd(ctx context.Context, args []string) error {
	cfg, rest, err := c.loadForCommand("report", "cli.report.usage_config", args)
	if err != nil {
		return err
	}
	if len(rest) == 0 || rest[0] == "help" || rest[0] == "-h" || rest[0] == "--help" {
		io.WriteString(c.stdout, c.t("cli.report.usage"))
		if len(rest) == 0 {
			return i18n.Wrap(errUsage, "cli.report.needs_command")
		}
		return nil
	}
	switch rest[0] {
	case "uptime", "supply", "repairs", "monthly", "dhis2":
	default:
		return i18n.Wrap(errUsage, "cli.report.unknown_command", rest[0])
	}
	if asksHelp(rest[1:]) { // the flags of one command need no data
		return c.reportCLI(ctx, nil, rest)
	}
	dir, err := reportDataDir(cfg.DataDir)
	if err != nil {
		return err
	}
	c.say(c.stderr, "cli.report.reading_dir", dir)
	cfg.DataDir = dir
	tool, release, err := app.OpenReports(ctx, cfg, newLogger(c.stderr, "warn"), func(m i18n.Message) { c.sayMsg(c.stderr, m) })
	if err != nil {
		return err
	}
	defer release()
	return c.reportCLI(ctx, tool, rest)
}

// reportDataDir finds the server's data: dir when it holds the SQLite file,
// else make run's data dir under it. It never creates an empty database: a
// report read from one would say "0 devices" about a fleet it never saw.
func reportDataDir(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", i18n.Errorf("cli.data_dir_failed", dir, err)
	}
	for _, d := range []string{abs, filepath.Join(abs, makeRunDataDir)} {
		if _, err := os.Stat(filepath.Join(d, app.DBFile)); err == nil {
			return d, nil
		} else if !errors.Is(err, os.ErrNotExist) {
			return "", i18n.Errorf("cli.data_dir_failed", d, err)
		}
	}
	return "", i18n.Errorf("cli.report.no_data", abs, app.DBFile, makeRunDataDir)
}

// reportCLI runs `oxywatch report ARGS…` with tool, writing the report to
// stdout (or --out) and progress and warnings to stderr. tool is nil when
// only a command's --help is asked for.
func (c *cmdline) reportCLI(ctx context.Context, tool *app.ReportTool, args []string) error {
	if tool != nil {
		tool.Reader = c.lang
	}
	out, path, err := c.reportCommand(tool, args[0])(ctx, args[1:])
	if out == nil {
		return err
	}
	if werr := c.write(path, out); err == nil {
		err = werr
	}
	return err
}

// reportRun parses one report command's flags and runs it: the report and
// the file it goes to ("": stdout); no report when --help was answered.
type reportRun func(ctx context.Context, args []string) (out app.ReportOutput, path string, err error)

func (c *cmdline) reportCommand(tool *app.ReportTool, name string) reportRun {
	switch name {
	case "monthly":
		return c.monthlyCmd(tool)
	case "dhis2":
		return c.dhis2Cmd(tool)
	}
	return c.groupedCmd(tool, name)
}

// groupedCmd is uptime, supply or repairs: figures per group.
func (c *cmdline) groupedCmd(tool *app.ReportTool, name string) reportRun {
	return func(ctx context.Context, args []string) (app.ReportOutput, string, error) {
		var req app.ReportRequest
		var path string
		summary := map[string]string{"uptime": "cli.report.summary.uptime", "supply": "cli.report.summary.supply",
			"repairs": "cli.report.summary.repairs"}[name]
		fs := c.reportFlags(name, summary, &req, true, &path)
		if done, err := c.parseReport(fs, args); done || err != nil {
			return nil, "", err
		}
		run := map[string]func(context.Context, app.ReportRequest) (app.ReportOutput, error){
			"uptime": tool.Uptime, "supply": tool.Supply, "repairs": tool.Repairs}[name]
		out, err := run(ctx, req)
		return out, path, err
	}
}

func (c *cmdline) monthlyCmd(tool *app.ReportTool) reportRun {
	return func(ctx context.Context, args []string) (app.ReportOutput, string, error) {
		var req app.ReportRequest
		var path string
		fs := c.reportFlags("monthly", "cli.report.summary.monthly", &req, false, &path)
		fs.StringVar(&req.Title, "title", "", c.t("cli.report.flag.title"))
		fs.StringVar(&req.Format, "format", "html", c.t("cli.report.flag.monthly_format"))
		if done, err := c.parseReport(fs, args); done || err != nil {
			return nil, "", err
		}
		out, err := tool.Monthly(ctx, req)
		return out, path, err
	}
}

func (c *cmdline) dhis2Cmd(tool *app.ReportTool) reportRun {
	return func(ctx context.Context, args []string) (app.ReportOutput, string, error) {
		var req app.DHIS2Request
		var path string
		fs := c.dhis2Flags(&req, &path)
		if done, err := c.parseReport(fs, args); done || err != nil {
			return nil, "", err
		}
		out, err := tool.DHIS2(ctx, req)
		if req.Push {
			path = "" // DHIS2's import summary goes to stdout
		}
		return out, path, err
	}
}

// asksHelp reports whether args ask for a command's help.
func asksHelp(args []string) bool {
	for _, a := range args {
		if a == "-h" || a == "-help" || a == "--help" {
			return true
		}
	}
	return false
}

// reportFlags are the flags that choose a period and an output.
func (c *cmdline) reportFlags(name, summaryKey string, req *app.ReportRequest, formats bool, out *string) *flag.FlagSet {
	fs := flag.NewFlagSet("oxywatch report "+name, flag.ContinueOnError)
	fs.StringVar(&req.From, "from", "", c.t("cli.report.flag.from"))
	fs.StringVar(&req.To, "to", "", c.t("cli.report.flag.to"))
	fs.StringVar(&req.Month, "month", "", c.t("cli.report.flag.month"))
	fs.StringVar(out, "out", "", c.t("cli.report.flag.out"))
	fs.StringVar(&req.Regions, "region", "", c.t("cli.report.flag.region"))
	fs.StringVar(&req.Lang, "lang", "", c.t("cli.report.flag.lang"))
	if formats {
		fs.StringVar(&req.Group, "group", "facility", c.t("cli.report.flag.group"))
		fs.StringVar(&req.Format, "format", "json", c.t("cli.report.flag.format"))
		fs.StringVar(&req.CSVHeaders, "csv-headers", "machine", c.t("cli.report.flag.csv_headers"))
	}
	c.reportUsage(fs, name, c.t(summaryKey))
	return fs
}

func (c *cmdline) dhis2Flags(req *app.DHIS2Request, out *string) *flag.FlagSet {
	fs := flag.NewFlagSet("oxywatch report dhis2", flag.ContinueOnError)
	fs.StringVar(&req.Period, "period", "", c.t("cli.report.flag.period"))
	fs.StringVar(&req.Mapping, "mapping", "", c.t("cli.report.flag.mapping"))
	fs.BoolVar(&req.Push, "push", false, c.t("cli.report.flag.push"))
	fs.StringVar(out, "out", "", c.t("cli.report.flag.out_dhis2"))
	c.reportUsage(fs, "dhis2", c.t("cli.report.summary.dhis2", strings.Join(app.DHIS2Indicators(), ", ")))
	return fs
}

func (c *cmdline) reportUsage(fs *flag.FlagSet, name, summary string) {
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		c.say(c.stdout, "cli.report.cmd_usage", name, summary)
		c.printDefaults(c.stdout, fs)
	}
}

// parseReport reads flags; done is true when --help was asked for and answered.
func (c *cmdline) parseReport(fs *flag.FlagSet, args []string) (done bool, err error) {
	usage := fs.Usage
	fs.Usage = func() {} // flag calls it on errors too; print it for --help only
	err = fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		usage()
		return true, nil
	}
	if err != nil {
		return false, i18n.Wrap(errUsage, "cli.report.bad_flag", fs.Name(), flagError(err))
	}
	if fs.NArg() > 0 {
		return false, i18n.Wrap(errUsage, "cli.report.unexpected_arg", fs.Name(), fs.Arg(0))
	}
	return false, nil
}

// write sends output to stdout, or to the file path when it is set.
func (c *cmdline) write(path string, fn app.ReportOutput) error {
	if path == "" {
		return fn(c.stdout)
	}
	f, err := os.Create(path)
	if err != nil {
		return i18n.Errorf("cli.report.create_failed", path, err)
	}
	if err := fn(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return i18n.Errorf("cli.report.write_failed", path, err)
	}
	c.say(c.stderr, "cli.report.wrote", path)
	return nil
}
