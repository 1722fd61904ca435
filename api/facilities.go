package api

import (
	"encoding/csv"
	"errors"
	"net/http"
	"strconv"

	"github.com/oxywatch/oxywatch/internal/i18n"
	"github.com/oxywatch/oxywatch/internal/plant"
	"github.com/oxywatch/oxywatch/report"
)

func facilityKey(f plant.Facility) string { return f.ID }

func (s *server) listFacilities(w http.ResponseWriter, r *http.Request) {
	if s.opt.Registry == nil {
		notConfigured(w, r, "api.part.device_registry")
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
	switch q.Get("format") {
	case "", "json":
		writePage(w, r, out, facilityKey)
	case "csv":
		exportFacilitiesCSV(w, out)
	default:
		problemT(w, r, http.StatusBadRequest, "api.bad_format_json_csv")
	}
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
		notConfigured(w, r, "api.part.device_registry")
		return
	}
	f, found, err := s.facility(r, chiParam(r, "id"))
	switch {
	case err != nil:
		s.fail(w, r, err)
	case !found:
		problemT(w, r, http.StatusNotFound, "api.no_such_facility")
	case !s.scope(r).inside(footprint{facilities: []string{f.ID}}):
		problemT(w, r, http.StatusForbidden, "api.facility_outside_regions")
	default:
		writeJSON(w, http.StatusOK, f)
	}
}

func (s *server) putFacility(w http.ResponseWriter, r *http.Request) {
	if s.opt.Registry == nil {
		notConfigured(w, r, "api.part.device_registry")
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
		problemT(w, r, http.StatusBadRequest, "api.body_id_differs_named", f.ID, id)
		return
	}
	if errs := validateFacility(f); len(errs) > 0 {
		problemFields(w, r, http.StatusBadRequest, "api.invalid_facility", errs)
		return
	}
	created, err := s.saveFacility(r, f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(w, status, f)
}

// saveFacility validates, checks regions, saves and audits one facility.
func (s *server) saveFacility(r *http.Request, f plant.Facility) (created bool, err error) {
	if errs := validateFacility(f); len(errs) > 0 {
		return false, invalidFields(errs)
	}
	_, existed, err := s.facility(r, f.ID)
	if err != nil {
		return false, err
	}
	if err := s.allow(r, facilityEntry(f)); err != nil {
		return false, err
	}
	action := "facility.update"
	if !existed {
		action = "facility.create"
	}
	if err := s.opt.Registry.PutFacility(s.withAudit(r, action, f.ID, f), f); err != nil {
		return false, err
	}
	return !existed, nil
}

// facilityColumns are the facility CSV's columns, in export order; the
// import takes them in any order and needs id. demand_lpm is the facility's
// own demand figure, which reports use instead of an estimate; else they
// estimate it from the oxygen-using beds by category (beds_general,
// beds_severe, beds_critical), else from beds.
var facilityColumns = []string{"id", "name", "region", "country", "lat", "lon", "beds", "beds_general", "beds_severe", "beds_critical",
	"demand_lpm", "dhis2_org_unit"}

// importFacilities is POST /facilities/import: a CSV of facilities, one a
// row, created or updated (columns the file lacks keep their values); the
// answer counts them as the device import does.
func (s *server) importFacilities(w http.ResponseWriter, r *http.Request) {
	s.importRows(w, r, facilityColumns, func(fields []string, cols map[string]int) (bool, error) {
		f, err := rowFacility(fields, cols)
		if err != nil {
			return false, badRow{err}
		}
		old, existed, err := s.facility(r, f.ID)
		if err != nil {
			return false, err
		}
		if existed {
			keepAbsent(cols, &f, old, facilityCells)
		}
		return s.saveFacility(r, f)
	})
}

// facilityCells copy one facility column's field (keepAbsent).
var facilityCells = map[string]func(to, from *plant.Facility){
	"name":           func(to, from *plant.Facility) { to.Name = from.Name },
	"region":         func(to, from *plant.Facility) { to.Region = from.Region },
	"country":        func(to, from *plant.Facility) { to.Country = from.Country },
	"lat":            func(to, from *plant.Facility) { to.Lat = from.Lat },
	"lon":            func(to, from *plant.Facility) { to.Lon = from.Lon },
	"beds":           func(to, from *plant.Facility) { to.Beds = from.Beds },
	"beds_general":   func(to, from *plant.Facility) { to.BedsGeneral = from.BedsGeneral },
	"beds_severe":    func(to, from *plant.Facility) { to.BedsSevere = from.BedsSevere },
	"beds_critical":  func(to, from *plant.Facility) { to.BedsCritical = from.BedsCritical },
	"demand_lpm":     func(to, from *plant.Facility) { to.DemandLPM = from.DemandLPM },
	"dhis2_org_unit": func(to, from *plant.Facility) { to.OrgUnit = from.OrgUnit },
}

// rowFacility builds a facility from one row; an empty number is zero.
func rowFacility(rec []string, cols map[string]int) (plant.Facility, error) {
	c := cells{rec, cols}
	f := plant.Facility{ID: c.get("id"), Name: c.get("name"), Region: c.get("region"), Country: c.get("country"),
		OrgUnit: c.get("dhis2_org_unit")}
	err := errors.Join(c.float("lat", &f.Lat), c.float("lon", &f.Lon), c.int("beds", &f.Beds), c.float("demand_lpm", &f.DemandLPM),
		c.int("beds_general", &f.BedsGeneral), c.int("beds_severe", &f.BedsSevere), c.int("beds_critical", &f.BedsCritical))
	if err == nil && f.ID == "" {
		err = i18n.Field("id", "field.required.id")
	}
	if err == nil {
		if errs := validateFacility(f); len(errs) > 0 {
			err = invalidFields(errs)
		}
	}
	return f, err
}

// exportFacilitiesCSV writes facilities in the import's columns.
func exportFacilitiesCSV(w http.ResponseWriter, facs []plant.Facility) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="oxywatch-facilities.csv"`)
	cw := csv.NewWriter(w)
	_ = cw.Write(facilityColumns)
	t, n := report.CSVText, func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	for _, f := range facs {
		_ = cw.Write([]string{t(f.ID), t(f.Name), t(f.Region), t(f.Country), n(f.Lat), n(f.Lon), strconv.Itoa(f.Beds),
			strconv.Itoa(f.BedsGeneral), strconv.Itoa(f.BedsSevere), strconv.Itoa(f.BedsCritical), n(f.DemandLPM), t(f.OrgUnit)})
	}
	cw.Flush()
}

func validateFacility(f plant.Facility) []FieldError {
	errs := []FieldError(facilityTagValues(f))
	if f.Lat < -90 || f.Lat > 90 {
		errs = append(errs, fieldErr("lat", "field.out_of_range.lat"))
	}
	if f.Lon < -180 || f.Lon > 180 {
		errs = append(errs, fieldErr("lon", "field.out_of_range.lon"))
	}
	for i, n := range []int{f.Beds, f.BedsGeneral, f.BedsSevere, f.BedsCritical} {
		if n < 0 {
			errs = append(errs, fieldErr([]string{"beds", "beds_general", "beds_severe", "beds_critical"}[i], "field.negative"))
		}
	}
	if f.DemandLPM < 0 {
		errs = append(errs, fieldErr("demand_lpm", "field.negative"))
	}
	return errs
}
