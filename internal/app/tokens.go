package app

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/oxywatch/oxywatch/internal/plant"
	"github.com/oxywatch/oxywatch/internal/store"
)

// The tokens the command line makes, lists and revokes.
type (
	APIToken    = store.Token
	DeviceToken = store.DeviceToken
)

// TokenAdmin changes API tokens in the database directly, so it works with
// the server stopped (a running server sees the changes at once). Each
// change writes its audit entry, actor "cli", in the same transaction.
type TokenAdmin struct{ toks *store.Tokens }

// OpenTokenAdmin opens the API tokens and the audit log in db.
func OpenTokenAdmin(ctx context.Context, db *sql.DB) (*TokenAdmin, error) {
	toks, err := store.OpenTokens(ctx, db, nil)
	if err != nil {
		return nil, err
	}
	if _, err := store.OpenAudit(ctx, db); err != nil {
		return nil, err
	}
	return &TokenAdmin{toks}, nil
}

// Create validates and makes a token; the secret is returned once.
func (t *TokenAdmin) Create(ctx context.Context, role string, regions []string, name string) (string, APIToken, error) {
	if err := store.ValidateToken(role, regions, name); err != nil {
		return "", APIToken{}, err
	}
	entry := store.AuditEntry{Actor: "cli", Action: "token.create",
		Detail: fmt.Sprintf(`{"name":%q,"role":%q,"regions":%q}`, name, role, strings.Join(regions, ","))}
	return t.toks.Create(store.WithAudit(ctx, entry), name, role, regions, "cli")
}

// List lists every token, never a secret.
func (t *TokenAdmin) List(ctx context.Context) ([]APIToken, error) { return t.toks.List(ctx) }

// Revoke revokes token id.
func (t *TokenAdmin) Revoke(ctx context.Context, id string) error {
	return t.toks.Revoke(store.WithAudit(ctx, store.AuditEntry{Actor: "cli", Action: "token.revoke"}), id)
}

// DeviceTokenAdmin is TokenAdmin for device tokens (HTTP ingest); a running
// server sees its changes within seconds.
type DeviceTokenAdmin struct {
	db   *sql.DB
	toks *store.DeviceTokens
}

// OpenDeviceTokenAdmin opens the device tokens and the audit log in db.
func OpenDeviceTokenAdmin(ctx context.Context, db *sql.DB) (*DeviceTokenAdmin, error) {
	toks, err := store.OpenDeviceTokens(ctx, db, nil)
	if err != nil {
		return nil, err
	}
	if _, err := store.OpenAudit(ctx, db); err != nil {
		return nil, err
	}
	return &DeviceTokenAdmin{db: db, toks: toks}, nil
}

// Create validates (the devices must be registered) and makes a token for
// devices; the secret is returned once.
func (t *DeviceTokenAdmin) Create(ctx context.Context, name string, devices []string) (string, DeviceToken, error) {
	reg, err := store.OpenRegistry(ctx, t.db, nil)
	if err != nil {
		return "", DeviceToken{}, err
	}
	ids := make([]plant.DeviceID, len(devices))
	for i, d := range devices {
		ids[i] = plant.DeviceID(d)
	}
	if err := store.ValidateDeviceToken(ctx, reg, ids, name); err != nil {
		return "", DeviceToken{}, err
	}
	entry := store.AuditEntry{Actor: "cli", Action: "device_token.create",
		Detail: fmt.Sprintf(`{"name":%q,"devices":%q}`, name, strings.Join(devices, ","))}
	return t.toks.Create(store.WithAudit(ctx, entry), ids, name, "cli")
}

// List lists the tokens of device, or all when device is "".
func (t *DeviceTokenAdmin) List(ctx context.Context, device string) ([]DeviceToken, error) {
	return t.toks.List(ctx, plant.DeviceID(device))
}

// Revoke revokes device token id.
func (t *DeviceTokenAdmin) Revoke(ctx context.Context, id string) error {
	return t.toks.Revoke(store.WithAudit(ctx, store.AuditEntry{Actor: "cli", Action: "device_token.revoke"}), id)
}
