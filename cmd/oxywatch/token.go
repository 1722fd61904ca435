package main

import (
	"context"
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
	cfg, rest, err := c.loadForCommand("token", "cli.token.help", args)
	if err != nil {
		return err
	}
	db, err := app.OpenDatabase(cfg.DataDir)
	if err != nil {
		return err
	}
	defer db.Close()
	return c.tokenCLI(ctx, rest, db)
}

func (c *cmdline) deviceToken(ctx context.Context, args []string) error {
	cfg, rest, err := c.loadForCommand("device-token", "cli.devtoken.help", args)
	if err != nil {
		return err
	}
	db, err := app.OpenDatabase(cfg.DataDir)
	if err != nil {
		return err
	}
	defer db.Close()
	return c.deviceTokenCLI(ctx, rest, db)
}
