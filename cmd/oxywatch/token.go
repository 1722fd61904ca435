package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/oxywatch/oxywatch/internal/config"
	"github.com/oxywatch/oxywatch/internal/store"
)

// loadForCommand reads the configuration for a subcommand that takes
// [--config FILE] before its own arguments, and returns those arguments.
func loadForCommand(name, usage string, args []string, stderr io.Writer) (config.Config, []string, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", os.Getenv("OXYWATCH_CONFIG"), "YAML configuration file (env OXYWATCH_CONFIG); its data_dir holds the database")
	fs.Usage = func() {
		fmt.Fprintln(stderr, usage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return config.Config{}, nil, err
	}
	cfg, warnings, err := config.Load(*configPath, os.Environ())
	if err != nil {
		return cfg, nil, fmt.Errorf("configuration is not valid:\n%w", err)
	}
	for _, w := range warnings {
		fmt.Fprintln(stderr, "warning:", w)
	}
	return cfg, fs.Args(), nil
}

func token(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, rest, err := loadForCommand("token", `Usage: oxywatch token [--config FILE] COMMAND

Commands:
  create --role viewer|engineer|admin [--regions north,east] [--name NAME]
         prints the new token once on stdout
  list   tokens with their role, regions and last use (never the secrets)
  revoke ID

The tokens live in the SQLite database under data_dir; a running server
sees changes at once.

Flags:`, args, stderr)
	if err != nil {
		return err
	}
	db, err := store.OpenSQLite(cfg.DataDir)
	if err != nil {
		return err
	}
	defer db.Close()
	return tokenCLI(ctx, rest, db, stdout, stderr)
}
