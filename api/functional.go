package api

import (
	"context"
	"math"
	"net/http"
	"time"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// FieldRecords stores what engineers record by hand about a device:
// functional status (for equipment without telemetry) and the stock of LOX
// tanks and cylinder banks. *store.Registry satisfies it; the API uses it
// when its Registry does (the routes answer 501 otherwise). Writes record
// the audit entry their context carries in the same transaction.
type FieldRecords interface {
	RecordFunctional(ctx context.Context, rec plant.FunctionalRecord) (plant.FunctionalRecord, error)
	FunctionalHistory(ctx context.Context, id plant.DeviceID) ([]plant.FunctionalRecord, error)
	RecordStock(ctx context.Context, rec plant.StockRecord) (plant.StockRecord, error)
	StockHistory(ctx context.Context, id plant.DeviceID) ([]plant.StockRecord, error)
}

// FunctionalRequest is the body of POST /devices/{id}/functional.
type FunctionalRequest struct {
	Status string `json:"status"` // functional, non_functional or under_repair
	At     string `json:"at"`     // date (2026-11-20) or RFC 3339; empty = now
	Note   string `json:"note"`
}

// StockRequest is the body of POST /devices/{id}/stock: litres of oxygen
// gas, or a number of large cylinders (6,800 L each); one of the two.
type StockRequest struct {
	Litres    *float64 `json:"litres,omitempty"`
	Cylinders *float64 `json:"cylinders,omitempty"`
	At        string   `json:"at"`
	Note      string   `json:"note"`
}

// fieldDevice is the device of a field-record route, when the caller may
// act on it.
func (s *server) fieldDevice(w http.ResponseWriter, r *http.Request) (plant.Device, FieldRecords, bool) {
	d, ok := s.device(w, r)
	if !ok {
		return d, nil, false
	}
	fr, ok := registryPart[FieldRecords](s, w, r, "api.part.field_records")
	return d, fr, ok
}

// recordFunctional is POST /devices/{id}/functional.
func (s *server) recordFunctional(w http.ResponseWriter, r *http.Request) {
	var in FunctionalRequest
	d, fr, ok := s.fieldPost(w, r, &in)
	if !ok {
		return
	}
	rec := plant.FunctionalRecord{Device: d.ID, Note: in.Note, RecordedBy: principal(r).Actor()}
	var errs []FieldError
	st, err := plant.ParseFunctional(in.Status)
	if err != nil {
		errs = append(errs, fieldOf("status", err))
	}
	rec.Status = st
	rec.At, errs = s.dateAndNote(in.At, in.Note, errs)
	saveFieldRecord(s, w, r, d, rec, errs, "api.invalid_functional", "device.functional", fr.RecordFunctional)
}

// functionalHistory is GET /devices/{id}/functional?limit=&cursor=, one
// page of the device's functional records, newest first.
func (s *server) functionalHistory(w http.ResponseWriter, r *http.Request) {
	fieldHistory(s, w, r, FieldRecords.FunctionalHistory, func(rec plant.FunctionalRecord) string { return fieldRecordKey(rec.At, rec.ID) })
}

// recordStock is POST /devices/{id}/stock, for LOX tanks and cylinder banks.
func (s *server) recordStock(w http.ResponseWriter, r *http.Request) {
	var in StockRequest
	d, fr, ok := s.fieldPost(w, r, &in)
	if !ok {
		return
	}
	rec := plant.StockRecord{Device: d.ID, Note: in.Note, RecordedBy: principal(r).Actor()}
	var errs []FieldError
	if d.Kind.Produces() {
		errs = append(errs, fieldErr("kind", "field.wrong_kind.stock", string(d.Kind)))
	}
	switch {
	case (in.Litres == nil) == (in.Cylinders == nil):
		errs = append(errs, fieldErr("litres", "field.one_of_two.stock"))
	case in.Litres != nil:
		rec.Litres = *in.Litres
	default:
		rec.Litres = *in.Cylinders * plant.LitresPerCylinder
	}
	if rec.Litres < 0 || math.IsNaN(rec.Litres) || rec.Litres > 1e9 {
		errs = append(errs, fieldErr("litres", "field.out_of_range.litres"))
	}
	rec.At, errs = s.dateAndNote(in.At, in.Note, errs)
	saveFieldRecord(s, w, r, d, rec, errs, "api.invalid_stock", "device.stock", fr.RecordStock)
}

// stockHistory is GET /devices/{id}/stock?limit=&cursor=, one page of the
// device's stock records, newest first.
func (s *server) stockHistory(w http.ResponseWriter, r *http.Request) {
	fieldHistory(s, w, r, FieldRecords.StockHistory, func(rec plant.StockRecord) string { return fieldRecordKey(rec.At, rec.ID) })
}

// fieldPost starts a POST of a field record: the device, when the caller
// may change it, and the body decoded into in.
func (s *server) fieldPost(w http.ResponseWriter, r *http.Request, in any) (plant.Device, FieldRecords, bool) {
	d, fr, ok := s.fieldDevice(w, r)
	if !ok {
		return d, nil, false
	}
	if err := s.allow(r, registered(d)); err != nil {
		s.fail(w, r, err)
		return d, nil, false
	}
	return d, fr, s.decode(w, r, in)
}

// dateAndNote checks what every field record carries: its date (see
// recordDate) and a note of at most 2000 characters.
func (s *server) dateAndNote(at, note string, errs []FieldError) (time.Time, []FieldError) {
	t, errs := s.recordDate(at, errs)
	if len(note) > 2000 {
		errs = append(errs, fieldErr("note", "field.too_long", 2000))
	}
	return t, errs
}

// saveFieldRecord ends a POST of a field record: 400 titled title naming
// errs, else rec saved with its audit entry (action) and answered 201.
func saveFieldRecord[T any](s *server, w http.ResponseWriter, r *http.Request, d plant.Device, rec T, errs []FieldError,
	title, action string, save func(context.Context, T) (T, error)) {
	if len(errs) > 0 {
		problemFields(w, r, http.StatusBadRequest, title, errs)
		return
	}
	saved, err := save(s.withAudit(r, action, string(d.ID), rec), rec)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, saved)
}

// fieldHistory answers GET of a device's field records: one page of them
// in the order of key.
func fieldHistory[T any](s *server, w http.ResponseWriter, r *http.Request, list func(FieldRecords, context.Context, plant.DeviceID) ([]T, error), key func(T) string) {
	d, fr, ok := s.fieldDevice(w, r)
	if !ok {
		return
	}
	items, err := list(fr, r.Context(), d.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sortBy(items, key)
	writePage(w, r, items, key)
}

// fieldRecordKey sorts field records as the store does: the latest found
// first (at), the later recorded (higher id) first on the same instant.
func fieldRecordKey(at time.Time, id int64) string { return descTime(at) + descKey(id) }

// recordDate reads a record's date: a day (midnight UTC) or an RFC 3339
// time, not in the future; empty is now.
func (s *server) recordDate(v string, errs []FieldError) (time.Time, []FieldError) {
	now := s.opt.Now().UTC()
	if v == "" {
		return now, errs
	}
	t, err := time.Parse(time.DateOnly, v)
	if err != nil {
		if t, err = parseTime(v); err != nil {
			return now, append(errs, fieldErr("at", "field.bad_date"))
		}
	}
	if t.After(now.Add(maxClockSkew)) {
		return now, append(errs, fieldErr("at", "field.future_date"))
	}
	return t, errs
}
