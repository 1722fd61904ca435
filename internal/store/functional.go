package store

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"time"

	"github.com/oxywatch/oxywatch/internal/i18n"
	"github.com/oxywatch/oxywatch/internal/plant"
)

// fieldRecordMigrations hold what engineers record by hand about equipment
// that sends no telemetry, or no figure for it: functional status, and the
// stock of LOX tanks and cylinder banks. Records are kept when a device is
// deleted, so past reports stay as they were.
var fieldRecordMigrations = []string{
	`CREATE TABLE device_functional (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		device TEXT NOT NULL,
		status TEXT NOT NULL,
		at TEXT NOT NULL,
		note TEXT NOT NULL DEFAULT '',
		recorded_by TEXT NOT NULL DEFAULT '',
		recorded_at TEXT NOT NULL
	);
	CREATE INDEX device_functional_device_at ON device_functional(device, at);
	CREATE TABLE device_stock (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		device TEXT NOT NULL,
		at TEXT NOT NULL,
		litres REAL NOT NULL,
		note TEXT NOT NULL DEFAULT '',
		recorded_by TEXT NOT NULL DEFAULT '',
		recorded_at TEXT NOT NULL
	);
	CREATE INDEX device_stock_device_at ON device_stock(device, at);`,
}

// maxFieldNote is the longest note a field record keeps.
const maxFieldNote = 2000

// RecordFunctional stores a functional status found on rec.At. The audit
// entry ctx carries commits with it. RecordedAt is set to now.
func (r *Registry) RecordFunctional(ctx context.Context, rec plant.FunctionalRecord) (plant.FunctionalRecord, error) {
	if _, err := plant.ParseFunctional(string(rec.Status)); err != nil {
		return rec, &i18n.FieldError{Field: "status", Err: i18n.WithKind(plant.ErrInvalid, err)}
	}
	if err := checkFieldRecord(rec.Device, rec.At, rec.Note); err != nil {
		return rec, err
	}
	rec.RecordedAt = r.now().UTC()
	err := InTx(ctx, r.db, func(tx *sql.Tx) (string, error) {
		res, err := tx.ExecContext(ctx, `INSERT INTO device_functional (device, status, at, note, recorded_by, recorded_at) VALUES (?, ?, ?, ?, ?, ?)`,
			rec.Device, rec.Status, fieldTime(rec.At), rec.Note, rec.RecordedBy, formatTime(rec.RecordedAt))
		if err != nil {
			return "", err
		}
		rec.ID, err = res.LastInsertId()
		return string(rec.Device), err
	})
	if err != nil {
		return rec, fmt.Errorf("record functional status of %s: %w", rec.Device, err)
	}
	return rec, nil
}

// RecordStock stores a storage device's stock counted on rec.At; Cylinders
// is filled from Litres. The audit entry ctx carries commits with it.
func (r *Registry) RecordStock(ctx context.Context, rec plant.StockRecord) (plant.StockRecord, error) {
	if rec.Litres < 0 || math.IsNaN(rec.Litres) || rec.Litres > 1e9 {
		return rec, invalidField("litres", "field.out_of_range.litres")
	}
	if err := checkFieldRecord(rec.Device, rec.At, rec.Note); err != nil {
		return rec, err
	}
	rec.RecordedAt = r.now().UTC()
	rec.Cylinders = rec.Litres / plant.LitresPerCylinder
	err := InTx(ctx, r.db, func(tx *sql.Tx) (string, error) {
		res, err := tx.ExecContext(ctx, `INSERT INTO device_stock (device, at, litres, note, recorded_by, recorded_at) VALUES (?, ?, ?, ?, ?, ?)`,
			rec.Device, fieldTime(rec.At), rec.Litres, rec.Note, rec.RecordedBy, formatTime(rec.RecordedAt))
		if err != nil {
			return "", err
		}
		rec.ID, err = res.LastInsertId()
		return string(rec.Device), err
	})
	if err != nil {
		return rec, fmt.Errorf("record stock of %s: %w", rec.Device, err)
	}
	return rec, nil
}

// invalidField is a plant.ErrInvalid about field, in the catalogue's words
// (the API names the field, in its reader's language).
func invalidField(field, key string, args ...any) error {
	return &i18n.FieldError{Field: field, Err: i18n.Wrap(plant.ErrInvalid, key, args...)}
}

func checkFieldRecord(dev plant.DeviceID, at time.Time, note string) error {
	switch {
	case !plant.ValidDeviceID(string(dev)):
		return invalidField("device", "field.bad_device_id", string(dev))
	case at.IsZero():
		return invalidField("at", "field.required.missing")
	case len(note) > maxFieldNote:
		return invalidField("note", "field.too_long", maxFieldNote)
	}
	return nil
}

// FunctionalHistory lists a device's functional records, newest first.
func (r *Registry) FunctionalHistory(ctx context.Context, id plant.DeviceID) ([]plant.FunctionalRecord, error) {
	rows, err := r.db.QueryContext(ctx, `SELECT id, device, status, at, note, recorded_by, recorded_at FROM device_functional
		WHERE device = ? ORDER BY at DESC, id DESC`, id)
	if err != nil {
		return nil, fmt.Errorf("read functional records of %s: %w", id, err)
	}
	return scanFunctional(rows)
}

// LatestFunctional gives each device's newest functional record found at or
// before at (the end of a report's period); devices without one are absent.
func (r *Registry) LatestFunctional(ctx context.Context, at time.Time) (map[plant.DeviceID]plant.FunctionalRecord, error) {
	rows, err := r.db.QueryContext(ctx, `SELECT id, device, status, at, note, recorded_by, recorded_at FROM device_functional
		WHERE at <= ? ORDER BY device, at, id`, fieldTime(at))
	if err != nil {
		return nil, fmt.Errorf("read functional records: %w", err)
	}
	list, err := scanFunctional(rows)
	if err != nil {
		return nil, err
	}
	out := make(map[plant.DeviceID]plant.FunctionalRecord, len(list))
	for _, rec := range list { // sorted: the last of each device wins
		out[rec.Device] = rec
	}
	return out, nil
}

func scanFunctional(rows *sql.Rows) ([]plant.FunctionalRecord, error) {
	defer rows.Close()
	out := []plant.FunctionalRecord{}
	for rows.Next() {
		var rec plant.FunctionalRecord
		var at, recorded string
		if err := rows.Scan(&rec.ID, &rec.Device, &rec.Status, &at, &rec.Note, &rec.RecordedBy, &recorded); err != nil {
			return nil, fmt.Errorf("read functional records: %w", err)
		}
		rec.At, rec.RecordedAt = parseTime(at), parseTime(recorded)
		out = append(out, rec)
	}
	return out, rows.Err()
}

// StockHistory lists a device's stock records, newest first.
func (r *Registry) StockHistory(ctx context.Context, id plant.DeviceID) ([]plant.StockRecord, error) {
	rows, err := r.db.QueryContext(ctx, `SELECT id, device, at, litres, note, recorded_by, recorded_at FROM device_stock
		WHERE device = ? ORDER BY at DESC, id DESC`, id)
	if err != nil {
		return nil, fmt.Errorf("read stock records of %s: %w", id, err)
	}
	return scanStock(rows)
}

// LatestStock gives each device's newest stock record at or before at.
func (r *Registry) LatestStock(ctx context.Context, at time.Time) (map[plant.DeviceID]plant.StockRecord, error) {
	rows, err := r.db.QueryContext(ctx, `SELECT id, device, at, litres, note, recorded_by, recorded_at FROM device_stock
		WHERE at <= ? ORDER BY device, at, id`, fieldTime(at))
	if err != nil {
		return nil, fmt.Errorf("read stock records: %w", err)
	}
	list, err := scanStock(rows)
	if err != nil {
		return nil, err
	}
	out := make(map[plant.DeviceID]plant.StockRecord, len(list))
	for _, rec := range list {
		out[rec.Device] = rec
	}
	return out, nil
}

func scanStock(rows *sql.Rows) ([]plant.StockRecord, error) {
	defer rows.Close()
	out := []plant.StockRecord{}
	for rows.Next() {
		var rec plant.StockRecord
		var at, recorded string
		if err := rows.Scan(&rec.ID, &rec.Device, &at, &rec.Litres, &rec.Note, &rec.RecordedBy, &recorded); err != nil {
			return nil, fmt.Errorf("read stock records: %w", err)
		}
		rec.At, rec.RecordedAt = parseTime(at), parseTime(recorded)
		rec.Cylinders = rec.Litres / plant.LitresPerCylinder
		out = append(out, rec)
	}
	return out, rows.Err()
}

// fieldTime writes a record's time with a fixed width (nanoseconds always
// written), so the text sorts and compares as the time does.
func fieldTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z07:00") }
