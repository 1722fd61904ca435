// Command firmware-sim simulates the firmware of medical oxygen equipment
// (PSA plants, concentrators, liquid oxygen tanks) and publishes over MQTT as
// the devices do (CONTRACT §3): the demo fleet of `make run`, the load
// generator and the fault injector for OxyWatch's tests.
//
// The simulator encodes the wire format itself, so drift between it and the
// server's decoder shows in tests. The work is done by package sim (models,
// faults, scheduling), package scenario (timed events) and package mqttpub
// (one MQTT client per device); this file parses flags and reports progress.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // a second Ctrl-C ends the process at once
	}()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	switch {
	case errors.Is(err, errUsage):
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(os.Stderr, "firmware-sim:", err)
		os.Exit(1)
	}
}

// run is the whole command, minus the process: tests call it.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, errHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	if o.listScenarios {
		return listScenarios(stdout)
	}
	r, err := newRunner(o, stdout, stderr)
	if err != nil {
		return err
	}
	if o.writeFleet != "" {
		return r.writeFleet(stdout)
	}
	_, err = r.run(ctx)
	return err
}
