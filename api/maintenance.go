package api

import (
	"math"
	"net/http"
	"strings"

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
		notConfigured(w, r, "maintenance tracking")
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
		errs = append(errs, FieldError{"component", "required, at most 64 characters (e.g. filter, compressor, sieve)"})
	}
	if in.RuntimeH < 0 || math.IsNaN(in.RuntimeH) || math.IsInf(in.RuntimeH, 0) {
		errs = append(errs, FieldError{"runtime_h", "must be a number ≥ 0"})
	}
	if len(in.Note) > 2000 {
		errs = append(errs, FieldError{"note", "at most 2000 characters"})
	}
	now := s.opt.Now().UTC()
	rec.DoneAt = now
	if in.DoneAt != "" {
		t, err := parseTime(in.DoneAt)
		switch {
		case err != nil:
			errs = append(errs, FieldError{"done_at", err.Error()})
		case t.After(now.Add(maxClockSkew)):
			errs = append(errs, FieldError{"done_at", "is in the future"})
		default:
			rec.DoneAt = t
		}
	}
	if len(errs) > 0 {
		problem(w, r, http.StatusBadRequest, "invalid service record", errs...)
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
		notConfigured(w, r, "maintenance tracking")
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
