package dhis2

import (
	"fmt"
	"math"
	"strconv"
)

// DataValueSet is the body of POST /api/dataValueSets.
type DataValueSet struct {
	DataSet              string      `json:"dataSet,omitempty"`
	Period               string      `json:"period"`
	OrgUnit              string      `json:"orgUnit,omitempty"`
	AttributeOptionCombo string      `json:"attributeOptionCombo,omitempty"`
	DataValues           []DataValue `json:"dataValues"`
}

// DataValue is one figure for one data element, org unit and period.
type DataValue struct {
	DataElement         string `json:"dataElement"`
	Period              string `json:"period"`
	OrgUnit             string `json:"orgUnit"`
	CategoryOptionCombo string `json:"categoryOptionCombo,omitempty"`
	Value               string `json:"value"`
}

// Value is one indicator's figure for one facility. OrgUnit is the
// registry's org unit for the facility, used when the mapping has none.
type Value struct {
	Facility  string
	OrgUnit   string
	Indicator string
	Value     float64
}

// Skipped is a value left out of the payload, with the reason.
type Skipped struct {
	Facility, Indicator, Reason string
}

// Build makes the payload for period (yyyyMM) from values. Indicators the
// mapping does not list are not exported; a facility with no org unit is
// skipped and reported.
func (m *Mapping) Build(period string, values []Value) (DataValueSet, []Skipped, error) {
	if !ValidPeriod(period) {
		return DataValueSet{}, nil, fmt.Errorf("dhis2 period %q is not a month such as 202611", period)
	}
	set := DataValueSet{DataSet: m.DataSet, Period: period, AttributeOptionCombo: m.AttributeOptionCombo, DataValues: []DataValue{}}
	var skipped []Skipped
	for _, v := range values {
		t, ok := m.DataElements[v.Indicator]
		if !ok {
			continue
		}
		ou := m.orgUnit(v)
		switch {
		case ou == "":
			skipped = append(skipped, Skipped{v.Facility, v.Indicator, "no orgUnit: add it to org_units or to the facility in the registry"})
		case !ValidUID(ou):
			skipped = append(skipped, Skipped{v.Facility, v.Indicator, fmt.Sprintf("orgUnit %q is not a DHIS2 uid", ou)})
		case math.IsNaN(v.Value) || math.IsInf(v.Value, 0):
			skipped = append(skipped, Skipped{v.Facility, v.Indicator, "no value"})
		default:
			set.DataValues = append(set.DataValues, DataValue{
				DataElement: t.DataElement, Period: period, OrgUnit: ou,
				CategoryOptionCombo: t.CategoryOptionCombo, Value: FormatValue(v.Value),
			})
		}
	}
	return set, skipped, nil
}

func (m *Mapping) orgUnit(v Value) string {
	if ou, ok := m.OrgUnits[v.Facility]; ok {
		return ou
	}
	return v.OrgUnit
}

// FormatValue writes a number as DHIS2 stores it: at most two decimals,
// no exponent, no trailing zeros.
func FormatValue(v float64) string {
	return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
}
