package api

import (
	"fmt"
	"net/http"

	"github.com/oxywatch/oxywatch/internal/plant"
)

func facilityKey(f plant.Facility) string { return f.ID }

func (s *server) listFacilities(w http.ResponseWriter, r *http.Request) {
	if s.opt.Registry == nil {
		notConfigured(w, r, "the device registry")
		return
	}
	all, err := s.opt.Registry.Facilities(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc, q := s.scope(r), r.URL.Query()
	out := []plant.Facility{}
	for _, f := range all {
		if sc.inside(footprint{facilities: []string{f.ID}}) && (q.Get("region") == "" || f.Region == q.Get("region")) &&
			(q.Get("country") == "" || f.Country == q.Get("country")) {
			out = append(out, f)
		}
	}
	writePage(w, r, out, facilityKey)
}

// facility finds one facility; found is false when it does not exist.
func (s *server) facility(r *http.Request, id string) (plant.Facility, bool, error) {
	all, err := s.opt.Registry.Facilities(r.Context())
	if err != nil {
		return plant.Facility{}, false, err
	}
	for _, f := range all {
		if f.ID == id {
			return f, true, nil
		}
	}
	return plant.Facility{}, false, nil
}

func (s *server) getFacility(w http.ResponseWriter, r *http.Request) {
	if s.opt.Registry == nil {
		notConfigured(w, r, "the device registry")
		return
	}
	f, found, err := s.facility(r, chiParam(r, "id"))
	switch {
	case err != nil:
		s.fail(w, r, err)
	case !found:
		problem(w, r, http.StatusNotFound, "no such facility")
	case !s.scope(r).inside(footprint{facilities: []string{f.ID}}):
		problem(w, r, http.StatusForbidden, "this facility is outside your regions")
	default:
		writeJSON(w, http.StatusOK, f)
	}
}

func (s *server) putFacility(w http.ResponseWriter, r *http.Request) {
	if s.opt.Registry == nil {
		notConfigured(w, r, "the device registry")
		return
	}
	id := chiParam(r, "id")
	var f plant.Facility
	if !s.decode(w, r, &f) {
		return
	}
	if f.ID == "" {
		f.ID = id
	}
	if f.ID != id {
		problem(w, r, http.StatusBadRequest, fmt.Sprintf("body id %q differs from the path's %q", f.ID, id))
		return
	}
	if errs := validateFacility(f); len(errs) > 0 {
		problem(w, r, http.StatusBadRequest, "invalid facility", errs...)
		return
	}
	_, existed, err := s.facility(r, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.allow(r, facilityEntry(f)); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.opt.Registry.PutFacility(r.Context(), f); err != nil {
		s.fail(w, r, err)
		return
	}
	action, status := "facility.update", http.StatusOK
	if !existed {
		action, status = "facility.create", http.StatusCreated
	}
	if !s.audited(w, r, action, f.ID, f) {
		return
	}
	writeJSON(w, status, f)
}

func validateFacility(f plant.Facility) []FieldError {
	errs := []FieldError(facilityTagValues(f))
	if f.Lat < -90 || f.Lat > 90 {
		errs = append(errs, FieldError{"lat", "must be between -90 and 90"})
	}
	if f.Lon < -180 || f.Lon > 180 {
		errs = append(errs, FieldError{"lon", "must be between -180 and 180"})
	}
	if f.Beds < 0 {
		errs = append(errs, FieldError{"beds", "must not be negative"})
	}
	if f.DemandLPM < 0 {
		errs = append(errs, FieldError{"demand_lpm", "must not be negative"})
	}
	return errs
}
