package api

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/oxywatch/oxywatch/internal/plant"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func silenceKey(s Silence) string { return descKey(s.ID) }

func (s *server) listSilences(w http.ResponseWriter, r *http.Request) {
	if s.opt.Silences == nil {
		notConfigured(w, r, "api.part.silences")
		return
	}
	list, err := s.opt.Silences.List(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := s.scope(r)
	active := r.URL.Query().Get("active") == "true"
	now := s.opt.Now()
	out := []Silence{}
	for _, x := range list {
		if sc.inside(sc.silenceReach(x)) && (!active || (!now.Before(x.StartsAt) && now.Before(x.EndsAt))) {
			out = append(out, x)
		}
	}
	slices.SortFunc(out, func(a, b Silence) int { return strings.Compare(silenceKey(a), silenceKey(b)) })
	writePage(w, r, out, silenceKey)
}

func (s *server) createSilence(w http.ResponseWriter, r *http.Request) {
	if s.opt.Silences == nil {
		notConfigured(w, r, "api.part.silences")
		return
	}
	var in Silence
	if !s.decode(w, r, &in) {
		return
	}
	now := s.opt.Now().UTC()
	if in.StartsAt.IsZero() {
		in.StartsAt = now
	}
	if errs := validateSilence(in, now); len(errs) > 0 {
		problemFields(w, r, http.StatusBadRequest, "api.invalid_silence", errs)
		return
	}
	sc := s.scope(r)
	if err := sc.allow(sc.silenceReach(in)); err != nil {
		s.fail(w, r, err)
		return
	}
	in.ID, in.CreatedBy, in.CreatedAt = 0, principal(r).Actor(), now
	created, err := s.opt.Silences.Create(s.withAudit(r, "silence.create", "", in), in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, created)
}

func validateSilence(x Silence, now time.Time) []FieldError {
	var errs []FieldError
	if x.Device == "" && x.Facility == "" && x.Region == "" && x.Rule == "" {
		errs = append(errs, fieldErr("device", "field.required.matcher"))
	}
	if x.Device != "" && !plant.ValidDeviceID(string(x.Device)) {
		errs = append(errs, fieldErr("device", "field.bad_device_id", string(x.Device)))
	}
	if x.EndsAt.IsZero() {
		errs = append(errs, fieldErr("ends_at", "field.required.ends_at"))
	} else if !x.EndsAt.After(x.StartsAt) {
		errs = append(errs, fieldErr("ends_at", "field.not_after.starts_at"))
	} else if !x.EndsAt.After(now) {
		errs = append(errs, fieldErr("ends_at", "field.past_date"))
	}
	if strings.TrimSpace(x.Comment) == "" {
		errs = append(errs, fieldErr("comment", "field.required.comment"))
	}
	if len(x.Comment) > 1000 {
		errs = append(errs, fieldErr("comment", "field.too_long", 1000))
	}
	return errs
}

func (s *server) deleteSilence(w http.ResponseWriter, r *http.Request) {
	x, ok := s.silenceFor(w, r)
	if !ok {
		return
	}
	if err := s.opt.Silences.Delete(s.withAudit(r, "silence.delete", itoa(x.ID), x), x.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// silenceFor finds the silence of the path's id that the caller may change,
// answering 404 or 403 itself when there is none.
func (s *server) silenceFor(w http.ResponseWriter, r *http.Request) (Silence, bool) {
	if s.opt.Silences == nil {
		notConfigured(w, r, "api.part.silences")
		return Silence{}, false
	}
	id, ok := parseID(w, r)
	if !ok {
		return Silence{}, false
	}
	list, err := s.opt.Silences.List(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return Silence{}, false
	}
	i := slices.IndexFunc(list, func(x Silence) bool { return x.ID == id })
	if i < 0 {
		problemT(w, r, http.StatusNotFound, "api.no_such_silence")
		return Silence{}, false
	}
	sc := s.scope(r)
	if err := sc.allow(sc.silenceReach(list[i])); err != nil {
		s.fail(w, r, err)
		return Silence{}, false
	}
	return list[i], true
}

// endSilence is POST /silences/{id}/end: the silence stops now, in one
// call and one transaction. One not yet started is deleted (204); one that
// has started ends now and stays listed with the time it ran, so planned
// maintenance still counts as maintenance in uptime reports (200, the
// silence as it is now).
func (s *server) endSilence(w http.ResponseWriter, r *http.Request) {
	x, ok := s.silenceFor(w, r)
	if !ok {
		return
	}
	ended, kept, err := s.opt.Silences.End(s.withAudit(r, "silence.end", itoa(x.ID), x), x.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !kept {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	writeJSON(w, http.StatusOK, ended)
}
