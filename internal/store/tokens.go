package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/oxywatch/oxywatch/internal/i18n"
)

// TokenPrefix starts every API token, so a leaked one is easy to recognise
// in logs, chat or a repository scan.
const TokenPrefix = "oxw_"

var tokenMigrations = []string{
	`CREATE TABLE api_tokens (
		id TEXT PRIMARY KEY,
		name TEXT NOT NULL DEFAULT '',
		role TEXT NOT NULL,
		regions TEXT NOT NULL DEFAULT '',
		hash BLOB NOT NULL UNIQUE,
		created_by TEXT NOT NULL DEFAULT '',
		created_at TEXT NOT NULL,
		revoked_at TEXT NOT NULL DEFAULT ''
	);`,
}

// Token is a stored API token. Only the SHA-256 of its secret is kept.
type Token struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Role      string    `json:"role"`
	Regions   []string  `json:"regions"`
	CreatedBy string    `json:"created_by,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	RevokedAt time.Time `json:"revoked_at,omitzero"`
	hash      []byte
}

// Revoked reports whether the token was revoked.
func (t Token) Revoked() bool { return !t.RevokedAt.IsZero() }

func (t Token) secretHash() []byte { return t.hash }

// Tokens keeps API tokens in SQLite with an in-memory index by hash, so
// authenticating a request costs no query.
type Tokens struct {
	db  *sql.DB
	now func() time.Time
	idx secretIndex[Token]
}

// tokenReload bounds how long a token created or revoked by another process
// (the token command) takes to be seen by a running server.
const tokenReload = 2 * time.Second

// tokenMissReload is how stale the index may be when a token is not in it.
const tokenMissReload = 200 * time.Millisecond

// OpenTokens migrates the token table and loads the index.
func OpenTokens(ctx context.Context, db *sql.DB, now func() time.Time) (*Tokens, error) {
	if now == nil {
		now = time.Now
	}
	if err := Migrate(ctx, db, "tokens", tokenMigrations); err != nil {
		return nil, err
	}
	t := &Tokens{db: db, now: now}
	t.idx = secretIndex[Token]{now: now, list: t.list}
	if err := t.reload(ctx); err != nil {
		return nil, err
	}
	return t, nil
}

// HashToken returns the SHA-256 of a token secret.
func HashToken(secret string) [sha256.Size]byte { return sha256.Sum256([]byte(secret)) }

func (t *Tokens) reload(ctx context.Context) error { return t.idx.reload(ctx) }

// Create makes a token and returns its secret, which is never stored and
// cannot be shown again. The audit entry ctx carries (WithAudit; its
// Target becomes the new token's id) is written in the same transaction as
// the token, so both exist or neither does.
func (t *Tokens) Create(ctx context.Context, name, role string, regions []string, by string) (string, Token, error) {
	secret, err := newSecret()
	if err != nil {
		return "", Token{}, err
	}
	id, err := randomHex(6)
	if err != nil {
		return "", Token{}, err
	}
	h := HashToken(secret)
	tok := Token{ID: id, Name: name, Role: role, Regions: regions, CreatedBy: by, CreatedAt: t.now().UTC().Truncate(time.Second), hash: h[:]}
	err = InTx(ctx, t.db, func(tx *sql.Tx) (string, error) {
		_, err := tx.ExecContext(ctx, `INSERT INTO api_tokens (id, name, role, regions, hash, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			tok.ID, tok.Name, tok.Role, strings.Join(regions, ","), tok.hash, by, tok.CreatedAt.Format(time.RFC3339))
		return tok.ID, err
	})
	if err != nil {
		return "", Token{}, fmt.Errorf("create token: %w", err)
	}
	if err := t.reload(ctx); err != nil {
		return "", Token{}, err
	}
	return secret, tok, nil
}

// Lookup returns the live token whose secret this is.
func (t *Tokens) Lookup(secret string) (Token, bool) { return t.idx.lookup(secret) }

// List returns every token, revoked ones included, oldest first.
func (t *Tokens) List(ctx context.Context) ([]Token, error) { return t.list(ctx) }

func (t *Tokens) list(ctx context.Context) ([]Token, error) {
	rows, err := t.db.QueryContext(ctx, `SELECT id, name, role, regions, hash, created_by, created_at, revoked_at FROM api_tokens ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	defer rows.Close()
	out := []Token{}
	for rows.Next() {
		var tok Token
		var regions, created, revoked string
		if err := rows.Scan(&tok.ID, &tok.Name, &tok.Role, &regions, &tok.hash, &tok.CreatedBy, &created, &revoked); err != nil {
			return nil, fmt.Errorf("list tokens: %w", err)
		}
		tok.Regions = splitList(regions)
		tok.CreatedAt, _ = time.Parse(time.RFC3339, created)
		if revoked != "" {
			tok.RevokedAt, _ = time.Parse(time.RFC3339, revoked)
		}
		out = append(out, tok)
	}
	return out, rows.Err()
}

// Revoke marks a token revoked; it stops working at once. The audit entry
// ctx carries is written in the same transaction (see Create).
func (t *Tokens) Revoke(ctx context.Context, id string) error {
	err := InTx(ctx, t.db, func(tx *sql.Tx) (string, error) {
		res, err := tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at = ''`,
			t.now().UTC().Format(time.RFC3339), id)
		if err != nil {
			return id, err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return id, fmt.Errorf("token %s: %w", id, ErrNotFound)
		}
		return id, nil
	})
	if err != nil {
		return fmt.Errorf("revoke token %s: %w", id, err)
	}
	return t.reload(ctx)
}

// CountActive returns how many unrevoked tokens hold role.
func (t *Tokens) CountActive(ctx context.Context, role string) (int, error) {
	var n int
	err := t.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM api_tokens WHERE role = ? AND revoked_at = ''`, role).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count tokens: %w", err)
	}
	return n, nil
}

func splitList(s string) []string {
	out := []string{}
	for p := range strings.SplitSeq(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// newSecret returns a token with 256 bits of randomness.
func newSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("token randomness: %w", err)
	}
	return TokenPrefix + base64.RawURLEncoding.EncodeToString(b), nil
}

func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", errors.New("token id randomness: " + err.Error())
	}
	return hex.EncodeToString(b), nil
}

// Roles of API tokens, least to most.
var Roles = []string{"viewer", "engineer", "admin"}

// ValidateToken checks a token request: a known role, region names
// without commas, a name of at most 128 characters.
func ValidateToken(role string, regions []string, name string) error {
	if !slices.Contains(Roles, role) {
		return i18n.Errorf("api.bad_role", role)
	}
	for _, reg := range regions {
		if strings.TrimSpace(reg) == "" || strings.Contains(reg, ",") || len(reg) > 128 {
			return i18n.Errorf("api.bad_region", reg)
		}
	}
	if len(name) > 128 {
		return i18n.Errorf("api.token_name_too_long")
	}
	return nil
}
