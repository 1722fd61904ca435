package api

import (
	"fmt"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/oxywatch/oxywatch/internal/i18n"
	"github.com/oxywatch/oxywatch/internal/plant"
)

// maxTagValue bounds, in characters, each registry value that becomes an
// InfluxDB tag (facility, region, country) or is shown beside one (model,
// facility name).
const maxTagValue = 128

// Registry values reach InfluxDB as tags of every reading (CONTRACT §4).
// Line protocol has no escape for a newline or a trailing backslash, so one
// such value would make every reading of its devices unwritable. They are
// refused here, at the API and CSV boundary, with the field named; the
// encoder guards the other side.

// tagValueProblem is field's error for v as a tag value, or false.
func tagValueProblem(field, v string) (FieldError, bool) {
	switch {
	case !utf8.ValidString(v):
		return fieldErr(field, "field.not_utf8"), true
	case utf8.RuneCountInString(v) > maxTagValue:
		return fieldErr(field, "field.too_long.tag", maxTagValue), true
	case strings.HasSuffix(v, `\`):
		return fieldErr(field, "field.trailing_backslash"), true
	}
	for _, r := range v {
		if unicode.IsControl(r) {
			return fieldErr(field, "field.control_char", fmt.Sprintf("%U", r)), true
		}
	}
	return FieldError{}, false
}

// checkTagValues returns a field error for each bad value of name/value
// pairs.
func checkTagValues(pairs ...string) invalidFields {
	var errs invalidFields
	for i := 0; i+1 < len(pairs); i += 2 {
		if f, bad := tagValueProblem(pairs[i], pairs[i+1]); bad {
			errs = append(errs, f)
		}
	}
	return errs
}

func deviceTagValues(d plant.Device) invalidFields {
	return checkTagValues("facility", d.Facility, "region", d.Region, "country", d.Country, "model", d.Model)
}

func facilityTagValues(f plant.Facility) invalidFields {
	return checkTagValues("id", f.ID, "name", f.Name, "region", f.Region, "country", f.Country, "dhis2_org_unit", f.OrgUnit)
}

// invalidFields is a 400 that names each bad field.
type invalidFields []FieldError

func (e invalidFields) Error() string {
	parts := make([]string, len(e))
	for i, f := range e {
		parts[i] = f.Field + ": " + f.Detail
	}
	return strings.Join(parts, "; ")
}

// In says the fields' errors in l, as a CSV import's row error does.
func (e invalidFields) In(l i18n.Lang) string {
	parts := make([]string, len(e))
	for i, f := range e {
		parts[i] = f.Field + ": " + f.in(l).Detail
	}
	return strings.Join(parts, "; ")
}

func (e invalidFields) Unwrap() error { return ErrInvalid }

// answer writes the 400 naming each field, in the reader's language.
func (e invalidFields) answer(w http.ResponseWriter, r *http.Request) {
	problemFields(w, r, http.StatusBadRequest, "api.invalid_fields", e, e)
}
