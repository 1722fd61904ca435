package ingest

// The decoder before issue 12, through map[string]json.RawMessage, kept
// here as the reference that benchmarks and FuzzDecodeMatchesV1 compare the
// streaming decoder with.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// decodeTelemetryV1 decodes one payload from o2/DEVICE/telemetry. now is the
// receive time: it stamps a single live reading without ts, and bounds the
// future skew. It never panics; every problem is a Rejection.
func decodeTelemetryV1(dev plant.DeviceID, payload []byte, now time.Time) Decoded {
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
			d.reject(-1, ReasonNotJSON, v1JSONDetail(err))
			return d
		}
		d.v1Add(0, dev, obj, now, true)
	case '[':
		var items []json.RawMessage
		if err := json.Unmarshal(trimmed, &items); err != nil {
			d.reject(-1, ReasonNotJSON, v1JSONDetail(err))
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
			d.v1Add(i, dev, obj, now, false)
		}
	default:
		d.reject(-1, ReasonNotJSON, "payload is neither a JSON object nor an array")
	}
	return d
}

func v1JSONDetail(err error) string {
	return "invalid JSON: " + err.Error()
}

func (d *Decoded) v1Add(i int, dev plant.DeviceID, obj map[string]json.RawMessage, now time.Time, live bool) {
	r, unknown, rej := v1DecodeReading(dev, obj, now, live)
	d.UnknownKeys += unknown
	if rej != nil {
		rej.Index = i
		d.Rejected = append(d.Rejected, *rej)
		return
	}
	d.Readings = append(d.Readings, r)
}

// v1NumberSpec describes one accepted numeric key: where it goes, how it is
// converted to the canonical unit, and the canonical range.
type v1NumberSpec struct {
	field    func(*plant.Values) **float64
	scale    float64
	min, max float64
	canon    string // canonical key, for messages and precedence
}

var v1NumberKeys = map[string]v1NumberSpec{
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

func v1DecodeReading(dev plant.DeviceID, obj map[string]json.RawMessage, now time.Time, live bool) (plant.Reading, int, *Rejection) {
	r := plant.Reading{Device: dev}
	unknown := 0
	for key, raw := range obj {
		var rej *Rejection
		switch key {
		case "ts":
			r.Time, rej = v1DecodeTS(raw, now)
		case "seq":
			r.Seq, rej = v1DecodeSeq(raw)
		case "state":
			var s string
			if s, rej = v1DecodeString(key, raw); rej == nil {
				r.State = plant.State(s)
				if !plant.ValidState(r.State) { // issue 19: kept as unknown
					r.State = plant.StateUnknown
				}
			}
		case "power":
			var s string
			if s, rej = v1DecodeString(key, raw); rej == nil {
				r.Power = plant.Power(s)
				if !plant.ValidPower(r.Power) { // issue 19: kept as unknown
					r.Power = plant.PowerUnknown
				}
			}
		case "alarms":
			r.Alarms, rej = v1DecodeAlarms(raw)
		default:
			spec, ok := v1NumberKeys[key]
			if !ok {
				unknown++
				continue
			}
			rej = v1DecodeNumber(&r.Values, key, spec, raw, obj)
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

func v1DecodeNumber(v *plant.Values, key string, spec v1NumberSpec, raw json.RawMessage, obj map[string]json.RawMessage) *Rejection {
	if key != spec.canon {
		if _, has := obj[spec.canon]; has {
			return nil // the canonical key wins over an alias
		}
	}
	f, rej := v1ParseNumber(key, raw)
	if rej != nil {
		return rej
	}
	f *= spec.scale
	if f < spec.min || f > spec.max {
		return &Rejection{Reason: ReasonOutOfRange, Detail: fmt.Sprintf("%s %s is outside %s", key, raw, v1RangeText(spec))}
	}
	*spec.field(v) = &f
	return nil
}

func v1RangeText(spec v1NumberSpec) string {
	unit := strings.TrimPrefix(spec.canon[strings.LastIndexByte(spec.canon, '_'):], "_")
	switch {
	case spec.max == inf:
		return fmt.Sprintf("%g or more (%s)", spec.min, unit)
	default:
		return fmt.Sprintf("%g to %g (%s)", spec.min, spec.max, unit)
	}
}

func v1ParseNumber(key string, raw json.RawMessage) (float64, *Rejection) {
	if len(raw) == 0 || !(raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9')) {
		return 0, &Rejection{Reason: ReasonBadType, Detail: fmt.Sprintf("%s must be a number, got %s", key, clip(raw))}
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, &Rejection{Reason: ReasonNonFinite, Detail: fmt.Sprintf("%s %s is not a finite number", key, clip(raw))}
	}
	return f, nil
}

func v1DecodeString(key string, raw json.RawMessage) (string, *Rejection) {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", &Rejection{Reason: ReasonBadType, Detail: fmt.Sprintf("%s must be a string, got %s", key, clip(raw))}
	}
	return s, nil
}

func v1DecodeSeq(raw json.RawMessage) (*int64, *Rejection) {
	n, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		return nil, &Rejection{Reason: ReasonBadType, Detail: fmt.Sprintf("seq must be an integer, got %s", clip(raw))}
	}
	if n < 0 {
		return nil, &Rejection{Reason: ReasonOutOfRange, Detail: fmt.Sprintf("seq %d is negative", n)}
	}
	return &n, nil
}

func v1DecodeAlarms(raw json.RawMessage) ([]string, *Rejection) {
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

func v1DecodeTS(raw json.RawMessage, now time.Time) (time.Time, *Rejection) {
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
		f, rej := v1ParseNumber("ts", raw)
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

// FuzzDecodeMatchesV1 holds the streaming decoder to the behaviour of the
// one it replaced wherever that behaviour was deterministic: the same
// readings, the same rejected indexes, the same whole-message reasons.
// Where they differ on purpose it says so.
func FuzzDecodeMatchesV1(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, payload []byte) {
		got := DecodeTelemetry("fuzz-1", payload, testNow)
		want := decodeTelemetryV1("fuzz-1", payload, testNow)
		if explained(got, want, payload) {
			return
		}
		if len(got.Readings) != len(want.Readings) {
			t.Fatalf("%q: got %d readings %v, want %d: %v", payload, len(got.Readings), got.Rejected, len(want.Readings), want.Rejected)
		}
		for i := range got.Readings {
			g, w := readingJSON(t, got.Readings[i]), readingJSON(t, want.Readings[i])
			if g != w {
				t.Fatalf("%q: reading %d:\ngot  %s\nwant %s", payload, i, g, w)
			}
		}
		if g, w := rejectedAt(got), rejectedAt(want); g != w {
			t.Fatalf("%q: got rejections %v, want %v", payload, got.Rejected, want.Rejected)
		}
		if len(got.Rejected) == 0 && got.UnknownKeys != want.UnknownKeys {
			t.Fatalf("%q: got %d unknown keys, want %d", payload, got.UnknownKeys, want.UnknownKeys)
		}
		if got.Backlog != want.Backlog {
			t.Fatalf("%q: got backlog %v, want %v", payload, got.Backlog, want.Backlog)
		}
	})
}

// explained reports whether got and want differ for a reason the new
// decoder has on purpose.
func explained(got, want Decoded, payload []byte) bool {
	// Duplicate keys (issue 13: v1 let the last of two win) and escapes of
	// lone UTF-16 surrogates are valid JSON but not I-JSON (RFC 7493).
	if p := bytes.TrimSpace(payload); json.Valid(p) && !jsontext.Value(p).IsValid() {
		return true
	}
	// v1 took the two aliases of one value in map order, at random.
	return bytes.Contains(payload, []byte("pressure_kpa")) && bytes.Contains(payload, []byte("pressure_psi"))
}

func readingJSON(t *testing.T, r plant.Reading) string {
	if len(r.Alarms) == 0 {
		r.Alarms = nil // v1 kept [] as an empty slice; both store nothing
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// rejectedAt lists the rejected indexes, and the reason of a whole-message
// rejection (a reading's reason depended on v1's map order when it had two
// faults).
func rejectedAt(d Decoded) string {
	var b strings.Builder
	for _, r := range d.Rejected {
		fmt.Fprintf(&b, "%d ", r.Index)
		if r.Index < 0 {
			b.WriteString(string(r.Reason) + " ")
		}
	}
	return b.String()
}
