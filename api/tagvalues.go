package api

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

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

// tagValueProblem says what is wrong with v as a tag value, or "".
func tagValueProblem(v string) string {
	switch {
	case !utf8.ValidString(v):
		return "is not valid UTF-8"
	case utf8.RuneCountInString(v) > maxTagValue:
		return fmt.Sprintf("is longer than %d characters", maxTagValue)
	case strings.HasSuffix(v, `\`):
		return `must not end with a backslash (\)`
	}
	for _, r := range v {
		if unicode.IsControl(r) {
			return fmt.Sprintf("must not contain control characters such as newline, carriage return or tab (found %U)", r)
		}
	}
	return ""
}

// checkTagValues returns a field error for each bad value of name/value
// pairs.
func checkTagValues(pairs ...string) invalidFields {
	var errs invalidFields
	for i := 0; i+1 < len(pairs); i += 2 {
		if p := tagValueProblem(pairs[i+1]); p != "" {
			errs = append(errs, FieldError{Field: pairs[i], Detail: p})
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

func (e invalidFields) Unwrap() error { return ErrInvalid }
