package mapping

import (
	"bytes"
	"strings"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// WithUnit is how a value's unit travels with its name: "NAME [UNIT]".
func WithUnit(name, unit string) string { return name + " [" + unit + "]" }

func splitUnit(name []byte) (base []byte, unit string, ok bool) {
	if len(name) < 4 || name[len(name)-1] != ']' {
		return nil, "", false
	}
	i := bytes.LastIndex(name, []byte(" ["))
	if i <= 0 {
		return nil, "", false
	}
	return name[:i], string(name[i+2 : len(name)-1]), true
}

// ownUnits are the units CONTRACT §3 keys without a conversion table are
// given in.
var ownUnits = map[string][]string{
	plant.FieldTemp: {"c", "°c", "degc", "celsius"}, plant.FieldDewPoint: {"c", "°c", "degc", "celsius"},
	plant.FieldSupplyV: {"v", "volt", "volts"}, plant.FieldRSSI: {"dbm"},
	plant.FieldCylindersFilled: {"", "cylinders", "count"},
}

// withUnit maps NAME given in UNIT.
func (m *Model) withUnit(base []byte, unit string) (Target, bool) {
	t, ok := m.Key(base)
	if !ok || t.Alarm != "" || t.Unit != "" {
		return t, ok // a flag has no unit; the mapping file's unit wins
	}
	u := strings.ToLower(strings.TrimSpace(unit))
	if scale, ok := units[t.Key][u]; ok {
		t.Scale *= scale
		return t, true
	}
	for _, own := range ownUnits[t.Key] {
		if u == own {
			return t, true
		}
	}
	if _, converted := units[t.Key]; !converted && ownUnits[t.Key] == nil {
		return t, true // state, power, ts: no unit to convert
	}
	return Target{}, false
}
