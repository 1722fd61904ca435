package influx

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/influxdata/line-protocol/v2/lineprotocol"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// Measurement is the InfluxDB measurement of every reading (CONTRACT §4).
const Measurement = "o2_reading"

// Tags are a device's InfluxDB tags, from the registry.
type Tags struct {
	Kind, Facility, Region, Country string
}

// TagsOf returns the tags of a registry device.
func TagsOf(d plant.Device) Tags {
	return Tags{Kind: string(d.Kind), Facility: d.Facility, Region: d.Region, Country: d.Country}
}

// Encoder turns readings into line protocol with millisecond timestamps. It
// is not safe for concurrent use; keep one per goroutine (a sync.Pool).
type Encoder struct {
	enc  lineprotocol.Encoder
	out  []byte // the result, when lines had to be encoded one at a time
	text []byte // the alarms field being built
}

// NewEncoder returns an encoder.
func NewEncoder() *Encoder {
	e := &Encoder{}
	e.enc.SetPrecision(lineprotocol.Millisecond)
	return e
}

// Encoded is the result of Encode.
type Encoded struct {
	// Data holds one line per reading that could be encoded, without a
	// final newline. It stays valid until the next Encode.
	Data []byte
	// Lines is the number of lines in Data.
	Lines int
	// Repaired names the tags whose registry value line protocol cannot
	// carry and that were repaired to store the readings (see RepairTag).
	Repaired []string
	// Failed lists the readings left out, in order.
	Failed []Failure
}

// Failure is a reading that could not be encoded.
type Failure struct {
	Index int // in the readings given to Encode
	Err   error
}

func (f Failure) Error() string { return fmt.Sprintf("reading %d: %v", f.Index, f.Err) }

// Encode encodes readings of one device. It never fails as a whole: a tag
// value line protocol cannot carry is repaired, and a reading that still
// cannot be encoded is left out and listed in Failed, so one bad registry
// entry or reading never holds up the others.
func (e *Encoder) Encode(rs []plant.Reading, tags Tags) Encoded {
	tags, repaired := repairTags(tags)
	e.enc.Reset()
	e.enc.ClearErr()
	var failed []Failure
	for i := range rs {
		if err := encodable(&rs[i]); err != nil {
			failed = append(failed, Failure{Index: i, Err: err})
			continue
		}
		e.encodeOne(&rs[i], tags) // each line ends with '\n'
	}
	if e.enc.Err() != nil {
		// Something encodable did not see: find the readings it refuses.
		return e.encodeEach(rs, tags, repaired)
	}
	return Encoded{Data: trimNewline(e.enc.Bytes()), Lines: len(rs) - len(failed), Repaired: repaired, Failed: failed}
}

// encodeEach encodes readings one by one, leaving out those that fail.
func (e *Encoder) encodeEach(rs []plant.Reading, tags Tags, repaired []string) Encoded {
	res := Encoded{Repaired: repaired}
	e.out = e.out[:0]
	for i := range rs {
		e.enc.Reset()
		e.enc.ClearErr()
		err := encodable(&rs[i])
		if err == nil {
			e.encodeOne(&rs[i], tags)
			err = e.enc.Err()
		}
		if err != nil {
			res.Failed = append(res.Failed, Failure{Index: i, Err: fmt.Errorf("encode line protocol: %w", err)})
			continue
		}
		e.out = append(e.out, e.enc.Bytes()...)
		res.Lines++
	}
	res.Data = trimNewline(e.out)
	return res
}

func trimNewline(b []byte) []byte {
	for len(b) > 0 && b[len(b)-1] == '\n' {
		b = b[:len(b)-1]
	}
	return b
}

// line protocol's range of timestamps (int64 nanoseconds since 1970).
var (
	minTime = time.Unix(0, math.MinInt64)
	maxTime = time.Unix(0, math.MaxInt64)
)

var errNoFields = errors.New("reading has no fields")

// encodable checks what the line-protocol encoder would refuse in a
// reading. The ingest decoder never lets such a reading through.
func encodable(r *plant.Reading) error {
	if r.Time.Before(minTime) || r.Time.After(maxTime) {
		return fmt.Errorf("time %s is outside what line protocol can hold", r.Time.Format(time.RFC3339))
	}
	fields := 0
	var bad string
	r.Each(func(field string, v float64) {
		fields++
		if math.IsNaN(v) || math.IsInf(v, 0) {
			bad = field
		}
	})
	if bad != "" {
		return fmt.Errorf("field %s is not a finite number", bad)
	}
	for _, s := range []string{string(r.State), string(r.Power)} {
		if !utf8.ValidString(s) {
			return fmt.Errorf("state or power %q is not valid UTF-8", s)
		}
	}
	if fields == 0 && r.State == "" && r.Power == "" && len(r.Alarms) == 0 && r.Seq == nil {
		return errNoFields
	}
	return nil
}

// Tag keys must be added in lexical order.
func (e *Encoder) encodeOne(r *plant.Reading, t Tags) {
	e.enc.StartLine(Measurement)
	addTag(&e.enc, "country", t.Country)
	addTag(&e.enc, "device", string(r.Device))
	addTag(&e.enc, "facility", t.Facility)
	addTag(&e.enc, "kind", orUnknown(t.Kind))
	addTag(&e.enc, "region", t.Region)
	r.Each(func(field string, v float64) {
		fv, _ := lineprotocol.FloatValue(v) // finite: checked by encodable
		e.enc.AddField(field, fv)
	})
	if r.State != "" {
		e.addString("state", string(r.State))
	}
	if r.Power != "" {
		e.addString("power", string(r.Power))
	}
	if len(r.Alarms) > 0 {
		e.text = appendAlarms(e.text[:0], r.Alarms)
		v, _ := lineprotocol.NewValueFromBytes(lineprotocol.String, e.text) // valid UTF-8: JSON quoting replaces what is not
		e.enc.AddField("alarms", v)
	}
	if r.Seq != nil {
		e.enc.AddField("seq", lineprotocol.IntValue(*r.Seq))
	}
	e.enc.EndLine(r.Time)
}

// addString adds a string field without copying it (the encoder copies
// the escaped text into its buffer at once).
func (e *Encoder) addString(key, s string) {
	e.text = append(e.text[:0], s...)
	v, _ := lineprotocol.NewValueFromBytes(lineprotocol.String, e.text) // valid UTF-8: checked by encodable
	e.enc.AddField(key, v)
}

// appendAlarms appends the alarm codes as a JSON array of strings, e.g.
// ["low_purity","dryer_fault"]: unambiguous whatever a code holds, where a
// comma-joined list was not (issue 13, item 11).
func appendAlarms(b []byte, codes []string) []byte {
	b = append(b, '[')
	for i, c := range codes {
		if i > 0 {
			b = append(b, ',')
		}
		b, _ = jsontext.AppendQuote(b, c) // invalid UTF-8 becomes U+FFFD; the decoder lets none through
	}
	return append(b, ']')
}

func addTag(enc *lineprotocol.Encoder, key, value string) {
	if value != "" {
		enc.AddTag(key, value)
	}
}

func orUnknown(kind string) string {
	if kind == "" {
		return string(plant.KindUnknown)
	}
	return kind
}

// repairTags repairs every tag value (see RepairTag) and names the tags it
// changed.
func repairTags(t Tags) (Tags, []string) {
	var repaired []string
	repair := func(name string, v *string) { // inlined: t stays on the stack
		if s, ok := RepairTag(*v); ok {
			*v = s
			repaired = append(repaired, name)
		}
	}
	repair("country", &t.Country)
	repair("facility", &t.Facility)
	repair("kind", &t.Kind)
	repair("region", &t.Region)
	return t, repaired
}

// RepairTag returns a tag value line protocol can carry, and whether it had
// to change s for that. Line protocol escapes commas, spaces and equal signs
// in tag values, but it has no way to write control characters (a newline
// ends the line), invalid UTF-8, or a backslash at the end (it would escape
// the separator after it). So control characters become spaces, invalid
// UTF-8 becomes U+FFFD and trailing backslashes are dropped; a value left
// empty drops the tag. The same registry value always gives the same tag, so
// a device's series stays one series; the registry should still be fixed.
func RepairTag(s string) (string, bool) {
	if tagOK(s) {
		return s, false
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	return strings.TrimRight(s, `\`), true
}

// tagOK reports whether line protocol carries s as it is.
func tagOK(s string) bool {
	ascii := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7f {
			return false
		}
		ascii = ascii && c < utf8.RuneSelf
	}
	return (ascii || utf8.ValidString(s)) && !strings.HasSuffix(s, `\`)
}
