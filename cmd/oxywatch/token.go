package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"os"

	"github.com/oxywatch/oxywatch/internal/app"
	"github.com/oxywatch/oxywatch/internal/config"
)

// loadForCommand reads the configuration for a subcommand that takes
// [--config FILE] before its own arguments, and returns those arguments;
// usageKey is the subcommand's help in the catalogue.
func (c *cmdline) loadForCommand(name, usageKey string, args []string, usageArgs ...any) (config.Config, []string, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	configPath := fs.String("config", os.Getenv("OXYWATCH_CONFIG"), c.t("cli.flag.config_data"))
	fs.Usage = func() {
		c.say(c.stderr, usageKey, usageArgs...)
		fmt.Fprintln(c.stderr)
		c.say(c.stderr, "cli.flags")
		c.printDefaults(c.stderr, fs)
	}
	if err := c.parseFlags(fs, args); err != nil {
		return config.Config{}, nil, err
	}
	cfg, warnings, err := c.loadConfig(*configPath)
	if err != nil {
		return cfg, nil, err
	}
	c.warn(warnings)
	return cfg, fs.Args(), nil
}

func (c *cmdline) token(ctx context.Context, args []string) error {
	return c.withDatabase(ctx, "token", "cli.token.help", args, c.tokenCLI)
}

func (c *cmdline) deviceToken(ctx context.Context, args []string) error {
	return c.withDatabase(ctx, "device-token", "cli.devtoken.help", args, c.deviceTokenCLI)
}

// withDatabase loads the configuration of a command that works on the
// SQLite database and runs it with the database open.
func (c *cmdline) withDatabase(ctx context.Context, name, help string, args []string,
	run func(context.Context, []string, *sql.DB) error) error {
	cfg, rest, err := c.loadForCommand(name, help, args)
	if err != nil {
		return err
	}
	db, err := app.OpenDatabase(cfg.DataDir)
	if err != nil {
		return err
	}
	defer db.Close()
	return run(ctx, rest, db)
}
