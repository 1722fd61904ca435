package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"syscall"

	"github.com/oxywatch/oxywatch/internal/app"
	"github.com/oxywatch/oxywatch/internal/config"
)

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", os.Getenv("OXYWATCH_CONFIG"), "YAML configuration file (env OXYWATCH_CONFIG)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: oxywatch serve [--config FILE]\n\nRuns the MQTT ingester (with an embedded broker unless mqtt.url is set),\nthe InfluxDB writer, alerting, the API, the dashboard and /metrics.\n\nFlags:")
		fs.PrintDefaults()
		configHelp(stderr)
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, warnings, err := config.Load(*configPath, os.Environ())
	if err != nil {
		return fmt.Errorf("configuration is not valid:\n%w", err)
	}
	log := newLogger(stderr, cfg.LogLevel)
	for _, w := range warnings {
		log.Warn(w)
	}
	a, err := app.New(ctx, cfg, log)
	if err != nil {
		return err
	}
	if tok := a.NewAdminToken(); tok != "" {
		// Once, on the first start, on stdout and never in the log.
		fmt.Fprintf(stdout, "OxyWatch admin token (shown once; keep it safe, or create others with `oxywatch token create`): %s\n", tok)
	}
	err = a.Run(ctx)
	if errors.Is(err, app.ErrRestart) {
		return restartInPlace(log)
	}
	return err
}

// restartInPlace starts oxywatch again in this process (same pid, so a
// supervisor sees no exit), with the same arguments and environment.
func restartInPlace(log *slog.Logger) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("start again: %w", err)
	}
	log.Info("starting again")
	return syscall.Exec(exe, os.Args, os.Environ())
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}
