package ingest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// Limits of CONTRACT §3.
const (
	MaxPayloadBytes = 64 << 10
	MaxBacklog      = 1000
	MaxFutureSkew   = 5 * time.Minute
	maxAlarmCodes   = 32
	maxAlarmLen     = 64
)

// oldestTS is the earliest timestamp accepted. A device whose real-time clock
// lost its setting reports 1970 or 2000; such readings cannot be placed in time
// and would land outside any retention policy.
var oldestTS = time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)

// Reason names why a reading or message was rejected. Reasons are the label
// values of oxywatch_ingest_rejected_total.
type Reason string

const (
	ReasonNotJSON        Reason = "not_json"
	ReasonTooBig         Reason = "too_big"
	ReasonBacklogTooLong Reason = "backlog_too_long"
	ReasonBadDeviceID    Reason = "bad_device_id"
	ReasonBadTopic       Reason = "bad_topic"
	ReasonBadType        Reason = "bad_type"
	ReasonOutOfRange     Reason = "out_of_range"
	ReasonNonFinite      Reason = "non_finite"
	ReasonUnknownEnum    Reason = "unknown_enum"
	ReasonFutureTS       Reason = "future_ts"
	ReasonBadTS          Reason = "bad_ts"
	ReasonNoValues       Reason = "no_values"
	ReasonBadStatus      Reason = "bad_status"
	ReasonUnknownDevice  Reason = "unknown_device"
)

// Reasons lists every reason, so counters can be pre-created at zero.
var Reasons = []Reason{
	ReasonNotJSON, ReasonTooBig, ReasonBacklogTooLong, ReasonBadDeviceID, ReasonBadTopic,
	ReasonBadType, ReasonOutOfRange, ReasonNonFinite, ReasonUnknownEnum, ReasonFutureTS,
	ReasonBadTS, ReasonNoValues, ReasonBadStatus, ReasonUnknownDevice,
}

// Rejection is one rejected reading (or a whole message, Index -1).
type Rejection struct {
	Index  int    // position in a backlog; 0 for a single reading; -1 for the message
	Reason Reason // machine-readable reason
	Detail string // what was wrong, for people
}

func (r Rejection) Error() string {
	if r.Index >= 0 {
		return fmt.Sprintf("reading %d: %s: %s", r.Index, r.Reason, r.Detail)
	}
	return fmt.Sprintf("%s: %s", r.Reason, r.Detail)
}

// Decoded is the result of decoding one telemetry payload.
type Decoded struct {
	Readings    []plant.Reading
	Rejected    []Rejection
	UnknownKeys int  // keys ignored, summed over readings
	Backlog     bool // the payload was an array
}

// DecodeTelemetry decodes one payload from o2/DEVICE/telemetry. now is the
// receive time: it stamps a single live reading without ts, and bounds the
// future skew. It never panics; every problem is a Rejection.
func DecodeTelemetry(dev plant.DeviceID, payload []byte, now time.Time) Decoded {
	var d Decoded
	if len(payload) > MaxPayloadBytes {
		d.reject(-1, ReasonTooBig, fmt.Sprintf("payload is %d bytes, limit %d", len(payload), MaxPayloadBytes))
		return d
	}
	if !utf8.Valid(payload) {
		d.reject(-1, ReasonNotJSON, "payload is not valid UTF-8")
		return d
	}
	trimmed := bytes.TrimSpace(payload)
	if len(trimmed) == 0 {
		d.reject(-1, ReasonNotJSON, "payload is empty")
		return d
	}
	switch trimmed[0] {
	case '{':
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(trimmed, &obj); err != nil {
			d.reject(-1, ReasonNotJSON, jsonDetail(err))
			return d
		}
		d.add(0, dev, obj, now, true)
	case '[':
		var items []json.RawMessage
		if err := json.Unmarshal(trimmed, &items); err != nil {
			d.reject(-1, ReasonNotJSON, jsonDetail(err))
			return d
		}
		d.Backlog = true
		if len(items) > MaxBacklog {
			d.reject(-1, ReasonBacklogTooLong, fmt.Sprintf("backlog holds %d readings, limit %d: split it", len(items), MaxBacklog))
			return d
		}
		d.Readings = make([]plant.Reading, 0, len(items))
		for i, raw := range items {
			var obj map[string]json.RawMessage
			if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
				d.reject(i, ReasonBadType, "backlog element is not a JSON object")
				continue
			}
			d.add(i, dev, obj, now, false)
		}
	default:
		d.reject(-1, ReasonNotJSON, "payload is neither a JSON object nor an array")
	}
	return d
}

func jsonDetail(err error) string {
	return "invalid JSON: " + err.Error()
}

func (d *Decoded) reject(i int, reason Reason, detail string) {
	d.Rejected = append(d.Rejected, Rejection{Index: i, Reason: reason, Detail: detail})
}

func (d *Decoded) add(i int, dev plant.DeviceID, obj map[string]json.RawMessage, now time.Time, live bool) {
	r, unknown, rej := decodeReading(dev, obj, now, live)
	d.UnknownKeys += unknown
	if rej != nil {
		rej.Index = i
		d.Rejected = append(d.Rejected, *rej)
		return
	}
	d.Readings = append(d.Readings, r)
}

// numberSpec describes one accepted numeric key: where it goes, how it is
// converted to the canonical unit, and the canonical range.
type numberSpec struct {
	field    func(*plant.Values) **float64
	scale    float64
	min, max float64
	canon    string // canonical key, for messages and precedence
}

const inf = math.MaxFloat64

var numberKeys = map[string]numberSpec{
	"purity_pct":        {func(v *plant.Values) **float64 { return &v.Purity }, 1, 0, 100, "purity_pct"},
	"pressure_bar":      {func(v *plant.Values) **float64 { return &v.Pressure }, 1, 0, 300, "pressure_bar"},
	"pressure_kpa":      {func(v *plant.Values) **float64 { return &v.Pressure }, 0.01, 0, 300, "pressure_bar"},
	"pressure_psi":      {func(v *plant.Values) **float64 { return &v.Pressure }, 0.0689475729, 0, 300, "pressure_bar"},
	"flow_lpm":          {func(v *plant.Values) **float64 { return &v.Flow }, 1, 0, inf, "flow_lpm"},
	"flow_m3h":          {func(v *plant.Values) **float64 { return &v.Flow }, 1000.0 / 60, 0, inf, "flow_lpm"},
	"runtime_h":         {func(v *plant.Values) **float64 { return &v.Runtime }, 1, 0, inf, "runtime_h"},
	"runtime_s":         {func(v *plant.Values) **float64 { return &v.Runtime }, 1.0 / 3600, 0, inf, "runtime_h"},
	"temp_c":            {func(v *plant.Values) **float64 { return &v.Temp }, 1, -273.15, inf, "temp_c"},
	"dew_point_c":       {func(v *plant.Values) **float64 { return &v.DewPoint }, 1, -273.15, inf, "dew_point_c"},
	"supply_v":          {func(v *plant.Values) **float64 { return &v.SupplyV }, 1, -inf, inf, "supply_v"},
	"cylinders_filled":  {func(v *plant.Values) **float64 { return &v.CylindersFilled }, 1, 0, inf, "cylinders_filled"},
	"tank_pressure_bar": {func(v *plant.Values) **float64 { return &v.TankPressure }, 1, 0, inf, "tank_pressure_bar"},
	"battery_pct":       {func(v *plant.Values) **float64 { return &v.Battery }, 1, 0, 100, "battery_pct"},
	"rssi_dbm":          {func(v *plant.Values) **float64 { return &v.RSSI }, 1, -inf, inf, "rssi_dbm"},
}

func decodeReading(dev plant.DeviceID, obj map[string]json.RawMessage, now time.Time, live bool) (plant.Reading, int, *Rejection) {
	r := plant.Reading{Device: dev}
	unknown := 0
	for key, raw := range obj {
		var rej *Rejection
		switch key {
		case "ts":
			r.Time, rej = decodeTS(raw, now)
		case "seq":
			r.Seq, rej = decodeSeq(raw)
		case "state":
			var s string
			if s, rej = decodeString(key, raw); rej == nil {
				r.State = plant.State(s)
				if !plant.ValidState(r.State) {
					rej = &Rejection{Reason: ReasonUnknownEnum, Detail: fmt.Sprintf("state %q is not one of running, standby, fault, off, maintenance", s)}
				}
			}
		case "power":
			var s string
			if s, rej = decodeString(key, raw); rej == nil {
				r.Power = plant.Power(s)
				if !plant.ValidPower(r.Power) {
					rej = &Rejection{Reason: ReasonUnknownEnum, Detail: fmt.Sprintf("power %q is not one of mains, generator, battery, solar, none", s)}
				}
			}
		case "alarms":
			r.Alarms, rej = decodeAlarms(raw)
		default:
			spec, ok := numberKeys[key]
			if !ok {
				unknown++
				continue
			}
			rej = decodeNumber(&r.Values, key, spec, raw, obj)
		}
		if rej != nil {
			return plant.Reading{}, unknown, rej
		}
	}
	if r.Time.IsZero() {
		if _, has := obj["ts"]; has || !live {
			return plant.Reading{}, unknown, &Rejection{Reason: ReasonBadTS, Detail: "ts is required in a backlog reading"}
		}
		r.Time = now
	}
	if r.Purity == nil && r.Pressure == nil && r.Flow == nil && r.Runtime == nil {
		return plant.Reading{}, unknown, &Rejection{Reason: ReasonNoValues, Detail: "a reading needs at least one of purity_pct, pressure_bar, flow_lpm, runtime_h"}
	}
	return r, unknown, nil
}

func decodeNumber(v *plant.Values, key string, spec numberSpec, raw json.RawMessage, obj map[string]json.RawMessage) *Rejection {
	if key != spec.canon {
		if _, has := obj[spec.canon]; has {
			return nil // the canonical key wins over an alias
		}
	}
	f, rej := parseNumber(key, raw)
	if rej != nil {
		return rej
	}
	f *= spec.scale
	if f < spec.min || f > spec.max {
		return &Rejection{Reason: ReasonOutOfRange, Detail: fmt.Sprintf("%s %s is outside %s", key, raw, rangeText(spec))}
	}
	*spec.field(v) = &f
	return nil
}

func rangeText(spec numberSpec) string {
	unit := strings.TrimPrefix(spec.canon[strings.LastIndexByte(spec.canon, '_'):], "_")
	switch {
	case spec.max == inf:
		return fmt.Sprintf("%g or more (%s)", spec.min, unit)
	default:
		return fmt.Sprintf("%g to %g (%s)", spec.min, spec.max, unit)
	}
}

func parseNumber(key string, raw json.RawMessage) (float64, *Rejection) {
	if len(raw) == 0 || !(raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9')) {
		return 0, &Rejection{Reason: ReasonBadType, Detail: fmt.Sprintf("%s must be a number, got %s", key, clip(raw))}
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, &Rejection{Reason: ReasonNonFinite, Detail: fmt.Sprintf("%s %s is not a finite number", key, clip(raw))}
	}
	return f, nil
}

func decodeString(key string, raw json.RawMessage) (string, *Rejection) {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", &Rejection{Reason: ReasonBadType, Detail: fmt.Sprintf("%s must be a string, got %s", key, clip(raw))}
	}
	return s, nil
}

func decodeSeq(raw json.RawMessage) (*int64, *Rejection) {
	n, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		return nil, &Rejection{Reason: ReasonBadType, Detail: fmt.Sprintf("seq must be an integer, got %s", clip(raw))}
	}
	if n < 0 {
		return nil, &Rejection{Reason: ReasonOutOfRange, Detail: fmt.Sprintf("seq %d is negative", n)}
	}
	return &n, nil
}

func decodeAlarms(raw json.RawMessage) ([]string, *Rejection) {
	var codes []string
	if err := json.Unmarshal(raw, &codes); err != nil {
		return nil, &Rejection{Reason: ReasonBadType, Detail: fmt.Sprintf("alarms must be an array of strings, got %s", clip(raw))}
	}
	if len(codes) > maxAlarmCodes {
		return nil, &Rejection{Reason: ReasonOutOfRange, Detail: fmt.Sprintf("alarms holds %d codes, limit %d", len(codes), maxAlarmCodes)}
	}
	for _, c := range codes {
		if c == "" || len(c) > maxAlarmLen {
			return nil, &Rejection{Reason: ReasonOutOfRange, Detail: fmt.Sprintf("alarm code %q must be 1 to %d bytes", clip([]byte(c)), maxAlarmLen)}
		}
	}
	return codes, nil
}

func decodeTS(raw json.RawMessage, now time.Time) (time.Time, *Rejection) {
	var t time.Time
	switch {
	case len(raw) > 0 && raw[0] == '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return t, &Rejection{Reason: ReasonBadTS, Detail: fmt.Sprintf("ts %s is not a string", clip(raw))}
		}
		p, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return t, &Rejection{Reason: ReasonBadTS, Detail: fmt.Sprintf("ts %q is not RFC 3339 (e.g. 2026-11-23T08:00:00Z)", clip([]byte(s)))}
		}
		t = p
	default:
		f, rej := parseNumber("ts", raw)
		if rej != nil {
			rej.Reason = ReasonBadTS
			return t, rej
		}
		if f > 1e11 {
			f /= 1000 // milliseconds
		}
		if f < 0 || f > 1e11 {
			return t, &Rejection{Reason: ReasonBadTS, Detail: fmt.Sprintf("ts %s is not Unix seconds or milliseconds", clip(raw))}
		}
		sec, frac := math.Modf(f)
		t = time.Unix(int64(sec), int64(math.Round(frac*1e9)))
	}
	t = t.UTC().Truncate(time.Millisecond)
	if t.After(now.Add(MaxFutureSkew)) {
		return time.Time{}, &Rejection{Reason: ReasonFutureTS, Detail: fmt.Sprintf("ts %s is %s ahead of the server clock (limit %s): check the device clock", t.Format(time.RFC3339), t.Sub(now).Round(time.Second), MaxFutureSkew)}
	}
	if t.Before(oldestTS) {
		return time.Time{}, &Rejection{Reason: ReasonBadTS, Detail: fmt.Sprintf("ts %s is before %s: the device clock is not set", t.Format(time.RFC3339), oldestTS.Format("2006-01-02"))}
	}
	return t, nil
}

// clip shortens device bytes quoted in messages so a bad payload cannot flood logs.
func clip(b []byte) string {
	const max = 40
	if len(b) <= max {
		return string(b)
	}
	return string(b[:max]) + "…"
}

// DecodeStatus decodes a payload from o2/DEVICE/status.
func DecodeStatus(payload []byte) (plant.Connectivity, *Rejection) {
	s := strings.ToLower(string(bytes.TrimSpace(payload)))
	switch plant.Connectivity(s) {
	case plant.Online, plant.Offline:
		return plant.Connectivity(s), nil
	}
	return "", &Rejection{Index: -1, Reason: ReasonBadStatus, Detail: fmt.Sprintf("status %q is neither online nor offline", clip(payload))}
}

// TopicKind tells telemetry from status topics.
type TopicKind int

const (
	TopicTelemetry TopicKind = iota + 1
	TopicStatus
)

// ParseTopic splits PREFIX/DEVICE/telemetry|status.
func ParseTopic(prefix, topic string) (plant.DeviceID, TopicKind, *Rejection) {
	rest, ok := strings.CutPrefix(topic, prefix+"/")
	if !ok {
		return "", 0, &Rejection{Index: -1, Reason: ReasonBadTopic, Detail: fmt.Sprintf("topic %q does not start with %s/", clip([]byte(topic)), prefix)}
	}
	dev, leaf, ok := strings.Cut(rest, "/")
	if !ok {
		return "", 0, &Rejection{Index: -1, Reason: ReasonBadTopic, Detail: fmt.Sprintf("topic %q is not %s/DEVICE/telemetry or /status", clip([]byte(topic)), prefix)}
	}
	if !plant.ValidDeviceID(dev) {
		return "", 0, &Rejection{Index: -1, Reason: ReasonBadDeviceID, Detail: fmt.Sprintf("device id %q must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", clip([]byte(dev)))}
	}
	switch leaf {
	case "telemetry":
		return plant.DeviceID(dev), TopicTelemetry, nil
	case "status":
		return plant.DeviceID(dev), TopicStatus, nil
	}
	return plant.DeviceID(dev), 0, &Rejection{Index: -1, Reason: ReasonBadTopic, Detail: fmt.Sprintf("topic leaf %q is neither telemetry nor status", clip([]byte(leaf)))}
}
