// Package dhis2 turns OxyWatch's monthly figures into a DHIS2 dataValueSets
// payload and pushes it to a DHIS2 server (POST /api/dataValueSets).
//
// A mapping file says which indicator goes to which data element and
// category option combo, and which facility is which organisation unit:
//
//	data_set: pBOMPrpg1QX          # optional
//	attribute_option_combo: ""     # optional
//	data_elements:
//	  uptime_pct:   {data_element: fbfJHSPpUQD, category_option_combo: HllvX50cXC0}
//	  oxygen_m3:    {data_element: cYeuwXTCPkU}   # default category option combo
//	org_units:
//	  mulago: ImspTQPwCqd          # facility id → orgUnit uid
//
// Facilities not listed fall back to the orgUnit held in the registry.
package dhis2

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// uidPattern is a DHIS2 identifier: 11 characters, a letter then letters or digits.
var uidPattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]{10}$`)

// ValidUID reports whether s is a DHIS2 uid.
func ValidUID(s string) bool { return uidPattern.MatchString(s) }

// periodPattern is a DHIS2 monthly period, yyyyMM.
var periodPattern = regexp.MustCompile(`^[0-9]{4}(0[1-9]|1[0-2])$`)

// ValidPeriod reports whether s is a monthly period such as 202611.
func ValidPeriod(s string) bool { return periodPattern.MatchString(s) }

// Mapping ties OxyWatch indicators and facilities to DHIS2 identifiers.
type Mapping struct {
	DataSet              string            `yaml:"data_set"`
	AttributeOptionCombo string            `yaml:"attribute_option_combo"`
	DataElements         map[string]Target `yaml:"data_elements"`
	OrgUnits             map[string]string `yaml:"org_units"`
}

// Target is where one indicator goes. An empty category option combo lets
// DHIS2 use the data element's default.
type Target struct {
	DataElement         string `yaml:"data_element"`
	CategoryOptionCombo string `yaml:"category_option_combo"`
}

// ErrMapping is wrapped by every mapping validation error.
var ErrMapping = errors.New("dhis2 mapping")

// LoadMapping reads and validates a mapping file. indicators lists the
// indicator names the caller can produce.
func LoadMapping(path string, indicators []string) (*Mapping, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read dhis2 mapping: %w", err)
	}
	m, err := ParseMapping(b, indicators)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// ParseMapping decodes strict YAML (unknown keys are errors) and validates
// it, naming every bad key.
func ParseMapping(b []byte, indicators []string) (*Mapping, error) {
	var m Mapping
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: %s", ErrMapping, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if err := m.Validate(indicators); err != nil {
		return nil, err
	}
	return &m, nil
}

// Validate checks uids and indicator names; the error lists every bad key.
func (m *Mapping) Validate(indicators []string) error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: %s: %s", ErrMapping, key, fmt.Sprintf(format, args...)))
	}
	checkUID := func(key, v string, optional bool) {
		if (v != "" || !optional) && !ValidUID(v) {
			bad(key, "%q is not a DHIS2 uid (11 characters: a letter, then letters or digits)", v)
		}
	}
	checkUID("data_set", m.DataSet, true)
	checkUID("attribute_option_combo", m.AttributeOptionCombo, true)
	if len(m.DataElements) == 0 {
		bad("data_elements", "map at least one indicator (%s)", strings.Join(indicators, ", "))
	}
	for _, name := range sortedKeys(m.DataElements) {
		t := m.DataElements[name]
		if !slices.Contains(indicators, name) {
			bad("data_elements."+name, "unknown indicator (want one of %s)", strings.Join(indicators, ", "))
		}
		checkUID("data_elements."+name+".data_element", t.DataElement, false)
		checkUID("data_elements."+name+".category_option_combo", t.CategoryOptionCombo, true)
	}
	for _, fac := range sortedKeys(m.OrgUnits) {
		checkUID("org_units."+fac, m.OrgUnits[fac], false)
	}
	return errors.Join(errs...)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
