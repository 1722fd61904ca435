package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/oxywatch/oxywatch/internal/i18n"
	"github.com/oxywatch/oxywatch/internal/plant"
)

// ErrNotFound is returned for a device or facility that does not exist.
var ErrNotFound = plant.ErrNotFound

var registryMigrations = []string{
	`CREATE TABLE devices (
		id TEXT PRIMARY KEY,
		kind TEXT NOT NULL DEFAULT 'unknown',
		model TEXT NOT NULL DEFAULT '',
		facility TEXT NOT NULL DEFAULT '',
		region TEXT NOT NULL DEFAULT '',
		country TEXT NOT NULL DEFAULT '',
		rated_flow_lpm REAL NOT NULL DEFAULT 0,
		report_interval_s INTEGER NOT NULL DEFAULT 0,
		created_at TEXT NOT NULL,
		updated_at TEXT NOT NULL
	);
	CREATE INDEX devices_region ON devices(region);
	CREATE INDEX devices_facility ON devices(facility);
	CREATE TABLE facilities (
		id TEXT PRIMARY KEY,
		name TEXT NOT NULL DEFAULT '',
		region TEXT NOT NULL DEFAULT '',
		country TEXT NOT NULL DEFAULT '',
		lat REAL NOT NULL DEFAULT 0,
		lon REAL NOT NULL DEFAULT 0,
		beds INTEGER NOT NULL DEFAULT 0,
		demand_lpm REAL NOT NULL DEFAULT 0,
		dhis2_org_unit TEXT NOT NULL DEFAULT ''
	);
	CREATE TABLE device_state (
		id TEXT PRIMARY KEY,
		state TEXT NOT NULL
	);`,
	// A deleted device is kept here, so reports still cover the part of a
	// period it existed.
	`CREATE TABLE retired_devices (
		id TEXT NOT NULL,
		kind TEXT NOT NULL,
		model TEXT NOT NULL,
		facility TEXT NOT NULL,
		region TEXT NOT NULL,
		country TEXT NOT NULL,
		rated_flow_lpm REAL NOT NULL,
		report_interval_s INTEGER NOT NULL,
		created_at TEXT NOT NULL,
		retired_at TEXT NOT NULL
	);
	CREATE INDEX retired_devices_at ON retired_devices(retired_at);`,
	// When a device went into and out of service, as the operator records
	// it (RFC 3339, empty when unknown); reports count from these.
	`ALTER TABLE devices ADD COLUMN commissioned_at TEXT NOT NULL DEFAULT '';
	ALTER TABLE devices ADD COLUMN decommissioned_at TEXT NOT NULL DEFAULT '';
	ALTER TABLE retired_devices ADD COLUMN commissioned_at TEXT NOT NULL DEFAULT '';
	ALTER TABLE retired_devices ADD COLUMN decommissioned_at TEXT NOT NULL DEFAULT '';`,
	// Oxygen-using beds by patient category (general, severe, critical),
	// from which reports estimate demand the WHO way.
	`ALTER TABLE facilities ADD COLUMN beds_general INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE facilities ADD COLUMN beds_severe INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE facilities ADD COLUMN beds_critical INTEGER NOT NULL DEFAULT 0;`,
}

// Registry is the device and facility inventory in SQLite, with an
// in-memory copy of the devices for the ingest hot path.
type Registry struct {
	db  *sql.DB
	now func() time.Time

	mu    sync.RWMutex
	cache map[plant.DeviceID]plant.Device

	unknown unknownQueue
}

// OpenRegistry migrates the registry tables and loads the device cache.
func OpenRegistry(ctx context.Context, db *sql.DB, now func() time.Time) (*Registry, error) {
	if now == nil {
		now = time.Now
	}
	if err := Migrate(ctx, db, "registry", registryMigrations); err != nil {
		return nil, err
	}
	if err := Migrate(ctx, db, "registry_sms", smsNumberMigrations); err != nil {
		return nil, err
	}
	if err := Migrate(ctx, db, "field_records", fieldRecordMigrations); err != nil {
		return nil, err
	}
	if err := Migrate(ctx, db, "registry_use", useMigrations); err != nil {
		return nil, err
	}
	if err := Migrate(ctx, db, "work_orders", workOrderMigrations); err != nil {
		return nil, err
	}
	r := &Registry{db: db, now: now, cache: map[plant.DeviceID]plant.Device{}}
	r.unknown.insert, r.unknown.background = r.insertUnknown, r.flushUnknown
	devices, err := r.listFromDB(ctx)
	if err != nil {
		return nil, err
	}
	for _, d := range devices {
		r.cache[d.ID] = d
	}
	return r, nil
}

const deviceColumns = `id, kind, model, facility, region, country, rated_flow_lpm, report_interval_s, created_at, commissioned_at, decommissioned_at, sms_number, use, measurement_point`

func scanDevice(sc interface{ Scan(...any) error }, extra ...any) (plant.Device, error) {
	var d plant.Device
	var created, commissioned, decommissioned string
	dest := append([]any{&d.ID, &d.Kind, &d.Model, &d.Facility, &d.Region, &d.Country, &d.RatedFlowLPM, &d.ReportIntervalS,
		&created, &commissioned, &decommissioned, &d.SMSNumber, &d.Use, &d.MeasurementPoint}, extra...)
	if err := sc.Scan(dest...); err != nil {
		return d, err
	}
	d.CreatedAt = parseTime(created)
	d.CommissionedAt = parseTime(commissioned)
	d.DecommissionedAt = parseTime(decommissioned)
	return withDefaults(d), nil
}

// parseTime reads a stored RFC 3339 time; empty is the zero time.
func parseTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

// formatTime stores a time as RFC 3339 UTC; the zero time is empty.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func (r *Registry) listFromDB(ctx context.Context) ([]plant.Device, error) {
	rows, err := r.db.QueryContext(ctx, `SELECT `+deviceColumns+` FROM devices ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list devices: %w", err)
	}
	defer rows.Close()
	var out []plant.Device
	for rows.Next() {
		d, err := scanDevice(rows)
		if err != nil {
			return nil, fmt.Errorf("list devices: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// Device returns a registered device from the cache (ingest.Directory).
func (r *Registry) Device(id plant.DeviceID) (plant.Device, bool) {
	r.mu.RLock()
	d, ok := r.cache[id]
	r.mu.RUnlock()
	return d, ok
}

// Devices returns every registered device, sorted by id.
func (r *Registry) Devices(ctx context.Context) ([]plant.Device, error) {
	_ = r.Flush(ctx) // best effort, as AddUnknown
	return r.listFromDB(ctx)
}

// AddUnknown lists a device that sent telemetry without being registered,
// with kind unknown, so an operator sees it and can complete its entry.
// It runs in the ingest hot path: the device is in the cache (Device sees
// it) at once, and written to SQLite with others in one transaction a
// moment later (see unknownQueue). Until then the reads that go to SQLite
// (Devices, Get, Delete) write the queue first.
func (r *Registry) AddUnknown(id plant.DeviceID, seen time.Time) {
	r.mu.Lock()
	if _, ok := r.cache[id]; ok {
		r.mu.Unlock()
		return
	}
	d := plant.Device{ID: id, Kind: plant.KindUnknown, CreatedAt: seen.UTC()}
	r.cache[id] = d
	r.mu.Unlock()
	r.unknown.add(d)
}

// Flush writes the unknown devices still queued to SQLite.
func (r *Registry) Flush(ctx context.Context) error {
	return r.unknown.flush(ctx)
}

// Close writes the unknown devices still queued; devices seen afterwards
// are written one at a time. It closes nothing else (the database is the
// caller's). Best effort either way: a device not written is listed again
// on its next reading after a restart.
func (r *Registry) Close() error {
	r.unknown.close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return r.Flush(ctx)
}

// flushUnknown is the queue's background flush.
func (r *Registry) flushUnknown() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = r.Flush(ctx) // a failed batch stays queued for the next flush
}

// insertUnknown writes devices in one transaction; one already there (an
// operator registered it meanwhile) is left as it is.
func (r *Registry) insertUnknown(ctx context.Context, ds []plant.Device) error {
	tx, err := r.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("list unknown devices: %w", err)
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, `INSERT OR IGNORE INTO devices (id, kind, created_at, updated_at) VALUES (?, 'unknown', ?, ?)`)
	if err != nil {
		return fmt.Errorf("list unknown devices: %w", err)
	}
	defer stmt.Close()
	for _, d := range ds {
		at := d.CreatedAt.Format(time.RFC3339Nano)
		if _, err := stmt.ExecContext(ctx, d.ID, at, at); err != nil {
			return fmt.Errorf("list unknown device %s: %w", d.ID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("list unknown devices: %w", err)
	}
	return nil
}

// Put creates or replaces a device. It reports whether it was created. The
// audit entry ctx carries (WithAudit) commits with the change.
func (r *Registry) Put(ctx context.Context, d plant.Device) (bool, error) {
	if err := ValidateDevice(d); err != nil {
		return false, err
	}
	now := r.now().UTC().Format(time.RFC3339Nano)
	err := InTx(ctx, r.db, func(tx *sql.Tx) (string, error) {
		_, err := tx.ExecContext(ctx, `INSERT INTO devices (id, kind, model, facility, region, country, rated_flow_lpm, report_interval_s,
			created_at, updated_at, commissioned_at, decommissioned_at, sms_number, use, measurement_point)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT(id) DO UPDATE SET kind=excluded.kind, model=excluded.model, facility=excluded.facility,
			region=excluded.region, country=excluded.country, rated_flow_lpm=excluded.rated_flow_lpm,
			report_interval_s=excluded.report_interval_s, updated_at=excluded.updated_at,
			commissioned_at=excluded.commissioned_at, decommissioned_at=excluded.decommissioned_at,
			sms_number=excluded.sms_number, use=excluded.use, measurement_point=excluded.measurement_point`,
			d.ID, d.Kind, d.Model, d.Facility, d.Region, d.Country, d.RatedFlowLPM, d.ReportIntervalS, now, now,
			formatTime(d.CommissionedAt), formatTime(d.DecommissionedAt), d.SMSNumber, d.Use, d.MeasurementPoint)
		return string(d.ID), err
	})
	if isUniqueViolation(err) {
		return false, fmt.Errorf("save device %s: sms_number %s: %w", d.ID, d.SMSNumber, ErrSMSNumberTaken)
	}
	if err != nil {
		return false, fmt.Errorf("save device %s: %w", d.ID, err)
	}
	stored, err := r.get(ctx, d.ID)
	if err != nil {
		return false, err
	}
	r.mu.Lock()
	_, existed := r.cache[d.ID]
	r.cache[d.ID] = stored
	r.mu.Unlock()
	return !existed, nil
}

// ValidateDevice checks a device's fields, naming the bad one.
func ValidateDevice(d plant.Device) error {
	if !plant.ValidDeviceID(string(d.ID)) {
		return i18n.Field("id", "field.bad_device_id.pattern", string(d.ID))
	}
	if _, err := plant.ParseKind(string(d.Kind)); err != nil {
		return &i18n.FieldError{Field: "kind", Err: err}
	}
	if d.RatedFlowLPM < 0 || d.RatedFlowLPM > 100000 {
		return i18n.Field("rated_flow_lpm", "field.out_of_range.value", strconv.FormatFloat(d.RatedFlowLPM, 'g', -1, 64), "0", "100000")
	}
	if d.ReportIntervalS < 0 || d.ReportIntervalS > 86400 {
		return i18n.Field("report_interval_s", "field.out_of_range.value", strconv.Itoa(d.ReportIntervalS), "0", "86400")
	}
	if err := validateUse(d); err != nil {
		return err
	}
	if d.SMSNumber != "" && !ValidE164(d.SMSNumber) {
		return i18n.Field("sms_number", "field.bad_phone.sms", d.SMSNumber)
	}
	if !d.CommissionedAt.IsZero() && !d.DecommissionedAt.IsZero() && !d.DecommissionedAt.After(d.CommissionedAt) {
		return i18n.Field("decommissioned_at", "field.not_after.commissioned",
			d.DecommissionedAt.UTC().Format(time.RFC3339), d.CommissionedAt.UTC().Format(time.RFC3339))
	}
	for _, t := range []struct {
		name string
		at   time.Time
	}{{"commissioned_at", d.CommissionedAt}, {"decommissioned_at", d.DecommissionedAt}} {
		if !t.at.IsZero() && (t.at.Year() < 1990 || t.at.Year() > 2200) {
			return i18n.Field(t.name, "field.bad_date.implausible", t.at.UTC().Format(time.RFC3339))
		}
	}
	return nil
}

func (r *Registry) get(ctx context.Context, id plant.DeviceID) (plant.Device, error) {
	d, err := scanDevice(r.db.QueryRowContext(ctx, `SELECT `+deviceColumns+` FROM devices WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return d, fmt.Errorf("device %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return d, fmt.Errorf("device %s: %w", id, err)
	}
	return d, nil
}

// Get returns one device from the database.
func (r *Registry) Get(ctx context.Context, id plant.DeviceID) (plant.Device, error) {
	_ = r.Flush(ctx)
	return r.get(ctx, id)
}

// Delete removes a device (its readings stay in InfluxDB). The audit entry
// ctx carries commits with the change.
func (r *Registry) Delete(ctx context.Context, id plant.DeviceID) error {
	_ = r.Flush(ctx) // else a queued device would come back after its deletion
	tx, err := r.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("delete device %s: %w", id, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO retired_devices
			(id, kind, model, facility, region, country, rated_flow_lpm, report_interval_s, created_at, retired_at,
			commissioned_at, decommissioned_at, sms_number, use, measurement_point)
		SELECT id, kind, model, facility, region, country, rated_flow_lpm, report_interval_s, created_at, ?,
			commissioned_at, decommissioned_at, sms_number, use, measurement_point
		FROM devices WHERE id = ?`, r.now().UTC().Format(time.RFC3339Nano), id); err != nil {
		return fmt.Errorf("retire device %s: %w", id, err)
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM devices WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete device %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("device %s: %w", id, ErrNotFound)
	}
	if err := AuditTx(ctx, tx, string(id)); err != nil {
		return fmt.Errorf("delete device %s: %w", id, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("delete device %s: %w", id, err)
	}
	r.mu.Lock()
	delete(r.cache, id)
	r.mu.Unlock()
	return nil
}

// RetiredDevice is a device deleted from the registry at RetiredAt.
type RetiredDevice struct {
	Device    plant.Device
	RetiredAt time.Time
}

// Retired lists the devices deleted after from: those that may have existed
// during part of [from, to) (a backlog may predate their registration).
func (r *Registry) Retired(ctx context.Context, from, to time.Time) ([]RetiredDevice, error) {
	// Few devices are ever retired; times are compared as times, not as
	// text (RFC 3339 with trimmed fractions does not sort as text).
	rows, err := r.db.QueryContext(ctx, `SELECT `+deviceColumns+`, retired_at FROM retired_devices`)
	if err != nil {
		return nil, fmt.Errorf("list retired devices: %w", err)
	}
	defer rows.Close()
	var out []RetiredDevice
	for rows.Next() {
		var retired string
		dev, err := scanDevice(rows, &retired)
		if err != nil {
			return nil, fmt.Errorf("list retired devices: %w", err)
		}
		d := RetiredDevice{Device: dev, RetiredAt: parseTime(retired)}
		// Readings may precede the device's registration (a backlog), so
		// any device retired after from may have data in the period.
		if d.RetiredAt.After(from) {
			out = append(out, d)
		}
	}
	return out, rows.Err()
}

// PutFacility creates or replaces a facility. The audit entry ctx carries
// commits with the change.
func (r *Registry) PutFacility(ctx context.Context, f plant.Facility) error {
	if f.ID == "" {
		return errors.New("facility id must not be empty")
	}
	err := InTx(ctx, r.db, func(tx *sql.Tx) (string, error) {
		_, err := tx.ExecContext(ctx, `INSERT INTO facilities (id, name, region, country, lat, lon, beds, demand_lpm, dhis2_org_unit,
			beds_general, beds_severe, beds_critical)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT(id) DO UPDATE SET name=excluded.name, region=excluded.region, country=excluded.country,
			lat=excluded.lat, lon=excluded.lon, beds=excluded.beds, demand_lpm=excluded.demand_lpm, dhis2_org_unit=excluded.dhis2_org_unit,
			beds_general=excluded.beds_general, beds_severe=excluded.beds_severe, beds_critical=excluded.beds_critical`,
			f.ID, f.Name, f.Region, f.Country, f.Lat, f.Lon, f.Beds, f.DemandLPM, f.OrgUnit, f.BedsGeneral, f.BedsSevere, f.BedsCritical)
		return f.ID, err
	})
	if err != nil {
		return fmt.Errorf("save facility %s: %w", f.ID, err)
	}
	return nil
}

// Facilities lists every facility, sorted by id.
func (r *Registry) Facilities(ctx context.Context) ([]plant.Facility, error) {
	rows, err := r.db.QueryContext(ctx, `SELECT id, name, region, country, lat, lon, beds, demand_lpm, dhis2_org_unit,
		beds_general, beds_severe, beds_critical FROM facilities ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list facilities: %w", err)
	}
	defer rows.Close()
	var out []plant.Facility
	for rows.Next() {
		var f plant.Facility
		if err := rows.Scan(&f.ID, &f.Name, &f.Region, &f.Country, &f.Lat, &f.Lon, &f.Beds, &f.DemandLPM, &f.OrgUnit,
			&f.BedsGeneral, &f.BedsSevere, &f.BedsCritical); err != nil {
			return nil, fmt.Errorf("list facilities: %w", err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// SaveStates persists per-device live state (last seen, last reading, last
// error) in one transaction; states is keyed by device id and each value is
// JSON-encodable.
func (r *Registry) SaveStates(ctx context.Context, states map[plant.DeviceID]any) error {
	tx, err := r.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("save device states: %w", err)
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO device_state (id, state) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET state = excluded.state`)
	if err != nil {
		return fmt.Errorf("save device states: %w", err)
	}
	defer stmt.Close()
	for id, st := range states {
		b, err := json.Marshal(st)
		if err != nil {
			return fmt.Errorf("save state of %s: %w", id, err)
		}
		if _, err := stmt.ExecContext(ctx, id, string(b)); err != nil {
			return fmt.Errorf("save state of %s: %w", id, err)
		}
	}
	return tx.Commit()
}

// LoadStates calls fn with each saved device state's JSON.
func (r *Registry) LoadStates(ctx context.Context, fn func(id plant.DeviceID, state []byte) error) error {
	rows, err := r.db.QueryContext(ctx, `SELECT id, state FROM device_state`)
	if err != nil {
		return fmt.Errorf("load device states: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id plant.DeviceID
		var st []byte
		if err := rows.Scan(&id, &st); err != nil {
			return fmt.Errorf("load device states: %w", err)
		}
		if err := fn(id, st); err != nil {
			return err
		}
	}
	return rows.Err()
}
