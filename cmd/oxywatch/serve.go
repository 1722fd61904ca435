package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"log/slog"
	"os"
	"syscall"

	"github.com/oxywatch/oxywatch/internal/app"
	"github.com/oxywatch/oxywatch/internal/i18n"
)

func (c *cmdline) serve(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	configPath := fs.String("config", os.Getenv("OXYWATCH_CONFIG"), c.t("cli.flag.config"))
	fs.Usage = func() {
		c.say(c.stderr, "cli.serve.usage")
		c.printDefaults(c.stderr, fs)
		c.configHelp(c.stderr)
	}
	if err := c.parseFlags(fs, args); err != nil {
		return err
	}
	cfg, warnings, err := c.loadConfig(*configPath)
	if err != nil {
		return err
	}
	log := newLogger(c.stderr, cfg.LogLevel)
	if c.lang != i18n.English {
		c.warn(warnings) // to the person starting it, in their language
	}
	for _, w := range warnings {
		log.Warn(w.Error()) // the log is the operators', in English (so, in English, said once)
	}
	a, err := app.New(ctx, cfg, log)
	if err != nil {
		return i18n.Errorf("cli.serve.start_failed", err)
	}
	if tok := a.NewAdminToken(); tok != "" {
		// Once, on the first start, on stdout and never in the log.
		c.say(c.stdout, "cli.serve.admin_token", tok)
	}
	err = a.Run(ctx)
	if errors.Is(err, app.ErrRestart) {
		return c.restartInPlace(log)
	}
	return err
}

// restartInPlace starts oxywatch again in this process (same pid, so a
// supervisor sees no exit), with the same arguments and environment.
func (c *cmdline) restartInPlace(log *slog.Logger) error {
	exe, err := os.Executable()
	if err != nil {
		return i18n.Errorf("cli.serve.restart_failed", err)
	}
	log.Info("starting again")
	return syscall.Exec(exe, os.Args, os.Environ())
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}
