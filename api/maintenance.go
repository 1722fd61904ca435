package api

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/oxywatch/oxywatch/internal/i18n"
	"github.com/oxywatch/oxywatch/internal/plant"
)

// ServiceRequest is the body of POST /devices/{id}/maintenance.
type ServiceRequest struct {
	Component string  `json:"component"`
	DoneAt    string  `json:"done_at"` // RFC 3339; empty = now
	RuntimeH  float64 `json:"runtime_h"`
	Note      string  `json:"note"`
}

func (s *server) recordMaintenance(w http.ResponseWriter, r *http.Request) {
	if s.opt.Maintenance == nil {
		notConfigured(w, r, "api.part.maintenance")
		return
	}
	d, ok := s.device(w, r)
	if !ok {
		return
	}
	if err := s.allow(r, registered(d)); err != nil {
		s.fail(w, r, err)
		return
	}
	var in ServiceRequest
	if !s.decode(w, r, &in) {
		return
	}
	rec := plant.ServiceRecord{Device: d.ID, Component: strings.TrimSpace(in.Component), RuntimeH: in.RuntimeH, Note: in.Note, By: principal(r).Actor()}
	var errs []FieldError
	if rec.Component == "" || len(rec.Component) > 64 {
		errs = append(errs, fieldErr("component", "field.required.component"))
	}
	if in.RuntimeH < 0 || math.IsNaN(in.RuntimeH) || math.IsInf(in.RuntimeH, 0) {
		errs = append(errs, fieldErr("runtime_h", "field.negative.runtime"))
	}
	if len(in.Note) > 2000 {
		errs = append(errs, fieldErr("note", "field.too_long", 2000))
	}
	now := s.opt.Now().UTC()
	rec.DoneAt = now
	if in.DoneAt != "" {
		t, err := parseTime(in.DoneAt)
		switch {
		case err != nil:
			errs = append(errs, fieldOf("done_at", err))
		case t.After(now.Add(maxClockSkew)):
			errs = append(errs, fieldErr("done_at", "field.future_date"))
		default:
			rec.DoneAt = t
		}
	}
	if len(errs) > 0 {
		problemFields(w, r, http.StatusBadRequest, "api.invalid_service_record", errs)
		return
	}
	saved, err := s.opt.Maintenance.Record(s.withAudit(r, "maintenance.record", string(d.ID), rec), rec)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, saved)
}

func dueKey(m MaintenanceDue) string { return string(m.Device) + "\x00" + m.Component }

func (s *server) maintenanceDue(w http.ResponseWriter, r *http.Request) {
	if s.opt.Maintenance == nil {
		notConfigured(w, r, "api.part.maintenance")
		return
	}
	list, err := s.opt.Maintenance.Due(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc, q := s.scope(r), r.URL.Query()
	out := []MaintenanceDue{}
	for _, m := range list {
		if sc.inside(inRegion(m.Region)) && (q.Get("region") == "" || m.Region == q.Get("region")) &&
			(q.Get("facility") == "" || m.Facility == q.Get("facility")) && (q.Get("device") == "" || string(m.Device) == q.Get("device")) {
			out = append(out, m)
		}
	}
	sortBy(out, dueKey)
	writePage(w, r, out, dueKey)
}

// serviceColumns are the columns of a service history import: id is the
// device's id (as in the device CSV), done_at a date or RFC 3339 time,
// runtime_h the running hours at that service (empty: the device's newest),
// by who did it (empty: the importing token).
var serviceColumns = []string{"id", "component", "done_at", "runtime_h", "note", "by"}

// maintenanceHolder is a Maintenance that can hold the devices' clocks
// while an import records their history a row at a time and run them once
// at the end (release), so a component whose own row comes later in the
// file does not fall due "with no service on record" in between.
type maintenanceHolder interface {
	Hold(ctx context.Context) (context.Context, func(context.Context) error)
}

// importService takes a service history CSV: one service record a row,
// each checked and stored like POST /devices/{id}/maintenance, so a fleet
// that connects for the first time starts from its real clocks.
func (s *server) importService(w http.ResponseWriter, r *http.Request) {
	if s.opt.Maintenance == nil {
		notConfigured(w, r, "api.part.maintenance")
		return
	}
	now := s.opt.Now().UTC()
	finish := func() error { return nil }
	if h, ok := s.opt.Maintenance.(maintenanceHolder); ok {
		ctx, release := h.Hold(r.Context())
		r = r.WithContext(ctx)
		done := false
		finish = func() error {
			if done {
				return nil
			}
			done = true
			return release(context.WithoutCancel(ctx))
		}
		// An import stopped by a failure still runs the clocks of what it stored.
		defer func() { _ = finish() }()
	}
	s.importRowsThen(w, r, serviceColumns, finish, func(fields []string, cols map[string]int) (bool, error) {
		rec, err := rowService(fields, cols, now)
		if err != nil {
			return false, badRow{err}
		}
		d, err := s.opt.Registry.Get(r.Context(), rec.Device)
		if errors.Is(err, ErrNotFound) {
			return false, badRow{i18n.Field("id", "field.not_registered.import", string(rec.Device))}
		}
		if err != nil {
			return false, err
		}
		if err := s.allow(r, registered(d)); err != nil {
			return false, badRow{err}
		}
		if rec.By == "" {
			rec.By = principal(r).Actor()
		}
		_, err = s.opt.Maintenance.Record(s.withAudit(r, "maintenance.record", string(d.ID), rec), rec)
		if errors.Is(err, ErrInvalid) {
			return false, badRow{err}
		}
		return err == nil, err
	})
}

// rowService reads one service record; done_at is required and not in the
// future.
func rowService(rec []string, cols map[string]int, now time.Time) (plant.ServiceRecord, error) {
	c := cells{rec, cols}
	r := plant.ServiceRecord{Device: plant.DeviceID(c.get("id")), Component: strings.ToLower(c.get("component")),
		Note: c.get("note"), By: c.get("by")}
	err := errors.Join(c.time("done_at", &r.DoneAt), c.float("runtime_h", &r.RuntimeH))
	switch {
	case err != nil:
		return r, err
	case !plant.ValidDeviceID(string(r.Device)):
		return r, i18n.Field("id", "field.bad_device_id", string(r.Device))
	case r.Component == "" || len(r.Component) > 64:
		return r, i18n.Field("component", "field.required.component_csv")
	case r.DoneAt.IsZero():
		return r, i18n.Field("done_at", "field.required.done_at")
	case r.DoneAt.After(now.Add(maxClockSkew)):
		return r, i18n.Field("done_at", "field.future_date.named", r.DoneAt.Format(time.DateOnly))
	case r.RuntimeH < 0:
		return r, i18n.Field("runtime_h", "field.negative.value", strconv.FormatFloat(r.RuntimeH, 'g', -1, 64))
	case len(r.Note) > 2000 || len(r.By) > 200:
		return r, i18n.Field("note", "field.too_long.note_by")
	}
	return r, nil
}
