package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/oxywatch/oxywatch/internal/plant"
	"github.com/oxywatch/oxywatch/internal/store"
)

// The token commands work on the SQLite database directly, so they work
// with the server stopped; a running server sees their changes (tokens
// made at once, device tokens within seconds).

const tokenUsage = `usage:
  oxywatch token create --role viewer|engineer|admin [--regions north,east] [--name NAME]
  oxywatch token list
  oxywatch token revoke ID`

// tokenCLI runs `oxywatch token ...` against the SQLite database; args
// start after "token". The new secret goes to stdout, alone on its line, so
// scripts can capture it; nothing else ever prints a secret. Changes are
// written to the audit log with actor "cli".
func tokenCLI(ctx context.Context, args []string, db *sql.DB, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, tokenUsage)
		return errors.New("token: missing subcommand")
	}
	toks, err := store.OpenTokens(ctx, db, nil)
	if err != nil {
		return err
	}
	// The audit log shares the database: each token change writes its entry
	// in its own transaction.
	if _, err := store.OpenAudit(ctx, db); err != nil {
		return err
	}
	switch args[0] {
	case "create":
		return tokenCreate(ctx, args[1:], toks, stdout, stderr)
	case "list":
		return tokenList(ctx, toks, stdout)
	case "revoke":
		if len(args) != 2 {
			fmt.Fprintln(stderr, tokenUsage)
			return errors.New("token revoke: give one token id")
		}
		if err := toks.Revoke(store.WithAudit(ctx, store.AuditEntry{Actor: "cli", Action: "token.revoke"}), args[1]); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "revoked %s\n", args[1])
		return nil
	}
	fmt.Fprintln(stderr, tokenUsage)
	return fmt.Errorf("token: unknown subcommand %q", args[0])
}

func tokenCreate(ctx context.Context, args []string, toks *store.Tokens, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("token create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	role := fs.String("role", "", "viewer, engineer or admin")
	regions := fs.String("regions", "", "comma-separated regions the token is limited to (empty: all)")
	name := fs.String("name", "", "who or what the token is for")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("token create: unexpected argument %q", fs.Arg(0))
	}
	var regs []string
	for r := range strings.SplitSeq(*regions, ",") {
		if r = strings.TrimSpace(r); r != "" {
			regs = append(regs, r)
		}
	}
	if err := store.ValidateToken(*role, regs, *name); err != nil {
		return fmt.Errorf("token create: %w", err)
	}
	entry := store.AuditEntry{Actor: "cli", Action: "token.create",
		Detail: fmt.Sprintf(`{"name":%q,"role":%q,"regions":%q}`, *name, *role, strings.Join(regs, ","))}
	secret, tok, err := toks.Create(store.WithAudit(ctx, entry), *name, *role, regs, "cli")
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "created token %s (role %s, regions %s); it is shown once:\n", tok.ID, tok.Role, regionText(regs))
	fmt.Fprintln(stdout, secret)
	return nil
}

func tokenList(ctx context.Context, toks *store.Tokens, stdout io.Writer) error {
	list, err := toks.List(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tROLE\tREGIONS\tCREATED\tREVOKED")
	for _, t := range list {
		revoked := "-"
		if t.Revoked() {
			revoked = t.RevokedAt.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, orDash(t.Name), t.Role, regionText(t.Regions), t.CreatedAt.Format(time.RFC3339), revoked)
	}
	return tw.Flush()
}

func regionText(regs []string) string {
	if len(regs) == 0 {
		return "all"
	}
	return strings.Join(regs, ",")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

const deviceTokenUsage = `usage:
  oxywatch device-token create [--name NAME] DEVICE [DEVICE...]
         prints the new token once on stdout; several devices make a gateway's token
  oxywatch device-token list [DEVICE]
  oxywatch device-token revoke ID`

// deviceTokenCLI runs `oxywatch device-token ...` against the SQLite
// database; args start after "device-token". As with tokenCLI the secret
// alone goes to stdout, and each change is audited with actor "cli".
func deviceTokenCLI(ctx context.Context, args []string, db *sql.DB, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, deviceTokenUsage)
		return errors.New("device-token: missing subcommand")
	}
	toks, err := store.OpenDeviceTokens(ctx, db, nil)
	if err != nil {
		return err
	}
	if _, err := store.OpenAudit(ctx, db); err != nil {
		return err
	}
	switch args[0] {
	case "create":
		reg, err := store.OpenRegistry(ctx, db, nil)
		if err != nil {
			return err
		}
		return deviceTokenCreate(ctx, args[1:], reg, toks, stdout, stderr)
	case "list":
		if len(args) > 2 {
			fmt.Fprintln(stderr, deviceTokenUsage)
			return errors.New("device-token list: give at most one device")
		}
		var dev plant.DeviceID
		if len(args) == 2 {
			dev = plant.DeviceID(args[1])
		}
		return deviceTokenList(ctx, toks, dev, stdout)
	case "revoke":
		if len(args) != 2 {
			fmt.Fprintln(stderr, deviceTokenUsage)
			return errors.New("device-token revoke: give one token id (see: oxywatch device-token list)")
		}
		if err := toks.Revoke(store.WithAudit(ctx, store.AuditEntry{Actor: "cli", Action: "device_token.revoke"}), args[1]); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "revoked %s\n", args[1])
		return nil
	}
	fmt.Fprintln(stderr, deviceTokenUsage)
	return fmt.Errorf("device-token: unknown subcommand %q", args[0])
}

func deviceTokenCreate(ctx context.Context, args []string, reg *store.Registry, toks *store.DeviceTokens, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("device-token create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	name := fs.String("name", "", "what the token is for (e.g. the gateway)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var in struct {
		Name    string
		Devices []plant.DeviceID
	}
	in.Name = *name
	for _, a := range fs.Args() {
		in.Devices = append(in.Devices, plant.DeviceID(a))
	}
	if err := store.ValidateDeviceToken(ctx, reg, in.Devices, in.Name); err != nil {
		return fmt.Errorf("device-token create: %w", err)
	}
	entry := store.AuditEntry{Actor: "cli", Action: "device_token.create",
		Detail: fmt.Sprintf(`{"name":%q,"devices":%q}`, in.Name, strings.Join(deviceStrings(in.Devices), ","))}
	secret, tok, err := toks.Create(store.WithAudit(ctx, entry), in.Devices, in.Name, "cli")
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "created device token %s for %s; it is shown once:\n", tok.ID, strings.Join(deviceStrings(tok.Devices), ","))
	fmt.Fprintln(stdout, secret)
	return nil
}

func deviceTokenList(ctx context.Context, toks *store.DeviceTokens, dev plant.DeviceID, stdout io.Writer) error {
	list, err := toks.List(ctx, dev)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tDEVICES\tCREATED\tREVOKED")
	for _, t := range list {
		revoked := "-"
		if t.Revoked() {
			revoked = t.RevokedAt.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.ID, orDash(t.Name), strings.Join(deviceStrings(t.Devices), ","), t.CreatedAt.Format(time.RFC3339), revoked)
	}
	return tw.Flush()
}

func deviceStrings(ds []plant.DeviceID) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = string(d)
	}
	return out
}
