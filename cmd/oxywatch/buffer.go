package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/oxywatch/oxywatch/ingest"
	"github.com/oxywatch/oxywatch/ingest/buffer"
	"github.com/oxywatch/oxywatch/internal/config"
	"github.com/oxywatch/oxywatch/internal/influx"
)

const bufferHelp = `Usage: oxywatch buffer [--config FILE] COMMAND [flags]

The ingest buffer lives under data_dir/buffer. Readings InfluxDB refused
(a field whose type changed, a backlog older than the retention policy, a
line it cannot parse) are kept there in dead-letter.lp, each group under a
comment giving the time and InfluxDB's reason.

Commands:
  replay-dead-letters [--dry-run] [--file FILE] [--batch N]
         send the dead-lettered readings to InfluxDB again, once their cause
         is fixed; the ones InfluxDB still refuses stay in the file with the
         new reason. Safe while 'oxywatch serve' runs, and to interrupt.
         Run 'oxywatch buffer replay-dead-letters --help' for more.`

func bufferCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, rest, err := loadForCommand("buffer", bufferHelp+"\n\nFlags:", args, stderr)
	if err != nil {
		return err
	}
	if len(rest) == 0 {
		fmt.Fprintln(stderr, bufferHelp)
		return errors.New("buffer needs a command: replay-dead-letters")
	}
	switch rest[0] {
	case "replay-dead-letters":
		return replayDeadLetters(ctx, cfg, rest[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, bufferHelp)
		return nil
	}
	return fmt.Errorf("unknown buffer command %q: run 'oxywatch buffer help'", rest[0])
}

func replayDeadLetters(ctx context.Context, cfg config.Config, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("replay-dead-letters", flag.ContinueOnError)
	fs.SetOutput(stderr)
	defaultFile := filepath.Join(cfg.DataDir, buffer.Subdir, buffer.DeadLetterFile)
	file := fs.String("file", defaultFile, "dead-letter file to replay (another copy, e.g. one you edited)")
	dryRun := fs.Bool("dry-run", false, "only count the lines, by reason; send nothing")
	batch := fs.Int("batch", cfg.Influx.BatchSize, "lines per write request (influx.batch_size)")
	configPath := fs.String("config", "", "YAML configuration file, also accepted here")
	fs.Usage = func() {
		fmt.Fprintf(stderr, `Usage: oxywatch buffer [--config FILE] replay-dead-letters [--dry-run] [--file FILE] [--batch N]

Sends the readings in the dead-letter file to InfluxDB again
(influx.url %s, bucket %s). Fix the cause first: the reason is in
the comment above each group of lines:
  beyond_retention     older than the retention policy keeps: lengthen it
  field_type_conflict  the field has another type in InfluxDB
  series_limit         max-series-per-database or max-values-per-tag reached
  parse_error          the line itself is broken: correct it in the file,
                       or delete it

Readings InfluxDB takes leave the file; the ones it still refuses stay, with
the new reason, and the command exits 1 saying how many. Lines that appear
twice are sent once. The file is rewritten atomically as the replay goes, so
Ctrl-C or a crash loses nothing: run it again to continue. 'oxywatch serve'
may run meanwhile; what it dead-letters during the replay is kept.

Flags:
`, cfg.Influx.URL, cfg.Influx.Bucket)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("replay-dead-letters takes no arguments, got %q: give the file with --file", fs.Args())
	}
	if *configPath != "" {
		c, _, err := config.Load(*configPath, os.Environ())
		if err != nil {
			return fmt.Errorf("configuration is not valid:\n%w", err)
		}
		cfg = c
		if *file == defaultFile {
			*file = filepath.Join(cfg.DataDir, buffer.Subdir, buffer.DeadLetterFile)
		}
	}
	influx := influx.New(influx.OptionsFrom(cfg.Influx))
	defer influx.Close()
	res, err := ingest.ReplayDeadLetters(ctx, ingest.ReplayOptions{
		Path: *file, Writer: influx, BatchLines: *batch, DryRun: *dryRun,
		Progress: func(r ingest.ReplayResult) {
			if r.Lines > *batch { // more than one request: show the way
				fmt.Fprintf(stdout, "… sent %d of %d lines, %d still refused\n", r.Sent, r.Lines, r.Lines-r.Sent-r.Left)
			}
		},
	})
	return replaySummary(stdout, *file, cfg.Influx.URL, *dryRun, res, err)
}

// replaySummary prints what the replay did and returns the command's error,
// saying what to do next.
func replaySummary(w io.Writer, file, url string, dryRun bool, res ingest.ReplayResult, err error) error {
	if errors.Is(err, buffer.ErrReplayRunning) {
		return fmt.Errorf("another replay of %s is running: wait for it to end", file)
	}
	if res.Lines == 0 && err == nil {
		fmt.Fprintf(w, "%s holds no dead letters: nothing to replay\n", file)
		return nil
	}
	if res.Lines > 0 {
		fmt.Fprintf(w, "%s: %s", file, lines(res.Lines))
		if res.Duplicates > 0 {
			fmt.Fprintf(w, " (and %d duplicates, sent once)", res.Duplicates)
		}
		fmt.Fprintln(w)
	}
	if dryRun {
		for _, reason := range slices.Sorted(maps.Keys(res.InFile)) {
			fmt.Fprintf(w, "  %-20s %d\n", orUnnamed(reason), res.InFile[reason])
		}
		fmt.Fprintln(w, "dry run: nothing sent")
		return err
	}
	fmt.Fprintf(w, "sent %s to InfluxDB\n", lines(res.Sent))
	refused := 0
	for _, n := range res.Refused {
		refused += n
	}
	if refused > 0 {
		fmt.Fprintf(w, "still refused %s, kept in %s:\n", lines(refused), file)
		for _, reason := range slices.Sorted(maps.Keys(res.Refused)) {
			fmt.Fprintf(w, "  %-20s %d  e.g. %s\n", reason, res.Refused[reason], res.Examples[reason])
		}
	}
	switch {
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("interrupted (%w): the %s not sent yet stay in %s; run the command again to continue", err, lines(res.Left), file)
	case err != nil && res.Left > 0:
		return fmt.Errorf("%w\nthe %s not sent yet stay in %s: check that InfluxDB at %s answers, then run the command again", err, lines(res.Left), file, url)
	case err != nil:
		return fmt.Errorf("%w\nno line was lost, but %s may still hold lines InfluxDB has taken: run the command again", err, file)
	case refused > 0:
		return fmt.Errorf("%s still refused, kept in %s: fix the cause (reasons above), or correct or delete the lines in the file, then run the command again", lines(refused), file)
	}
	return nil
}

func lines(n int) string {
	if n == 1 {
		return "1 line"
	}
	return fmt.Sprintf("%d lines", n)
}

func orUnnamed(reason string) string {
	if reason == "" {
		return "(reason not named)"
	}
	return reason
}
