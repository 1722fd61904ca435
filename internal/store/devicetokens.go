package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/oxywatch/oxywatch/internal/i18n"
	"github.com/oxywatch/oxywatch/internal/plant"
)

// DeviceTokenPrefix starts every device ingest token, so one is told from
// an API token (oxw_) at a glance.
const DeviceTokenPrefix = "oxd_"

var deviceTokenMigrations = []string{
	`CREATE TABLE device_tokens (
		id TEXT PRIMARY KEY,
		name TEXT NOT NULL DEFAULT '',
		devices TEXT NOT NULL,
		hash BLOB NOT NULL UNIQUE,
		created_by TEXT NOT NULL DEFAULT '',
		created_at TEXT NOT NULL,
		revoked_at TEXT NOT NULL DEFAULT ''
	);`,
}

// DeviceToken lets a device (or a gateway, for each device it lists) post
// readings over HTTP (POST /api/v1/ingest). It is not an API token: it
// reads nothing and changes nothing else. Only the SHA-256 of its secret
// is kept.
type DeviceToken struct {
	ID        string           `json:"id"`
	Name      string           `json:"name"`
	Devices   []plant.DeviceID `json:"devices"`
	CreatedBy string           `json:"created_by,omitempty"`
	CreatedAt time.Time        `json:"created_at"`
	RevokedAt time.Time        `json:"revoked_at,omitzero"`
	hash      []byte
}

// Revoked reports whether the token was revoked.
func (t DeviceToken) Revoked() bool { return !t.RevokedAt.IsZero() }

func (t DeviceToken) secretHash() []byte { return t.hash }

// Covers reports whether the token may post readings of device id.
func (t DeviceToken) Covers(id plant.DeviceID) bool { return slices.Contains(t.Devices, id) }

// DeviceTokens keeps device tokens in SQLite with an in-memory index by
// hash, as Tokens does for API tokens.
type DeviceTokens struct {
	db  *sql.DB
	now func() time.Time
	idx secretIndex[DeviceToken]
}

// OpenDeviceTokens migrates the device token table and loads the index.
func OpenDeviceTokens(ctx context.Context, db *sql.DB, now func() time.Time) (*DeviceTokens, error) {
	if now == nil {
		now = time.Now
	}
	if err := Migrate(ctx, db, "device_tokens", deviceTokenMigrations); err != nil {
		return nil, err
	}
	t := &DeviceTokens{db: db, now: now}
	t.idx = secretIndex[DeviceToken]{now: now, list: func(ctx context.Context) ([]DeviceToken, error) { return t.List(ctx, "") }}
	if err := t.reload(ctx); err != nil {
		return nil, err
	}
	return t, nil
}

func (t *DeviceTokens) reload(ctx context.Context) error { return t.idx.reload(ctx) }

// Create makes a token for devices and returns its secret, which is never
// stored and cannot be shown again. The audit entry ctx carries (WithAudit)
// is written in the same transaction (its Target becomes the token's id).
func (t *DeviceTokens) Create(ctx context.Context, devices []plant.DeviceID, name, by string) (string, DeviceToken, error) {
	if len(devices) == 0 {
		return "", DeviceToken{}, fmt.Errorf("a device token needs at least one device")
	}
	ids := make([]string, len(devices))
	for i, d := range devices {
		if !plant.ValidDeviceID(string(d)) {
			return "", DeviceToken{}, fmt.Errorf("device id %q must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", d)
		}
		ids[i] = string(d)
	}
	secret, err := newSecret()
	if err != nil {
		return "", DeviceToken{}, err
	}
	secret = DeviceTokenPrefix + strings.TrimPrefix(secret, TokenPrefix)
	id, err := randomHex(6)
	if err != nil {
		return "", DeviceToken{}, err
	}
	h := HashToken(secret)
	tok := DeviceToken{ID: id, Name: name, Devices: slices.Clone(devices), CreatedBy: by, CreatedAt: t.now().UTC().Truncate(time.Second), hash: h[:]}
	err = InTx(ctx, t.db, func(tx *sql.Tx) (string, error) {
		_, err := tx.ExecContext(ctx, `INSERT INTO device_tokens (id, name, devices, hash, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			tok.ID, tok.Name, strings.Join(ids, ","), tok.hash, by, tok.CreatedAt.Format(time.RFC3339))
		return tok.ID, err
	})
	if err != nil {
		return "", DeviceToken{}, fmt.Errorf("create device token: %w", err)
	}
	if err := t.reload(ctx); err != nil {
		return "", DeviceToken{}, err
	}
	return secret, tok, nil
}

// Lookup returns the live device token whose secret this is. The map finds
// the candidate by hash; a constant-time compare of the hashes decides.
func (t *DeviceTokens) Lookup(secret string) (DeviceToken, bool) { return t.idx.lookup(secret) }

// List returns the tokens, revoked ones included, oldest first; with
// device set, only those covering it.
func (t *DeviceTokens) List(ctx context.Context, device plant.DeviceID) ([]DeviceToken, error) {
	rows, err := t.db.QueryContext(ctx, `SELECT id, name, devices, hash, created_by, created_at, revoked_at FROM device_tokens ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("list device tokens: %w", err)
	}
	defer rows.Close()
	out := []DeviceToken{}
	for rows.Next() {
		var tok DeviceToken
		var devices, created, revoked string
		if err := rows.Scan(&tok.ID, &tok.Name, &devices, &tok.hash, &tok.CreatedBy, &created, &revoked); err != nil {
			return nil, fmt.Errorf("list device tokens: %w", err)
		}
		for _, d := range splitList(devices) {
			tok.Devices = append(tok.Devices, plant.DeviceID(d))
		}
		tok.CreatedAt, _ = time.Parse(time.RFC3339, created)
		if revoked != "" {
			tok.RevokedAt, _ = time.Parse(time.RFC3339, revoked)
		}
		if device == "" || tok.Covers(device) {
			out = append(out, tok)
		}
	}
	return out, rows.Err()
}

// Get returns one token by id.
func (t *DeviceTokens) Get(ctx context.Context, id string) (DeviceToken, error) {
	list, err := t.List(ctx, "")
	if err != nil {
		return DeviceToken{}, err
	}
	for _, tok := range list {
		if tok.ID == id {
			return tok, nil
		}
	}
	return DeviceToken{}, fmt.Errorf("device token %s: %w", id, ErrNotFound)
}

// Revoke marks a token revoked; it stops working at once in this process
// and within a few seconds in a server that shares the database. The audit
// entry ctx carries is written in the same transaction.
func (t *DeviceTokens) Revoke(ctx context.Context, id string) error {
	err := InTx(ctx, t.db, func(tx *sql.Tx) (string, error) {
		res, err := tx.ExecContext(ctx, `UPDATE device_tokens SET revoked_at = ? WHERE id = ? AND revoked_at = ''`,
			t.now().UTC().Format(time.RFC3339), id)
		if err != nil {
			return id, err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return id, fmt.Errorf("device token %s: %w", id, ErrNotFound)
		}
		return id, nil
	})
	if err != nil {
		return fmt.Errorf("revoke device token %s: %w", id, err)
	}
	return t.reload(ctx)
}

// MaxTokenDevices bounds the devices of one device token (a large gateway).
const MaxTokenDevices = 1000

// ValidateDeviceToken checks a device token request: devices well formed
// and registered (a typo would make a token nobody can use), a name of at
// most 200 characters.
func ValidateDeviceToken(ctx context.Context, reg interface {
	Get(context.Context, plant.DeviceID) (plant.Device, error)
}, devices []plant.DeviceID, name string) error {
	if len(devices) == 0 {
		return i18n.Errorf("api.devtoken_no_devices")
	}
	if len(devices) > MaxTokenDevices {
		return i18n.Errorf("api.devtoken_too_many", MaxTokenDevices)
	}
	if len(name) > 200 {
		return i18n.Errorf("api.devtoken_name_too_long")
	}
	for _, d := range devices {
		if !plant.ValidDeviceID(string(d)) {
			return i18n.Errorf("api.devtoken_bad_device_id", string(d))
		}
		if _, err := reg.Get(ctx, d); err != nil {
			if errors.Is(err, ErrNotFound) {
				return i18n.Errorf("api.device_not_registered", string(d))
			}
			return err
		}
	}
	return nil
}
