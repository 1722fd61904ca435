package api

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

	"github.com/oxywatch/oxywatch/internal/store"
)

const tokenUsage = `usage:
  oxywatch token create --role viewer|engineer|admin [--regions north,east] [--name NAME]
  oxywatch token list
  oxywatch token revoke ID`

// TokenCLI runs `oxywatch token ...` against the SQLite database; args
// start after "token". The new secret goes to stdout, alone on its line, so
// scripts can capture it; nothing else ever prints a secret. Changes are
// written to the audit log with actor "cli".
func TokenCLI(ctx context.Context, args []string, db *sql.DB, stdout, stderr io.Writer) error {
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
	if err := validToken(*role, regs, *name); err != nil {
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
