package sim

import (
	"math"
	"strconv"
	"time"
)

// Which optional values a Reading carries.
const (
	hasPurity uint16 = 1 << iota
	hasPressure
	hasFlow
	hasRuntime
	hasTemp
	hasDewPoint
	hasSupplyV
	hasCylinders
	hasTankPressure
	hasBattery
	hasRSSI
)

// Reading is one measurement as the device firmware holds it before sending.
// Encode writes it in the wire format of CONTRACT §3; the simulator encodes
// it itself so that drift between simulator and server shows in tests.
type Reading struct {
	TS     time.Time // device clock (drift included)
	Seq    int64
	State  string
	Power  string
	Alarms []string
	SentNS int64 // load mode: Unix ns when the reading was produced (key sim_sent_ns)

	has                                        uint16
	purity, pressure, flow, runtime, temp, dew float64
	supplyV, tankBar, battery, rssi            float64
	cylinders                                  int64
}

// The setters keep values inside the ranges of CONTRACT §3 and leave out a
// value that is not a finite number, as firmware that checks its sensors does.
func (r *Reading) set(bit uint16, dst *float64, v, lo, hi float64) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return
	}
	*dst, r.has = clamp(v, lo, hi), r.has|bit
}

func (r *Reading) setPurity(v float64)   { r.set(hasPurity, &r.purity, v, 0, 100) }
func (r *Reading) setPressure(v float64) { r.set(hasPressure, &r.pressure, v, 0, 300) }
func (r *Reading) setFlow(v float64)     { r.set(hasFlow, &r.flow, v, 0, 1e6) }
func (r *Reading) setRuntime(v float64)  { r.set(hasRuntime, &r.runtime, v, 0, 1e7) }
func (r *Reading) setTemp(v float64)     { r.set(hasTemp, &r.temp, v, -100, 300) }
func (r *Reading) setDewPoint(v float64) { r.set(hasDewPoint, &r.dew, v, -100, 100) }
func (r *Reading) setSupplyV(v float64)  { r.set(hasSupplyV, &r.supplyV, v, 0, 1000) }
func (r *Reading) setTankBar(v float64)  { r.set(hasTankPressure, &r.tankBar, v, 0, 1000) }
func (r *Reading) setBattery(v float64)  { r.set(hasBattery, &r.battery, v, 0, 100) }
func (r *Reading) setRSSI(v float64)     { r.set(hasRSSI, &r.rssi, v, -150, 0) }
func (r *Reading) setCylinders(n float64) {
	var f float64
	if r.set(hasCylinders, &f, n, 0, 1e12); r.has&hasCylinders != 0 {
		r.cylinders = int64(f)
	}
}

// Purity returns the reported purity and whether the reading carries one.
func (r *Reading) Purity() (float64, bool) { return r.purity, r.has&hasPurity != 0 }

// Flow returns the reported flow and whether the reading carries one.
func (r *Reading) Flow() (float64, bool) { return r.flow, r.has&hasFlow != 0 }

// Pressure returns the reported outlet pressure and whether the reading carries one.
func (r *Reading) Pressure() (float64, bool) { return r.pressure, r.has&hasPressure != 0 }

// Runtime returns the reported running hours and whether the reading carries one.
func (r *Reading) Runtime() (float64, bool) { return r.runtime, r.has&hasRuntime != 0 }

// tsLayout is RFC 3339 with milliseconds, the server's precision.
const tsLayout = "2006-01-02T15:04:05.000Z07:00"

// AppendJSON appends the reading as one JSON object. withTS false leaves out
// ts, as a live reading from a device without a real-time clock does.
func (r *Reading) AppendJSON(b []byte, withTS bool) []byte {
	b = append(b, '{')
	first := true
	key := func(k string) {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, '"')
		b = append(b, k...)
		b = append(b, '"', ':')
	}
	if withTS {
		key("ts")
		b = append(b, '"')
		b = r.TS.UTC().AppendFormat(b, tsLayout)
		b = append(b, '"')
	}
	key("seq")
	b = strconv.AppendInt(b, r.Seq, 10)
	for _, f := range r.numbers() {
		if r.has&f.bit != 0 {
			key(f.name)
			b = appendFixed(b, f.v, f.prec)
		}
	}
	if r.has&hasCylinders != 0 {
		key("cylinders_filled")
		b = strconv.AppendInt(b, r.cylinders, 10)
	}
	if r.State != "" {
		key("state")
		b = strconv.AppendQuote(b, r.State)
	}
	if r.Power != "" {
		key("power")
		b = strconv.AppendQuote(b, r.Power)
	}
	if len(r.Alarms) > 0 {
		key("alarms")
		b = appendStrings(b, r.Alarms)
	}
	if r.SentNS != 0 {
		key("sim_sent_ns")
		b = strconv.AppendInt(b, r.SentNS, 10)
	}
	return append(b, '}')
}

type numberField struct {
	bit  uint16
	name string
	v    float64
	prec int
}

func (r *Reading) numbers() [10]numberField {
	return [10]numberField{
		{hasPurity, "purity_pct", r.purity, 2},
		{hasPressure, "pressure_bar", r.pressure, 3},
		{hasFlow, "flow_lpm", r.flow, 2},
		{hasRuntime, "runtime_h", r.runtime, 3},
		{hasTemp, "temp_c", r.temp, 1},
		{hasDewPoint, "dew_point_c", r.dew, 1},
		{hasSupplyV, "supply_v", r.supplyV, 1},
		{hasTankPressure, "tank_pressure_bar", r.tankBar, 2},
		{hasBattery, "battery_pct", r.battery, 1},
		{hasRSSI, "rssi_dbm", r.rssi, 0},
	}
}

// appendFixed writes v with prec decimals. Values are clamped before, so the
// rounding never leaves a range; a negative zero is written as zero.
func appendFixed(b []byte, v float64, prec int) []byte {
	p := math.Pow10(prec)
	v = math.Round(v*p) / p
	if v == 0 {
		v = 0
	}
	return strconv.AppendFloat(b, v, 'f', prec, 64)
}

func appendStrings(b []byte, ss []string) []byte {
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendQuote(b, s)
	}
	return append(b, ']')
}

func clamp(v, lo, hi float64) float64 {
	return math.Min(math.Max(v, lo), hi)
}
