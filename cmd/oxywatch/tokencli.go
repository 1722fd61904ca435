package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/oxywatch/oxywatch/internal/app"
	"github.com/oxywatch/oxywatch/internal/i18n"
)

// The token commands work on the SQLite database directly, so they work
// with the server stopped; a running server sees their changes (tokens
// made at once, device tokens within seconds).

// tokenCLI runs `oxywatch token ...` against the SQLite database; args
// start after "token". The new secret goes to stdout, alone on its line, so
// scripts can capture it; nothing else ever prints a secret. Changes are
// written to the audit log with actor "cli".
func (c *cmdline) tokenCLI(ctx context.Context, args []string, db *sql.DB) error {
	if len(args) == 0 {
		c.say(c.stderr, "cli.token.usage")
		return i18n.Errorf("cli.token.missing_sub")
	}
	toks, err := app.OpenTokenAdmin(ctx, db)
	if err != nil {
		return err
	}
	switch args[0] {
	case "create":
		return c.tokenCreate(ctx, args[1:], toks)
	case "list":
		return c.tokenList(ctx, toks)
	case "revoke":
		if len(args) != 2 {
			c.say(c.stderr, "cli.token.usage")
			return i18n.Errorf("cli.token.revoke_one")
		}
		if err := toks.Revoke(ctx, args[1]); err != nil {
			return err
		}
		c.say(c.stdout, "cli.token.revoked", args[1])
		return nil
	}
	c.say(c.stderr, "cli.token.usage")
	return i18n.Errorf("cli.token.unknown_sub", args[0])
}

func (c *cmdline) tokenCreate(ctx context.Context, args []string, toks *app.TokenAdmin) error {
	fs := flag.NewFlagSet("token create", flag.ContinueOnError)
	role := fs.String("role", "", c.t("cli.token.flag.role"))
	regions := fs.String("regions", "", c.t("cli.token.flag.regions"))
	name := fs.String("name", "", c.t("cli.token.flag.name"))
	fs.Usage = func() { c.flagsUsage(fs) }
	if err := c.parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return i18n.Errorf("cli.token.unexpected_arg", fs.Arg(0))
	}
	var regs []string
	for r := range strings.SplitSeq(*regions, ",") {
		if r = strings.TrimSpace(r); r != "" {
			regs = append(regs, r)
		}
	}
	secret, tok, err := toks.Create(ctx, *role, regs, *name)
	if err != nil {
		return i18n.Errorf("cli.token.create_failed", err)
	}
	c.say(c.stderr, "cli.token.created", tok.ID, tok.Role, c.regionText(regs))
	fmt.Fprintln(c.stdout, secret)
	return nil
}

func (c *cmdline) tokenList(ctx context.Context, toks *app.TokenAdmin) error {
	list, err := toks.List(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	c.say(tw, "cli.token.list_header")
	for _, t := range list {
		revoked := "-"
		if t.Revoked() {
			revoked = t.RevokedAt.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, orDash(t.Name), t.Role, c.regionText(t.Regions), t.CreatedAt.Format(time.RFC3339), revoked)
	}
	return tw.Flush()
}

func (c *cmdline) regionText(regs []string) string {
	if len(regs) == 0 {
		return c.t("cli.token.all_regions")
	}
	return strings.Join(regs, ",")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// deviceTokenCLI runs `oxywatch device-token ...` against the SQLite
// database; args start after "device-token". As with tokenCLI the secret
// alone goes to stdout, and each change is audited with actor "cli".
func (c *cmdline) deviceTokenCLI(ctx context.Context, args []string, db *sql.DB) error {
	if len(args) == 0 {
		c.say(c.stderr, "cli.devtoken.usage")
		return i18n.Errorf("cli.devtoken.missing_sub")
	}
	toks, err := app.OpenDeviceTokenAdmin(ctx, db)
	if err != nil {
		return err
	}
	switch args[0] {
	case "create":
		return c.deviceTokenCreate(ctx, args[1:], toks)
	case "list":
		if len(args) > 2 {
			c.say(c.stderr, "cli.devtoken.usage")
			return i18n.Errorf("cli.devtoken.list_one")
		}
		var dev string
		if len(args) == 2 {
			dev = args[1]
		}
		return c.deviceTokenList(ctx, toks, dev)
	case "revoke":
		if len(args) != 2 {
			c.say(c.stderr, "cli.devtoken.usage")
			return i18n.Errorf("cli.devtoken.revoke_one")
		}
		if err := toks.Revoke(ctx, args[1]); err != nil {
			return err
		}
		c.say(c.stdout, "cli.token.revoked", args[1])
		return nil
	}
	c.say(c.stderr, "cli.devtoken.usage")
	return i18n.Errorf("cli.devtoken.unknown_sub", args[0])
}

func (c *cmdline) deviceTokenCreate(ctx context.Context, args []string, toks *app.DeviceTokenAdmin) error {
	fs := flag.NewFlagSet("device-token create", flag.ContinueOnError)
	name := fs.String("name", "", c.t("cli.devtoken.flag.name"))
	fs.Usage = func() { c.flagsUsage(fs) }
	if err := c.parseFlags(fs, args); err != nil {
		return err
	}
	secret, tok, err := toks.Create(ctx, *name, fs.Args())
	if err != nil {
		return i18n.Errorf("cli.devtoken.create_failed", err)
	}
	c.say(c.stderr, "cli.devtoken.created", tok.ID, strings.Join(deviceStrings(tok.Devices), ","))
	fmt.Fprintln(c.stdout, secret)
	return nil
}

func (c *cmdline) deviceTokenList(ctx context.Context, toks *app.DeviceTokenAdmin, dev string) error {
	list, err := toks.List(ctx, dev)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	c.say(tw, "cli.devtoken.list_header")
	for _, t := range list {
		revoked := "-"
		if t.Revoked() {
			revoked = t.RevokedAt.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.ID, orDash(t.Name), strings.Join(deviceStrings(t.Devices), ","), t.CreatedAt.Format(time.RFC3339), revoked)
	}
	return tw.Flush()
}

func deviceStrings[S ~string](ds []S) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = string(d)
	}
	return out
}
