// Command oxywatch watches medical oxygen plants and concentrators: it ingests
// their MQTT telemetry into InfluxDB, raises alerts, and serves an API,
// a dashboard and reports.
//
// It talks to internal/app only (and loads the configuration, and says
// every word for a person through the message catalogue, internal/i18n):
// the language is OXYWATCH_LANG, else LC_ALL / LC_MESSAGES / LANG, else
// the configuration's notify.language, else English. Log lines (slog) are
// for operators and stay English.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/oxywatch/oxywatch/internal/app"
	"github.com/oxywatch/oxywatch/internal/config"
	"github.com/oxywatch/oxywatch/internal/i18n"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "oxywatch: "+err.Error())
		os.Exit(1)
	}
}

// run runs the command args name; its error is said in the reader's
// language (errors.Is still sees what it wraps).
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCmdline(stdout, stderr, os.Getenv)
	err := c.run(ctx, args)
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return err
	}
	return said{err, c.lang}
}

// said is an error as the reader reads it.
type said struct {
	err  error
	lang i18n.Lang
}

func (s said) Error() string { return i18n.Text(s.err, s.lang) }
func (s said) Unwrap() error { return s.err }

// cmdline is one run of the command: where it writes, and in which
// language.
type cmdline struct {
	stdout, stderr io.Writer
	lang           i18n.Lang
	fromEnv        bool // the environment chose lang; the configuration may not
	p              *i18n.Printer
}

func newCmdline(stdout, stderr io.Writer, getenv func(string) string) *cmdline {
	c := &cmdline{stdout: stdout, stderr: stderr}
	c.lang = i18n.FromEnv(getenv)
	c.fromEnv = c.lang != ""
	c.setLang(c.lang.Or(i18n.English))
	return c
}

func (c *cmdline) setLang(l i18n.Lang) { c.lang, c.p = l, i18n.New(l) }

// useConfig takes the deployment's language (notify.language) when the
// environment named none.
func (c *cmdline) useConfig(cfg config.Config) {
	if l, err := i18n.Parse(cfg.Notify.Language); err == nil && l != "" && !c.fromEnv {
		c.setLang(l)
	}
}

// t is the catalogue message key in the reader's language.
func (c *cmdline) t(key string, args ...any) string { return c.p.T(key, args...) }

// say writes the message key, and a new line, to w.
func (c *cmdline) say(w io.Writer, key string, args ...any) { fmt.Fprintln(w, c.t(key, args...)) }

// sayMsg writes m, and a new line, to w.
func (c *cmdline) sayMsg(w io.Writer, m i18n.Message) { fmt.Fprintln(w, m.In(c.lang)) }

func (c *cmdline) run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(c.stderr, c.t("cli.usage"))
		return i18n.Errorf("cli.no_command")
	}
	switch args[0] {
	case "serve":
		return c.serve(ctx, args[1:])
	case "token":
		return c.token(ctx, args[1:])
	case "device-token":
		return c.deviceToken(ctx, args[1:])
	case "report":
		return c.reportCmd(ctx, args[1:])
	case "buffer":
		return c.bufferCmd(ctx, args[1:])
	case "check-config":
		return c.checkConfig(args[1:])
	case "version", "--version":
		fmt.Fprintln(c.stdout, "oxywatch", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(c.stdout, c.t("cli.usage"))
		return nil
	}
	fmt.Fprint(c.stderr, c.t("cli.usage"))
	return i18n.Errorf("cli.unknown_command", args[0])
}

// loadConfig reads the configuration at path and the OXYWATCH_*
// environment, and takes its language.
func (c *cmdline) loadConfig(path string) (config.Config, []*config.KeyError, error) {
	cfg, warnings, err := config.Load(path, os.Environ())
	if err != nil {
		return cfg, warnings, i18n.Errorf("cli.config_invalid", err)
	}
	c.useConfig(cfg)
	return cfg, warnings, nil
}

func (c *cmdline) checkConfig(args []string) error {
	fs := flag.NewFlagSet("check-config", flag.ContinueOnError)
	fs.Usage = func() { c.say(c.stderr, "cli.check.usage") }
	if err := c.parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return i18n.Errorf("cli.check.one_file")
	}
	cfg, warnings, err := c.loadConfig(fs.Arg(0))
	c.warn(warnings)
	if err != nil {
		return err
	}
	// The files the configuration names are part of it.
	var bad []string
	for _, f := range app.CheckFiles(cfg) {
		switch {
		case f.Err != nil && strings.Contains(f.Err.Error(), f.File):
			bad = append(bad, c.t("cli.check.key_bad", f.Key, i18n.Text(f.Err, c.lang)))
		case f.Err != nil:
			bad = append(bad, c.t("cli.check.file_bad", f.Key, f.File, i18n.Text(f.Err, c.lang)))
		default:
			c.say(c.stdout, "cli.check.file_valid", f.File, f.Valid.In(c.lang))
		}
	}
	if len(bad) > 0 {
		return i18n.Errorf("cli.check.files_invalid", strings.Join(bad, "\n  "))
	}
	c.say(c.stdout, "cli.check.valid", fs.Arg(0))
	return nil
}

// warn prints the configuration's warnings in the reader's language.
func (c *cmdline) warn(warnings []*config.KeyError) {
	for _, w := range warnings {
		c.say(c.stderr, "cli.warning", i18n.Text(w, c.lang))
	}
}

// configHelp prints every key with its environment variable, default and
// meaning in the reader's language (internal/i18n/config_doc.go; the
// configuration's English doc tag for a key the catalogue lacks).
func (c *cmdline) configHelp(w io.Writer) {
	fmt.Fprintln(w)
	c.say(w, "cli.config_keys")
	for _, k := range config.Keys() {
		def := k.Default
		switch {
		case def == config.EmptyDefault:
			def = c.t("cli.config_empty")
		case k.Secret:
			def = c.t("cli.config_set")
		}
		fmt.Fprintf(w, "  %s  %s  [%s]\n      %s\n", k.Key, k.Env, def, c.configDoc(k))
	}
}

// configDoc is what key k means, in the reader's language.
func (c *cmdline) configDoc(k config.Key) string {
	key := configDocPrefix + k.Key
	if doc := c.t(key); doc != key {
		return doc
	}
	return k.Doc
}

// configDocPrefix starts the catalogue keys of the configuration keys'
// meanings.
const configDocPrefix = "config.doc."

// printDefaults lists fs's flags like flag.PrintDefaults, with their
// usage and "(default …)" in the reader's language.
func (c *cmdline) printDefaults(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		kind, usage := flag.UnquoteUsage(f)
		line := "  -" + f.Name
		if kind != "" {
			line += " " + c.flagKind(kind)
		}
		line += "\n    \t" + strings.ReplaceAll(usage, "\n", "\n    \t")
		if def := f.DefValue; def != "" && def != "false" && def != "0" {
			if kind == "string" {
				def = strconv.Quote(def)
			}
			line += " " + c.t("cli.flag_default", def)
		}
		fmt.Fprintln(w, line)
	})
}
