package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/oxywatch/oxywatch/internal/app"
	"github.com/oxywatch/oxywatch/internal/store"
	"github.com/oxywatch/oxywatch/report"
)

// makeRunDataDir is where `make run` (scripts/run.sh) keeps the server's
// data, under the default data dir.
const makeRunDataDir = "oxywatch"

func reportCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, rest, err := loadForCommand("report", `Usage: oxywatch report [--config FILE] COMMAND [flags]

Reads the registry and status timeline under data_dir (the same --config and
OXYWATCH_* variables as serve; after make run, ./var/oxywatch is found by
itself) and production figures from InfluxDB. Uptime does not need InfluxDB.
Run 'oxywatch report help' for the commands.

Flags:`, args, stderr)
	if err != nil {
		return err
	}
	if len(rest) == 0 || rest[0] == "help" || rest[0] == "-h" || rest[0] == "--help" {
		return report.RunCLI(ctx, rest, report.CLIDeps{}, stdout, stderr)
	}
	dir, err := reportDataDir(cfg.DataDir)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "report: reading data dir %s\n", dir)
	cfg.DataDir = dir
	deps, closeDeps, err := app.ReportDeps(ctx, cfg, newLogger(stderr, "warn"))
	if err != nil {
		return err
	}
	defer closeDeps()
	deps.DataDir = dir
	deps.ProductionFrom = "InfluxDB at " + cfg.Influx.URL
	return report.RunCLI(ctx, rest, deps, stdout, stderr)
}

// reportDataDir finds the server's data: dir when it holds the SQLite file,
// else make run's data dir under it. It never creates an empty database: a
// report read from one would say "0 devices" about a fleet it never saw.
func reportDataDir(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("data dir %s: %w", dir, err)
	}
	for _, d := range []string{abs, filepath.Join(abs, makeRunDataDir)} {
		if _, err := os.Stat(filepath.Join(d, store.DBFile)); err == nil {
			return d, nil
		} else if !errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("data dir %s: %w", d, err)
		}
	}
	return "", fmt.Errorf("no OxyWatch data in %s (no %s there or in %s/): give the data dir `oxywatch serve` uses, "+
		"with --config FILE or %s=DIR (make run keeps it in ./var/%s)", abs, store.DBFile, makeRunDataDir, "OXYWATCH_DATA_DIR", makeRunDataDir)
}
