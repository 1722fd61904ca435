package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/oxywatch/oxywatch/internal/app"
	"github.com/oxywatch/oxywatch/internal/config"
	"github.com/oxywatch/oxywatch/internal/i18n"
)

func (c *cmdline) bufferCmd(ctx context.Context, args []string) error {
	cfg, rest, err := c.loadForCommand("buffer", "cli.buffer.help", args)
	if err != nil {
		return err
	}
	if len(rest) == 0 {
		c.say(c.stderr, "cli.buffer.help")
		return i18n.Errorf("cli.buffer.needs_command")
	}
	switch rest[0] {
	case "replay-dead-letters":
		return c.replayDeadLetters(ctx, cfg, rest[1:])
	case "help", "-h", "--help":
		c.say(c.stdout, "cli.buffer.help")
		return nil
	}
	return i18n.Errorf("cli.buffer.unknown_command", rest[0])
}

func (c *cmdline) replayDeadLetters(ctx context.Context, cfg config.Config, args []string) error {
	fs := flag.NewFlagSet("replay-dead-letters", flag.ContinueOnError)
	defaultFile := app.DeadLetterFile(cfg.DataDir)
	file := fs.String("file", defaultFile, c.t("cli.buffer.flag.file"))
	dryRun := fs.Bool("dry-run", false, c.t("cli.buffer.flag.dry_run"))
	batch := fs.Int("batch", cfg.Influx.BatchSize, c.t("cli.buffer.flag.batch"))
	configPath := fs.String("config", "", c.t("cli.buffer.flag.config"))
	fs.Usage = func() {
		c.say(c.stderr, "cli.buffer.replay_usage", cfg.Influx.URL, cfg.Influx.Bucket)
		c.printDefaults(c.stderr, fs)
	}
	if err := c.parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return i18n.Errorf("cli.buffer.no_args", fs.Args())
	}
	if *configPath != "" {
		got, _, err := c.loadConfig(*configPath)
		if err != nil {
			return err
		}
		cfg = got
		if *file == defaultFile {
			*file = app.DeadLetterFile(cfg.DataDir)
		}
	}
	res, err := app.ReplayDeadLetters(ctx, cfg, app.ReplayOptions{
		Path: *file, BatchLines: *batch, DryRun: *dryRun,
		Progress: func(r app.ReplayResult) {
			if r.Lines > *batch { // more than one request: show the way
				c.say(c.stdout, "cli.buffer.progress", r.Sent, r.Lines, r.Lines-r.Sent-r.Left)
			}
		},
	})
	return c.replaySummary(c.stdout, *file, cfg.Influx.URL, *dryRun, res, err)
}

// replaySummary prints what the replay did and returns the command's error,
// saying what to do next.
func (c *cmdline) replaySummary(w io.Writer, file, url string, dryRun bool, res app.ReplayResult, err error) error {
	if errors.Is(err, app.ErrReplayRunning) {
		return i18n.Errorf("cli.buffer.running", file)
	}
	if res.Lines == 0 && err == nil {
		c.say(w, "cli.buffer.empty", file)
		return nil
	}
	if res.Lines > 0 {
		line := c.t("cli.buffer.file_lines", file, res.Lines)
		if res.Duplicates > 0 {
			line += c.t("cli.buffer.duplicates", res.Duplicates)
		}
		fmt.Fprintln(w, line)
	}
	if dryRun {
		for _, reason := range slices.Sorted(maps.Keys(res.InFile)) {
			fmt.Fprintf(w, "  %-20s %d\n", c.orUnnamed(reason), res.InFile[reason])
		}
		c.say(w, "cli.buffer.dry_run")
		return err
	}
	c.say(w, "cli.buffer.sent", res.Sent)
	refused := 0
	for _, n := range res.Refused {
		refused += n
	}
	if refused > 0 {
		c.say(w, "cli.buffer.still_refused", refused, file)
		for _, reason := range slices.Sorted(maps.Keys(res.Refused)) {
			c.say(w, "cli.buffer.refused_reason", fmt.Sprintf("%-20s", reason), res.Refused[reason], res.Examples[reason])
		}
	}
	switch {
	case errors.Is(err, context.Canceled):
		return i18n.Errorf("cli.buffer.interrupted", err, res.Left, file)
	case err != nil && res.Left > 0:
		return i18n.Errorf("cli.buffer.failed_left", err, res.Left, file, url)
	case err != nil:
		return i18n.Errorf("cli.buffer.failed", err, file)
	case refused > 0:
		return i18n.Errorf("cli.buffer.refused_final", refused, file)
	}
	return nil
}

func (c *cmdline) orUnnamed(reason string) string {
	if reason == "" {
		return c.t("cli.buffer.reason_unnamed")
	}
	return reason
}
