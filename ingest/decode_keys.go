package ingest

import (
	"math"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// key is a reading key of CONTRACT §3. Keys fit a uint32 bit set, so a
// reading tracks the keys it has seen without a map.
type key uint8

const (
	keyUnknown key = iota
	keyTS
	keySeq
	keyState
	keyPower
	keyAlarms
	keyPurity // the numeric keys follow, canonical and aliases
	keyPressure
	keyPressureKPa
	keyPressurePSI
	keyFlow
	keyFlowM3H
	keyRuntime
	keyRuntimeS
	keyTemp
	keyDewPoint
	keySupplyV
	keyCylinders
	keyTankPressure
	keyBattery
	keyRSSI
	numKeys
	keyAlarmFlag // a mapped true/false alarm flag; not a §3 key, never "seen"

	keyFirstNumber = keyPurity
)

func lookupKey(name []byte) key {
	switch string(name) { // compiled to comparisons: no allocation
	case "ts":
		return keyTS
	case "seq":
		return keySeq
	case "state":
		return keyState
	case "power":
		return keyPower
	case "alarms":
		return keyAlarms
	case "purity_pct":
		return keyPurity
	case "pressure_bar":
		return keyPressure
	case "pressure_kpa":
		return keyPressureKPa
	case "pressure_psi":
		return keyPressurePSI
	case "flow_lpm":
		return keyFlow
	case "flow_m3h":
		return keyFlowM3H
	case "runtime_h":
		return keyRuntime
	case "runtime_s":
		return keyRuntimeS
	case "temp_c":
		return keyTemp
	case "dew_point_c":
		return keyDewPoint
	case "supply_v":
		return keySupplyV
	case "cylinders_filled":
		return keyCylinders
	case "tank_pressure_bar":
		return keyTankPressure
	case "battery_pct":
		return keyBattery
	case "rssi_dbm":
		return keyRSSI
	}
	return keyUnknown
}

// field is one of plant.Values' numbers.
type field uint8

const (
	fieldPurity field = iota
	fieldPressure
	fieldFlow
	fieldRuntime
	fieldTemp
	fieldDewPoint
	fieldSupplyV
	fieldCylinders
	fieldTankPressure
	fieldBattery
	fieldRSSI
	numFields
)

// of returns the pointer in v that holds the field.
func (f field) of(v *plant.Values) **float64 {
	switch f {
	case fieldPurity:
		return &v.Purity
	case fieldPressure:
		return &v.Pressure
	case fieldFlow:
		return &v.Flow
	case fieldRuntime:
		return &v.Runtime
	case fieldTemp:
		return &v.Temp
	case fieldDewPoint:
		return &v.DewPoint
	case fieldSupplyV:
		return &v.SupplyV
	case fieldCylinders:
		return &v.CylindersFilled
	case fieldTankPressure:
		return &v.TankPressure
	case fieldBattery:
		return &v.Battery
	default:
		return &v.RSSI
	}
}

// numberSpec describes one accepted numeric key: where it goes, how it is
// converted to the canonical unit, and the canonical range.
type numberSpec struct {
	name     string
	field    field
	scale    float64
	min, max float64
	canon    key // the canonical key; it wins over an alias
}

const inf = math.MaxFloat64

// numberKeys is indexed by key. Of two aliases of one value (pressure_kpa
// and pressure_psi) without the canonical key, the first here wins.
var numberKeys = [numKeys]numberSpec{
	keyPurity:       {"purity_pct", fieldPurity, 1, 0, 100, keyPurity},
	keyPressure:     {"pressure_bar", fieldPressure, 1, 0, 300, keyPressure},
	keyPressureKPa:  {"pressure_kpa", fieldPressure, 0.01, 0, 300, keyPressure},
	keyPressurePSI:  {"pressure_psi", fieldPressure, 0.0689475729, 0, 300, keyPressure},
	keyFlow:         {"flow_lpm", fieldFlow, 1, 0, inf, keyFlow},
	keyFlowM3H:      {"flow_m3h", fieldFlow, 1000.0 / 60, 0, inf, keyFlow},
	keyRuntime:      {"runtime_h", fieldRuntime, 1, 0, inf, keyRuntime},
	keyRuntimeS:     {"runtime_s", fieldRuntime, 1.0 / 3600, 0, inf, keyRuntime},
	keyTemp:         {"temp_c", fieldTemp, 1, -273.15, inf, keyTemp},
	keyDewPoint:     {"dew_point_c", fieldDewPoint, 1, -273.15, inf, keyDewPoint},
	keySupplyV:      {"supply_v", fieldSupplyV, 1, -inf, inf, keySupplyV},
	keyCylinders:    {"cylinders_filled", fieldCylinders, 1, 0, inf, keyCylinders},
	keyTankPressure: {"tank_pressure_bar", fieldTankPressure, 1, 0, inf, keyTankPressure},
	keyBattery:      {"battery_pct", fieldBattery, 1, 0, 100, keyBattery},
	keyRSSI:         {"rssi_dbm", fieldRSSI, 1, -inf, inf, keyRSSI},
}
