package sparkplug

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/oxywatch/oxywatch/ingest/mapping"
	"github.com/oxywatch/oxywatch/ingest/sparkplug/sproto"
)

// metrics is what one device (or an edge node itself) declared and last
// reported. Sparkplug reports by exception: a DATA message carries what
// changed, so each reading is the last known value of every metric with
// the message's values over them (an alarm flag stays raised until a DATA
// clears it).
type metrics struct {
	born     bool
	readings bool              // it has sent telemetry metrics
	aliases  map[uint64]string // alias → metric name, from the BIRTH
	units    map[string]string // metric name → engineering unit, from the BIRTH's properties
	byName   map[string]int    // index in vals
	vals     []held
}

type held struct {
	name string
	json []byte // the value as JSON: a number, true/false or a string
}

func newMetrics() *metrics {
	return &metrics{aliases: map[uint64]string{}, units: map[string]string{}, byName: map[string]int{}}
}

// skipped are metric names that are session plumbing, not telemetry.
func skipped(name string) bool {
	return name == "bdSeq" || name == "ts" || strings.HasPrefix(name, "Node Control/") || strings.HasPrefix(name, "Device Control/")
}

// values reads a message's metrics into readings, one per timestamp in
// order of appearance, and reports whether it held any telemetry metric.
// Historical metrics (is_historical) make readings of their own and leave
// the last known values alone.
func (s *session) values(m *metrics, list []*sproto.Payload_Metric) bool {
	var groups []group
	any := false
	// Every value is written into one buffer; held values copy theirs.
	scratch := make([]byte, 0, 24*len(list))
	for _, mt := range list {
		name, ok := s.name(m, mt)
		if !ok || skipped(name) {
			continue
		}
		start := len(scratch)
		scratch, ok = s.value(scratch, mt, name)
		if !ok {
			continue
		}
		any = true
		ts := s.ts(mt)
		g := find(&groups, ts, mt.GetIsHistorical())
		g.metrics = append(g.metrics, held{name, scratch[start:len(scratch):len(scratch)]})
	}
	if !any {
		return false
	}
	m.readings = true
	if len(groups) > maxReadings {
		s.res.problem(s.dev, ReasonBacklogTooLong, fmt.Sprintf("%s holds metrics of %d timestamps, limit %d: split it", s.t.Type, len(groups), maxReadings))
		return true
	}
	c := chunker{s: s, one: make([]byte, 0, 32*len(m.vals)+len(scratch)+16)}
	for i := range groups {
		g := &groups[i]
		if !g.historical {
			m.set(g.metrics)
			g.metrics = m.vals
		}
		if len(g.metrics) == 0 {
			continue
		}
		if !c.add(g, m.units) {
			break
		}
	}
	c.flush()
	return true
}

// Limits of the readings one message makes: as many as a JSON backlog may
// hold, in pieces the ingest decoder takes (a reading repeats every last
// known value, so the output can be far larger than the message).
const (
	maxReadings   = 1000
	maxPieceBytes = 60 << 10
	maxOutBytes   = 4 << 20
)

// chunker cuts a message's readings into JSON pieces of at most
// maxPieceBytes, each one Data.
type chunker struct {
	s     *session
	one   []byte // the reading being written
	piece []byte
	n     int // readings in piece
	total int
}

func (c *chunker) add(g *group, units map[string]string) bool {
	c.one = g.appendJSON(c.one[:0], units)
	if c.total += len(c.one); c.total > maxOutBytes {
		c.s.res.problem(c.s.dev, ReasonTooBig, fmt.Sprintf("%s makes readings of more than %d bytes; the rest is dropped", c.s.t.Type, maxOutBytes))
		return false
	}
	if c.n > 0 && len(c.piece)+len(c.one)+2 > maxPieceBytes {
		c.flush()
	}
	if c.n == 0 {
		c.piece = append(make([]byte, 0, min(maxPieceBytes, 2*len(c.one)+2)), '[')
	} else {
		c.piece = append(c.piece, ',')
	}
	c.piece = append(c.piece, c.one...)
	c.n++
	return true
}

func (c *chunker) flush() {
	if c.n == 0 {
		return
	}
	out := append(c.piece, ']')
	if c.n == 1 {
		out = out[1 : len(out)-1] // one reading: an object, taken as live
	}
	c.s.res.Data = append(c.s.res.Data, Data{Device: c.s.dev, JSON: out, Birth: c.s.t.Type == NBIRTH || c.s.t.Type == DBIRTH})
	c.piece, c.n = nil, 0
}

// name resolves a metric's name, by its alias when it has none. A metric
// whose alias no BIRTH declared is a problem.
func (s *session) name(m *metrics, mt *sproto.Payload_Metric) (string, bool) {
	if mt.Name != nil {
		return mt.GetName(), true
	}
	if mt.Alias == nil {
		s.res.problem(s.dev, ReasonUnknownAlias, fmt.Sprintf("%s metric has neither name nor alias", s.t.Type))
		return "", false
	}
	if name, ok := m.aliases[mt.GetAlias()]; ok {
		return name, true
	}
	s.res.problem(s.dev, ReasonUnknownAlias, fmt.Sprintf("%s metric alias %d was declared by no BIRTH of this session; a rebirth is requested", s.t.Type, mt.GetAlias()))
	s.rebirth("unknown alias")
	return "", false
}

// ts is a metric's time in Unix milliseconds: its own, else the payload's,
// else the receive time.
func (s *session) ts(mt *sproto.Payload_Metric) uint64 {
	switch {
	case mt.Timestamp != nil:
		return mt.GetTimestamp()
	case s.p.Timestamp != nil:
		return s.p.GetTimestamp()
	}
	return uint64(s.now.UnixMilli())
}

// value appends a scalar metric's value as JSON to b. Null, data sets,
// templates, bytes and arrays carry no reading value and are left out.
func (s *session) value(b []byte, mt *sproto.Payload_Metric, name string) ([]byte, bool) {
	if mt.GetIsNull() {
		return b, false
	}
	typ := sproto.DataType(mt.GetDatatype())
	switch v := mt.GetValue().(type) {
	case *sproto.Payload_Metric_IntValue:
		switch typ {
		case sproto.DataType_Int8:
			return strconv.AppendInt(b, int64(int8(v.IntValue)), 10), true
		case sproto.DataType_Int16:
			return strconv.AppendInt(b, int64(int16(v.IntValue)), 10), true
		case sproto.DataType_Int32:
			return strconv.AppendInt(b, int64(int32(v.IntValue)), 10), true
		}
		return strconv.AppendUint(b, uint64(v.IntValue), 10), true
	case *sproto.Payload_Metric_LongValue:
		if typ == sproto.DataType_Int64 {
			return strconv.AppendInt(b, int64(v.LongValue), 10), true
		}
		return strconv.AppendUint(b, v.LongValue, 10), true
	case *sproto.Payload_Metric_FloatValue:
		return s.float(b, float64(v.FloatValue), 32, name)
	case *sproto.Payload_Metric_DoubleValue:
		return s.float(b, v.DoubleValue, 64, name)
	case *sproto.Payload_Metric_BooleanValue:
		return strconv.AppendBool(b, v.BooleanValue), true
	case *sproto.Payload_Metric_StringValue:
		b, _ = jsontext.AppendQuote(b, v.StringValue) // invalid UTF-8 becomes U+FFFD
		return b, true
	}
	return b, false
}

func (s *session) float(b []byte, f float64, bits int, name string) ([]byte, bool) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		s.res.problem(s.dev, ReasonNonFinite, fmt.Sprintf("metric %q is %v, not a finite number", clip(name), f))
		return b, false
	}
	return strconv.AppendFloat(b, f, 'g', -1, bits), true
}

// set takes new values over the last known ones.
func (m *metrics) set(vs []held) {
	for _, v := range vs {
		if i, ok := m.byName[v.name]; ok {
			m.vals[i].json = append(m.vals[i].json[:0], v.json...)
			continue
		}
		if len(m.vals) >= maxMetrics {
			continue
		}
		m.byName[v.name] = len(m.vals)
		m.vals = append(m.vals, held{v.name, append(make([]byte, 0, max(len(v.json), 8)), v.json...)})
	}
}

// group is the metrics of one timestamp.
type group struct {
	ts         uint64
	historical bool
	metrics    []held
}

func find(gs *[]group, ts uint64, historical bool) *group {
	if n := len(*gs); n > 0 { // metrics of one time usually come together
		if g := &(*gs)[n-1]; g.ts == ts && g.historical == historical {
			return g
		}
	}
	for i := range *gs {
		if g := &(*gs)[i]; g.ts == ts && g.historical == historical {
			return g
		}
	}
	*gs = append(*gs, group{ts: ts, historical: historical})
	return &(*gs)[len(*gs)-1]
}

// appendJSON writes the group as one reading: {"ts":MS,"NAME":VALUE,...},
// a name "NAME [UNIT]" when the BIRTH gave the metric's unit.
func (g *group) appendJSON(b []byte, units map[string]string) []byte {
	b = append(b, `{"ts":`...)
	b = strconv.AppendUint(b, g.ts, 10)
	for _, v := range g.metrics {
		b = append(b, ',')
		name := v.name
		if u, ok := units[name]; ok {
			name = mapping.WithUnit(name, u)
		}
		b, _ = jsontext.AppendQuote(b, name) // invalid UTF-8 (proto2 does not check it) becomes U+FFFD
		b = append(b, ':')
		b = append(b, v.json...)
	}
	return append(b, '}')
}
