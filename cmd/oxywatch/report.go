package main

import (
	"context"
	"io"

	"github.com/oxywatch/oxywatch/internal/app"
	"github.com/oxywatch/oxywatch/report"
)

func reportCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, rest, err := loadForCommand("report", `Usage: oxywatch report [--config FILE] COMMAND [flags]

Reads the registry and status timeline under data_dir and production from
InfluxDB. Run 'oxywatch report help' for the commands.

Flags:`, args, stderr)
	if err != nil {
		return err
	}
	if len(rest) == 0 || rest[0] == "help" || rest[0] == "-h" || rest[0] == "--help" {
		return report.RunCLI(ctx, rest, report.CLIDeps{}, stdout, stderr)
	}
	deps, closeDeps, err := app.ReportDeps(ctx, cfg, newLogger(stderr, "warn"))
	if err != nil {
		return err
	}
	defer closeDeps()
	return report.RunCLI(ctx, rest, deps, stdout, stderr)
}
