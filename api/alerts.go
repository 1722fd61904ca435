package api

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/oxywatch/oxywatch/internal/plant"
)

func alertKey(a plant.Alert) string { return descKey(a.ID) }

func (s *server) listAlerts(w http.ResponseWriter, r *http.Request) {
	if s.opt.Alerts == nil {
		notConfigured(w, r, "api.part.alert_engine")
		return
	}
	q := r.URL.Query()
	f := AlertFilter{State: q.Get("state"), Device: q.Get("device"), Facility: q.Get("facility"), Region: q.Get("region"),
		Severity: q.Get("severity"), Rule: q.Get("rule"), Regions: principal(r).Regions}
	if f.State != "" && !slices.Contains([]string{"firing", "acknowledged", "resolved", "active"}, f.State) {
		problemT(w, r, http.StatusBadRequest, "api.bad_alert_state")
		return
	}
	if f.Severity != "" && !slices.Contains([]string{"critical", "warning", "info"}, f.Severity) {
		problemT(w, r, http.StatusBadRequest, "api.bad_severity")
		return
	}
	limit, after, err := pageParams(r)
	if err != nil {
		problemErr(w, r, http.StatusBadRequest, err)
		return
	}
	if f.BeforeID, err = alertCursorID(after); err != nil {
		problemErr(w, r, http.StatusBadRequest, err)
		return
	}
	f.Limit = limit + 1 // one more says whether there is a next page
	list, err := s.opt.Alerts.List(r.Context(), f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := s.scope(r)
	out := make([]plant.Alert, 0, len(list))
	for _, a := range list {
		if sc.inside(inRegion(a.Region)) && alertMatches(a, f) {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, func(a, b plant.Alert) int { return strings.Compare(alertKey(a), alertKey(b)) })
	items, next := page(out, alertKey, limit, after)
	writeJSON(w, http.StatusOK, List[plant.Alert]{Items: items, Next: next})
}

// alertCursorID turns a page cursor's key (descKey) back into the alert id
// the next page starts below.
func alertCursorID(after string) (int64, error) {
	if after == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(after, 10, 64)
	if err != nil || n < 0 || n >= 1<<62 {
		return 0, fmt.Errorf("cursor does not belong to the alert list")
	}
	return int64(1<<62) - n, nil
}

// alertMatches applies the filter again, so an engine that ignores part of
// it still answers what was asked; pending alerts are never shown.
func alertMatches(a plant.Alert, f AlertFilter) bool {
	if a.State == plant.AlertPending {
		return false
	}
	state := f.State == "" || string(a.State) == f.State ||
		(f.State == "active" && (a.State == plant.AlertFiring || a.State == plant.AlertAcknowledged))
	return state && (f.Device == "" || string(a.Device) == f.Device) && (f.Facility == "" || a.Facility == f.Facility) &&
		(f.Region == "" || a.Region == f.Region) && (f.Severity == "" || string(a.Severity) == f.Severity) &&
		(f.Rule == "" || a.Rule == f.Rule)
}

// alert loads one alert the caller may see.
func (s *server) alert(w http.ResponseWriter, r *http.Request) (plant.Alert, bool) {
	if s.opt.Alerts == nil {
		notConfigured(w, r, "api.part.alert_engine")
		return plant.Alert{}, false
	}
	id, ok := parseID(w, r)
	if !ok {
		return plant.Alert{}, false
	}
	a, err := s.opt.Alerts.Get(r.Context(), id)
	if err == nil && a.State == plant.AlertPending {
		err = ErrNotFound
	}
	if err != nil {
		s.fail(w, r, err)
		return plant.Alert{}, false
	}
	if !s.scope(r).inside(inRegion(a.Region)) {
		problemT(w, r, http.StatusForbidden, "api.alert_outside_regions")
		return plant.Alert{}, false
	}
	return a, true
}

func (s *server) getAlert(w http.ResponseWriter, r *http.Request) {
	if a, ok := s.alert(w, r); ok {
		writeJSON(w, http.StatusOK, a)
	}
}

// AckRequest is the body of POST /alerts/{id}/ack (it may be empty).
type AckRequest struct {
	Note string `json:"note"`
}

func (s *server) ackAlert(w http.ResponseWriter, r *http.Request) {
	a, ok := s.alert(w, r)
	if !ok {
		return
	}
	var in AckRequest
	if r.ContentLength != 0 && !s.decode(w, r, &in) {
		return
	}
	if len(in.Note) > 1000 {
		problemT(w, r, http.StatusBadRequest, "api.note_too_long")
		return
	}
	if a.State == plant.AlertResolved {
		problemT(w, r, http.StatusConflict, "api.alert_resolved")
		return
	}
	ctx := s.withAudit(r, "alert.ack", itoa(a.ID), map[string]string{"note": in.Note, "rule": a.Rule, "device": string(a.Device)})
	acked, err := s.opt.Alerts.Ack(ctx, a.ID, principal(r).Actor(), in.Note)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, acked)
}
