package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/oxywatch/oxywatch/internal/i18n"
	"github.com/oxywatch/oxywatch/internal/plant"
)

// workOrderMigrations hold repair tickets (issue 17). A work order keeps
// the facility and region its device had when it was opened, so region
// limits and past reports do not move with the device. At most one work
// order per alert.
var workOrderMigrations = []string{
	`CREATE TABLE work_orders (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		device TEXT NOT NULL,
		facility TEXT NOT NULL DEFAULT '',
		region TEXT NOT NULL DEFAULT '',
		alert_id INTEGER,
		status TEXT NOT NULL,
		opened_at TEXT NOT NULL,
		closed_at TEXT NOT NULL DEFAULT '',
		restored_at TEXT NOT NULL DEFAULT '',
		fault TEXT NOT NULL,
		cause TEXT NOT NULL DEFAULT '',
		parts TEXT NOT NULL DEFAULT '[]',
		note TEXT NOT NULL DEFAULT '',
		opened_by TEXT NOT NULL DEFAULT '',
		closed_by TEXT NOT NULL DEFAULT ''
	);
	CREATE UNIQUE INDEX work_orders_alert ON work_orders(alert_id) WHERE alert_id IS NOT NULL;
	CREATE INDEX work_orders_device ON work_orders(device, opened_at);
	CREATE INDEX work_orders_opened ON work_orders(opened_at);`,
}

const workOrderColumns = `id, device, facility, region, COALESCE(alert_id, 0), status, opened_at, closed_at, restored_at,
	fault, cause, parts, note, opened_by, closed_by`

// OpenWorkOrder stores a new open work order for wo.Device, taking its
// facility and region from the registry. When wo.AlertID already has a work
// order, that one is returned with created false and nothing is written.
// The audit entry ctx carries commits with the new work order.
func (r *Registry) OpenWorkOrder(ctx context.Context, wo plant.WorkOrder) (saved plant.WorkOrder, created bool, err error) {
	if err := checkNewWorkOrder(wo); err != nil {
		return wo, false, err
	}
	d, err := r.Get(ctx, wo.Device)
	if err != nil {
		return wo, false, fmt.Errorf("open work order: device %s: %w", wo.Device, err)
	}
	wo.Facility, wo.Region, wo.Status = d.Facility, d.Region, plant.WorkOrderOpen
	wo.ClosedAt, wo.RestoredAt, wo.Cause, wo.Parts, wo.ClosedBy = time.Time{}, time.Time{}, "", nil, ""
	err = InTx(ctx, r.db, func(tx *sql.Tx) (string, error) {
		if wo.AlertID != 0 {
			prev, err := scanWorkOrder(tx.QueryRowContext(ctx, `SELECT `+workOrderColumns+` FROM work_orders WHERE alert_id = ?`, wo.AlertID))
			if err == nil {
				saved = prev
				return "", errExisting
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return "", err
			}
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO work_orders (device, facility, region, alert_id, status, opened_at, fault, note, opened_by)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, wo.Device, wo.Facility, wo.Region, nullID(wo.AlertID), wo.Status,
			fieldTime(wo.OpenedAt), wo.Fault, wo.Note, wo.OpenedBy)
		if err != nil {
			return "", err
		}
		wo.ID, err = res.LastInsertId()
		saved, created = wo, true
		return fmt.Sprint(wo.ID), err
	})
	if errors.Is(err, errExisting) {
		return saved, false, nil
	}
	if err != nil {
		return wo, false, fmt.Errorf("open work order for %s: %w", wo.Device, err)
	}
	return saved, created, nil
}

// errExisting rolls back an open that found the alert's work order.
var errExisting = errors.New("the alert has a work order")

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func checkNewWorkOrder(wo plant.WorkOrder) error {
	switch {
	case !plant.ValidDeviceID(string(wo.Device)):
		return invalidField("device_id", "field.bad_device_id", string(wo.Device))
	case wo.OpenedAt.IsZero():
		return invalidField("opened_at", "field.required.missing")
	case wo.Fault == "" || len(wo.Fault) > 64:
		return invalidField("fault", "field.out_of_range.part_name", 64)
	case len(wo.Note) > maxFieldNote:
		return invalidField("note", "field.too_long", maxFieldNote)
	case wo.AlertID < 0:
		return invalidField("alert_id", "field.not_positive")
	}
	return nil
}

// CloseWorkOrder closes work order id: ErrNotFound when there is none,
// ErrConflict when it is closed already, ErrInvalid when c does not fit it
// (plant.CheckClose). The audit entry ctx carries commits with it.
func (r *Registry) CloseWorkOrder(ctx context.Context, id int64, c plant.WorkOrderClose) (plant.WorkOrder, error) {
	var wo plant.WorkOrder
	err := InTx(ctx, r.db, func(tx *sql.Tx) (string, error) {
		target := fmt.Sprint(id)
		var err error
		wo, err = scanWorkOrder(tx.QueryRowContext(ctx, `SELECT `+workOrderColumns+` FROM work_orders WHERE id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return target, fmt.Errorf("work order %d: %w", id, plant.ErrNotFound)
		}
		if err != nil {
			return target, err
		}
		if wo.Status == plant.WorkOrderClosed {
			return target, fmt.Errorf("work order %d was closed on %s: %w", id, wo.ClosedAt.UTC().Format(time.RFC3339), plant.ErrConflict)
		}
		if field, err := plant.CheckClose(wo, c); err != nil {
			return target, &i18n.FieldError{Field: field, Err: i18n.WithKind(plant.ErrInvalid, err)}
		}
		wo = closed(wo, c)
		parts, _ := json.Marshal(wo.Parts)
		_, err = tx.ExecContext(ctx, `UPDATE work_orders SET status = ?, closed_at = ?, restored_at = ?, cause = ?, parts = ?, note = ?, closed_by = ?
			WHERE id = ?`, wo.Status, fieldTime(wo.ClosedAt), fieldTime(wo.RestoredAt), wo.Cause, string(parts), wo.Note, wo.ClosedBy, id)
		return target, err
	})
	if err != nil {
		return wo, fmt.Errorf("close work order %d: %w", id, err)
	}
	return wo, nil
}

// closed is wo closed with c.
func closed(wo plant.WorkOrder, c plant.WorkOrderClose) plant.WorkOrder {
	wo.Status, wo.ClosedAt, wo.RestoredAt = plant.WorkOrderClosed, c.ClosedAt, c.RestoredAt
	if wo.RestoredAt.IsZero() {
		wo.RestoredAt = c.ClosedAt
	}
	wo.Cause, wo.ClosedBy = strings.TrimSpace(c.Cause), c.ClosedBy
	wo.Parts = make([]plant.Part, len(c.Parts))
	for i, p := range c.Parts {
		wo.Parts[i] = plant.Part{Name: strings.TrimSpace(p.Name), Quantity: p.Quantity}
	}
	if c.Note != "" {
		wo.Note = strings.TrimSpace(wo.Note + "\n" + c.Note)
	}
	return wo
}

// WorkOrder returns work order id, or ErrNotFound.
func (r *Registry) WorkOrder(ctx context.Context, id int64) (plant.WorkOrder, error) {
	wo, err := scanWorkOrder(r.db.QueryRowContext(ctx, `SELECT `+workOrderColumns+` FROM work_orders WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return wo, fmt.Errorf("work order %d: %w", id, plant.ErrNotFound)
	}
	if err != nil {
		return wo, fmt.Errorf("read work order %d: %w", id, err)
	}
	return wo, nil
}

// WorkOrders lists the work orders f keeps, newest opened first.
func (r *Registry) WorkOrders(ctx context.Context, f plant.WorkOrderFilter) ([]plant.WorkOrder, error) {
	q, args := `SELECT `+workOrderColumns+` FROM work_orders WHERE 1=1`, []any{}
	if f.Device != "" {
		q, args = q+` AND device = ?`, append(args, f.Device)
	}
	if f.Status != "" {
		q, args = q+` AND status = ?`, append(args, f.Status)
	}
	if !f.To.IsZero() {
		q, args = q+` AND opened_at < ?`, append(args, fieldTime(f.To))
	}
	if !f.From.IsZero() {
		q, args = q+` AND (status = 'open' OR closed_at >= ?)`, append(args, fieldTime(f.From))
	}
	rows, err := r.db.QueryContext(ctx, q+` ORDER BY opened_at DESC, id DESC`, args...)
	if err != nil {
		return nil, fmt.Errorf("list work orders: %w", err)
	}
	defer rows.Close()
	out := []plant.WorkOrder{}
	for rows.Next() {
		wo, err := scanWorkOrder(rows)
		if err != nil {
			return nil, fmt.Errorf("list work orders: %w", err)
		}
		out = append(out, wo)
	}
	return out, rows.Err()
}

func scanWorkOrder(sc interface{ Scan(...any) error }) (plant.WorkOrder, error) {
	var wo plant.WorkOrder
	var opened, closedAt, restored, parts string
	err := sc.Scan(&wo.ID, &wo.Device, &wo.Facility, &wo.Region, &wo.AlertID, &wo.Status, &opened, &closedAt, &restored,
		&wo.Fault, &wo.Cause, &parts, &wo.Note, &wo.OpenedBy, &wo.ClosedBy)
	if err != nil {
		return wo, err
	}
	wo.OpenedAt, wo.ClosedAt, wo.RestoredAt = parseTime(opened), parseTime(closedAt), parseTime(restored)
	if err := json.Unmarshal([]byte(parts), &wo.Parts); err != nil {
		return wo, fmt.Errorf("work order %d: parts: %w", wo.ID, err)
	}
	return wo, nil
}
