package ingest

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/oxywatch/oxywatch/ingest/mapping"
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
	ReasonDuplicateKey   Reason = "duplicate_key" // a key appears twice in one reading
	ReasonUnencodable    Reason = "unencodable"   // valid, but line protocol cannot carry it: sent to the dead letters
)

// Reasons lists every reason, so counters can be pre-created at zero.
var Reasons = []Reason{
	ReasonNotJSON, ReasonTooBig, ReasonBacklogTooLong, ReasonBadDeviceID, ReasonBadTopic,
	ReasonBadType, ReasonOutOfRange, ReasonNonFinite, ReasonUnknownEnum, ReasonFutureTS,
	ReasonBadTS, ReasonNoValues, ReasonBadStatus, ReasonUnknownDevice, ReasonDuplicateKey,
	ReasonUnencodable,
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
	// UnknownStates and UnknownPowers count state and power words that
	// were not understood: those readings carry state or power unknown.
	UnknownStates, UnknownPowers int
	UnknownWord                  string // the first such word, quoted with its key, for last_error
}

// DecodeTelemetry decodes one payload from o2/DEVICE/telemetry. now is the
// receive time: it stamps a single live reading without ts, and bounds the
// future skew. It never panics; every problem is a Rejection.
//
// The payload is read once, front to back, with a streaming JSON tokenizer
// into fixed structs: no maps and no reflection (issue 12). A payload that is
// not valid JSON as a whole is rejected as a whole, with no readings, even
// when some of its readings were decoded before the fault was found.
func DecodeTelemetry(dev plant.DeviceID, payload []byte, now time.Time) Decoded {
	return DecodeMapped(dev, payload, now, nil)
}

// DecodeMapped is DecodeTelemetry for a payload in a vendor's own words:
// m (from the mapping file, for the device's model) renames keys, converts
// units and translates state, power and alarm words. A nil m reads the
// payload as CONTRACT §3 says.
func DecodeMapped(dev plant.DeviceID, payload []byte, now time.Time, m *mapping.Model) Decoded {
	var d Decoded
	if len(payload) > MaxPayloadBytes {
		d.reject(-1, ReasonTooBig, fmt.Sprintf("payload is %d bytes, limit %d", len(payload), MaxPayloadBytes))
		return d
	}
	if !utf8.Valid(payload) {
		d.reject(-1, ReasonNotJSON, "payload is not valid UTF-8")
		return d
	}
	payload = bytes.TrimSpace(payload)
	if len(payload) == 0 {
		d.reject(-1, ReasonNotJSON, "payload is empty")
		return d
	}
	x := getDecoder(payload, dev, now, m)
	defer putDecoder(x)
	if err := x.payload(&d); err != nil {
		backlog := d.Backlog
		d = Decoded{}
		var n backlogTooLong
		switch {
		case errors.As(err, &n):
			d.Backlog = backlog
			d.reject(-1, ReasonBacklogTooLong, n.Error())
		case errors.Is(err, errNotContainer):
			d.reject(-1, ReasonNotJSON, err.Error())
		default:
			// The tokenizer's message can hold a JSON pointer as deep as
			// the payload: keep the log and last_error readable.
			d.reject(-1, ReasonNotJSON, "invalid JSON: "+clipN(err.Error(), 200))
		}
	}
	return d
}

// errNotContainer rejects a payload whose top-level value is a scalar.
var errNotContainer = errors.New("payload is neither a JSON object nor an array")

// backlogTooLong is the number of readings in a backlog over MaxBacklog.
type backlogTooLong int

func (n backlogTooLong) Error() string {
	return fmt.Sprintf("backlog holds %d readings, limit %d: split it", int(n), MaxBacklog)
}

func (d *Decoded) reject(i int, reason Reason, detail string) {
	d.Rejected = append(d.Rejected, Rejection{Index: i, Reason: reason, Detail: detail})
}

// clip shortens device bytes quoted in messages so a bad payload cannot flood logs.
func clip(b []byte) string {
	return clipN(string(b), 40)
}

func clipN(s string, max int) string {
	if len(s) <= max {
		return s
	}
	for max > 0 && !utf8.RuneStart(s[max]) {
		max-- // never cut a character in two
	}
	return s[:max] + "…"
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
