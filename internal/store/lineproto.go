package store

import (
	"fmt"
	"strings"

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
	enc lineprotocol.Encoder
}

// NewEncoder returns an encoder.
func NewEncoder() *Encoder {
	e := &Encoder{}
	e.enc.SetPrecision(lineprotocol.Millisecond)
	return e
}

// Encode appends one line per reading and returns the bytes, which stay
// valid until the next call.
func (e *Encoder) Encode(rs []plant.Reading, tags Tags) ([]byte, error) {
	e.enc.Reset()
	e.enc.ClearErr()
	for i := range rs {
		e.encodeOne(&rs[i], tags) // each line ends with '\n'
	}
	if err := e.enc.Err(); err != nil {
		return nil, fmt.Errorf("encode line protocol: %w", err)
	}
	return trimNewline(e.enc.Bytes()), nil
}

func trimNewline(b []byte) []byte {
	for len(b) > 0 && b[len(b)-1] == '\n' {
		b = b[:len(b)-1]
	}
	return b
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
		e.enc.AddField(field, lineprotocol.MustNewValue(v))
	})
	if r.State != "" {
		e.enc.AddField("state", lineprotocol.MustNewValue(string(r.State)))
	}
	if r.Power != "" {
		e.enc.AddField("power", lineprotocol.MustNewValue(string(r.Power)))
	}
	if len(r.Alarms) > 0 {
		e.enc.AddField("alarms", lineprotocol.MustNewValue(strings.Join(r.Alarms, ",")))
	}
	if r.Seq != nil {
		e.enc.AddField("seq", lineprotocol.MustNewValue(*r.Seq))
	}
	e.enc.EndLine(r.Time)
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
