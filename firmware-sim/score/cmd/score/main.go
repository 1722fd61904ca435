// Command score runs the scorer's suites (or one scenario) through the real
// alerting engine on a simulated clock and prints, per fault kind, expected
// against raised alerts, latency, resolution and noise. make score runs it.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/oxywatch/oxywatch/firmware-sim/score"
)

func main() {
	seed := flag.Uint64("seed", 1, "random seed")
	scen := flag.String("scenario", "", "score one scenario (built-in name or YAML file) instead of the suites")
	devices := flag.Int("devices", 40, "generated fleet size with --scenario")
	dur := flag.Duration("duration", 6*time.Hour, "simulated duration with --scenario")
	verbose := flag.Bool("v", false, "list every miss and every alert that matches no fault")
	flag.Parse()
	if err := run(*seed, *scen, *devices, *dur, *verbose); err != nil {
		fmt.Fprintln(os.Stderr, "score:", err)
		os.Exit(1)
	}
}

func run(seed uint64, scen string, devices int, dur time.Duration, verbose bool) error {
	var suites []score.Suite
	if scen != "" {
		s, err := score.FromScenario(scen, devices, seed, dur)
		if err != nil {
			return err
		}
		suites = []score.Suite{s}
	} else {
		var err error
		if suites, err = score.Suites(seed); err != nil {
			return err
		}
	}
	dir, err := os.MkdirTemp("", "oxywatch-score-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	var all []*score.Result
	for _, s := range suites {
		r, err := score.Run(context.Background(), s, dir)
		if err != nil {
			return fmt.Errorf("suite %s: %w", s.Name, err)
		}
		r.Write(os.Stdout, verbose)
		fmt.Println()
		all = append(all, r)
	}
	if len(all) > 1 {
		score.Merge("all suites", all...).Write(os.Stdout, false)
	}
	return nil
}
