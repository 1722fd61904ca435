// Command oxywatch watches medical oxygen plants and concentrators: it ingests
// their MQTT telemetry into InfluxDB, raises alerts, and serves an API,
// a dashboard and reports.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/oxywatch/oxywatch/alerting"
	"github.com/oxywatch/oxywatch/ingest"
	"github.com/oxywatch/oxywatch/internal/config"
	"github.com/oxywatch/oxywatch/internal/smsalarm"
	"github.com/oxywatch/oxywatch/report"
	"github.com/oxywatch/oxywatch/report/dhis2"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const usage = `oxywatch — monitoring for medical oxygen plants and concentrators

Usage:
  oxywatch serve [--config FILE]            run the ingester, alerting, API and dashboard
  oxywatch check-config FILE                validate a configuration file (and the
                                            rules, routes and mappings it names) and exit
  oxywatch token [--config FILE] COMMAND    create, list or revoke API tokens
  oxywatch device-token [--config FILE] COMMAND
                                            create, list or revoke device tokens
                                            (HTTP ingest: POST /api/v1/ingest/DEVICE)
  oxywatch report [--config FILE] COMMAND   uptime, supply, monthly and DHIS2 reports
  oxywatch buffer [--config FILE] COMMAND   the ingest buffer: replay-dead-letters resends
                                            the readings InfluxDB refused
  oxywatch version                          print the version

Every configuration key can also be set by an environment variable; run
'oxywatch serve --help' for the list with defaults.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "oxywatch:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], stdout, stderr)
	case "token":
		return token(ctx, args[1:], stdout, stderr)
	case "device-token":
		return deviceToken(ctx, args[1:], stdout, stderr)
	case "report":
		return reportCmd(ctx, args[1:], stdout, stderr)
	case "buffer":
		return bufferCmd(ctx, args[1:], stdout, stderr)
	case "check-config":
		return checkConfig(args[1:], stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, "oxywatch", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

func checkConfig(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("check-config", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: oxywatch check-config FILE\n\nValidates FILE and the OXYWATCH_* environment; exits 1 naming each bad key.")
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("check-config needs exactly one FILE")
	}
	cfg, warnings, err := config.Load(fs.Arg(0), os.Environ())
	for _, w := range warnings {
		fmt.Fprintln(stderr, "warning:", w)
	}
	if err != nil {
		return fmt.Errorf("configuration is not valid:\n%w", err)
	}
	// The files the configuration names are part of it.
	var bad []string
	if f := cfg.Alerting.RulesFile; f != "" {
		if _, err := alerting.LoadRules(f); err != nil {
			bad = append(bad, fmt.Sprintf("alerting.rules_file %s: %v", f, err))
		} else {
			fmt.Fprintf(stdout, "%s: alert rules are valid\n", f)
		}
	}
	if f := cfg.Ingest.Mappings; f != "" {
		if set, err := ingest.LoadMappings(f); err != nil {
			bad = append(bad, fmt.Sprintf("ingest.mappings %v", err))
		} else {
			fmt.Fprintf(stdout, "%s: ingest mappings are valid (%d models)\n", f, len(set.Models()))
		}
	}
	if f := cfg.Report.DHIS2.MappingFile; f != "" {
		if _, err := dhis2.LoadMapping(f, report.Indicators()); err != nil {
			bad = append(bad, fmt.Sprintf("report.dhis2.mapping_file %s: %v", f, err))
		} else {
			fmt.Fprintf(stdout, "%s: DHIS2 mapping is valid\n", f)
		}
	}
	if f := cfg.Ingest.SMS.PatternsFile; f != "" {
		if _, err := smsalarm.LoadFile(f); err != nil {
			bad = append(bad, fmt.Sprintf("ingest.sms.patterns_file %s: %v", f, err))
		} else {
			fmt.Fprintf(stdout, "%s: SMS patterns are valid\n", f)
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("configuration is not valid:\n  %s", strings.Join(bad, "\n  "))
	}
	fmt.Fprintf(stdout, "%s: configuration is valid\n", fs.Arg(0))
	return nil
}

// configHelp prints every key with its environment variable and default.
func configHelp(w io.Writer) {
	fmt.Fprintln(w, "\nConfiguration keys (YAML key, environment variable, default, meaning):")
	for _, k := range config.Keys() {
		def := k.Default
		if k.Secret && def != "(empty)" {
			def = "(set)"
		}
		fmt.Fprintf(w, "  %s  %s  [%s]\n      %s\n", k.Key, k.Env, def, k.Doc)
	}
}
