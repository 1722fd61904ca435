package mapping

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// KnownKey reports whether a name is a CONTRACT §3 key. The ingest decoder
// owns that list (ingest.KnownKey); Load takes it so the two never differ.
type KnownKey func(name string) bool

// fields are the short names a mapping may use for a value, with their
// CONTRACT §3 key.
var fields = map[string]string{
	"purity": plant.FieldPurity, "pressure": plant.FieldPressure, "flow": plant.FieldFlow,
	"runtime": plant.FieldRuntime, "temp": plant.FieldTemp, "dew_point": plant.FieldDewPoint,
	"supply": plant.FieldSupplyV, "cylinders": plant.FieldCylindersFilled,
	"tank_pressure": plant.FieldTankPressure, "battery": plant.FieldBattery, "rssi": plant.FieldRSSI,
}

// units are the units a value may arrive in, per CONTRACT §3 key, with the
// factor into the key's own unit. Normal m³/h is taken as m³/h, as §3's
// flow_m3h is.
var units = map[string]map[string]float64{
	plant.FieldPurity:       {"%": 1, "pct": 1, "fraction": 100},
	plant.FieldBattery:      {"%": 1, "pct": 1, "fraction": 100},
	plant.FieldPressure:     pressureUnits,
	plant.FieldTankPressure: pressureUnits,
	plant.FieldFlow: {"l/min": 1, "lpm": 1, "slpm": 1, "m3/h": 1000.0 / 60, "nm3/h": 1000.0 / 60,
		"m³/h": 1000.0 / 60, "nm³/h": 1000.0 / 60, "l/h": 1.0 / 60, "l/s": 60},
	plant.FieldRuntime: {"h": 1, "min": 1.0 / 60, "s": 1.0 / 3600},
}

var pressureUnits = map[string]float64{"bar": 1, "mbar": 0.001, "kpa": 0.01, "mpa": 10, "psi": 0.0689475729}

// SparkplugNames are the metric names understood without a mapping, for
// the common PSA controller and gateway tags.
var SparkplugNames = map[string]string{
	"O2 Purity": plant.FieldPurity, "Oxygen Purity": plant.FieldPurity, "Purity": plant.FieldPurity,
	"Outlet Pressure": plant.FieldPressure, "Pressure": plant.FieldPressure,
	"Flow": plant.FieldFlow, "Outlet Flow": plant.FieldFlow,
	"Run Hours": plant.FieldRuntime, "Running Hours": plant.FieldRuntime,
	"State": "state", "Power Source": "power", "Power": "power",
	"Temperature": plant.FieldTemp, "Dew Point": plant.FieldDewPoint,
	"Supply Voltage": plant.FieldSupplyV, "Cylinders Filled": plant.FieldCylindersFilled,
	"Tank Pressure": plant.FieldTankPressure, "Battery": plant.FieldBattery, "RSSI": plant.FieldRSSI,
	"Sequence": "seq",
}

// SparkplugAlarmPrefixes name the folders whose true/false metrics are alarm
// flags: "Alarms/Low Purity" is alarm low_purity.
var SparkplugAlarmPrefixes = []string{"Alarms/", "Alarm/"}

// compile checks f and builds the lookup tables. known is nil for Empty.
func compile(f File, path string, known KnownKey) (*Set, error) {
	var errs []error
	bad := func(where, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s: %s", path, where, fmt.Sprintf(format, args...)))
	}
	s := &Set{models: map[string]*Model{}, sparkplug: map[string]*Model{}, devices: map[string]plant.DeviceID{}}
	s.spDefault = sparkplugModel("", nil)
	for _, name := range sortedKeys(f.Models) {
		m := compileModel(name, f.Models[name], known, func(key, format string, args ...any) {
			bad(fmt.Sprintf("model %q: %s", name, key), format, args...)
		})
		s.models[name] = m
		s.sparkplug[name] = sparkplugModel(name, m)
	}
	for _, k := range sortedKeys(f.Sparkplug.Devices) {
		id := f.Sparkplug.Devices[k]
		if n := strings.Count(k, "/"); n < 1 || n > 2 || strings.ContainsAny(k, "+#") || slices.Contains(strings.Split(k, "/"), "") {
			bad(fmt.Sprintf("sparkplug.devices[%q]", k), "must be GROUP/EDGE or GROUP/EDGE/DEVICE")
		}
		if !plant.ValidDeviceID(id) {
			bad(fmt.Sprintf("sparkplug.devices[%q]", k), "device id %q must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", id)
		}
		s.devices[k] = plant.DeviceID(id)
	}
	return s, errors.Join(errs...)
}

func compileModel(name string, mf ModelFile, known KnownKey, bad func(key, format string, args ...any)) *Model {
	m := &Model{Name: name, keys: map[string]Target{}, states: map[string]plant.State{},
		power: map[string]plant.Power{}, alarms: map[string]string{}}
	if name == "" {
		bad("models", "a model name must not be empty")
	}
	for _, k := range sortedKeys(mf.Keys) {
		t, err := resolve(mf.Keys[k], known)
		if err != nil {
			bad(fmt.Sprintf("keys[%q]", k), "%v", err)
		}
		m.keys[k] = t
	}
	for _, w := range sortedKeys(mf.States) {
		st := plant.State(mf.States[w])
		if !plant.ValidState(st) {
			bad(fmt.Sprintf("states[%q]", w), "%q is not running, standby, fault, off or maintenance", mf.States[w])
		}
		m.states[strings.ToLower(w)] = st
	}
	for _, w := range sortedKeys(mf.Power) {
		p := plant.Power(mf.Power[w])
		if !plant.ValidPower(p) {
			bad(fmt.Sprintf("power[%q]", w), "%q is not mains, generator, battery, solar or none", mf.Power[w])
		}
		m.power[strings.ToLower(w)] = p
	}
	for _, c := range sortedKeys(mf.Alarms) {
		to := mf.Alarms[c]
		if to == "" || len(to) > 64 || c == "" {
			bad(fmt.Sprintf("alarms[%q]", c), "alarm codes must be 1 to 64 bytes")
		}
		m.alarms[c] = to
	}
	return m
}

// resolve checks a target and folds its unit into a CONTRACT §3 key and a
// factor.
func resolve(t Target, known KnownKey) (Target, error) {
	if t.Alarm != "" {
		if t.Key != "" {
			return t, errors.New("give either alarm or field, not both")
		}
		if len(t.Alarm) > 64 {
			return t, errors.New("alarm code is longer than 64 bytes")
		}
		return t, nil
	}
	field, unit, hasUnit := strings.Cut(t.Key, "\x00")
	if f, ok := fields[field]; ok {
		field = f
	}
	if field == "" {
		return t, errors.New("names no field: write an OxyWatch key such as purity_pct, or {field: flow, unit: m3/h}, or {alarm: low_purity}")
	}
	if known != nil && !known(field) {
		return t, fmt.Errorf("%q is not an OxyWatch key (CONTRACT §3: purity_pct, pressure_bar, flow_lpm, flow_m3h, runtime_h, state, power, alarms, ts, …)", field)
	}
	t = Target{Key: field, Scale: 1}
	if hasUnit {
		us, ok := units[field]
		scale, known := us[strings.ToLower(unit)]
		if !ok || !known {
			return t, fmt.Errorf("unit %q is not one OxyWatch converts for %s (%s)", unit, field, unitList(field))
		}
		t.Scale, t.Unit = scale, unit
	}
	return t, nil
}

func unitList(field string) string {
	us := units[field]
	if len(us) == 0 {
		return "give it in its own unit, without unit"
	}
	return "one of " + strings.Join(sortedKeys(us), ", ")
}

// sparkplugModel is m (nil: no model) over the default metric names.
func sparkplugModel(name string, m *Model) *Model {
	sp := &Model{Name: name, keys: map[string]Target{}, alarmPrefix: SparkplugAlarmPrefixes}
	for n, k := range SparkplugNames {
		sp.keys[n] = Target{Key: k, Scale: 1}
	}
	if m != nil {
		for n, t := range m.keys {
			sp.keys[n] = t
		}
		sp.states, sp.power, sp.alarms = m.states, m.power, m.alarms
	}
	return sp
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
