package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
)

func serve(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.String("config", "", "YAML configuration file")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: oxywatch serve [--config FILE]")
		fs.PrintDefaults()
		configHelp(stderr)
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	return errors.New("serve is not built yet")
}
