package ingest

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/oxywatch/oxywatch/ingest/mapping"
	"github.com/oxywatch/oxywatch/internal/plant"
)

// decoder reads one telemetry payload. It is pooled: its tokenizer and
// scratch buffers are reused, so a payload costs no allocation beyond the
// readings it yields.
type decoder struct {
	js  jsontext.Decoder
	src bytes.Buffer // the payload; jsontext reads a bytes.Buffer in place
	dev plant.DeviceID
	now time.Time
	m   *mapping.Model // nil: the payload is read as CONTRACT §3 says

	scale float64 // factor of the key just read into its §3 unit (mapped keys)
	alarm string  // alarm code of the alarm flag just read (mapped keys)

	badWord []byte   // the first state or power word of the reading not understood
	flags   []string // alarm codes raised by the reading's alarm flags (mapped keys)

	scratch []byte   // unquoted names and strings that held escapes
	cells   cells    // values of the readings decoded so far
	codes   []string // alarm codes of the readings decoded so far; the readings' Alarms share it

	unknown    []byte // names of the unknown keys of the current object
	unknownEnd []int
	unknownSet map[string]struct{} // when an object has very many unknown keys
}

var (
	decoders = sync.Pool{New: func() any { return new(decoder) }}
	// Duplicate names are found per reading (decoder.key) instead: the
	// tokenizer's own check is an error it cannot resume after, and one
	// bad reading must not reject the rest of a backlog.
	jsonOptions = jsontext.AllowDuplicateNames(true)
	noInput     bytes.Buffer
)

func getDecoder(payload []byte, dev plant.DeviceID, now time.Time, m *mapping.Model) *decoder {
	x := decoders.Get().(*decoder)
	x.src = *bytes.NewBuffer(payload)
	x.js.Reset(&x.src, jsonOptions)
	x.dev, x.now, x.m, x.scale = dev, now, m, 1
	x.cells, x.codes = cells{}, nil
	return x
}

func putDecoder(x *decoder) {
	x.js.Reset(&noInput) // let go of the payload
	x.src = bytes.Buffer{}
	x.cells, x.codes, x.m, x.flags = cells{}, nil, nil, x.flags[:0]
	if cap(x.scratch) > 4<<10 || cap(x.unknown) > 4<<10 {
		return // an odd payload: do not keep its buffers
	}
	decoders.Put(x)
}

// payload decodes the top-level value into d. It returns an error only for
// a payload that must be rejected as a whole.
func (x *decoder) payload(d *Decoded) error {
	switch x.js.PeekKind() {
	case '{':
		d.Readings = make([]plant.Reading, 0, 1)
		if err := x.reading(d, 0, true); err != nil {
			return err
		}
	case '[':
		d.Backlog = true
		if err := x.backlog(d); err != nil {
			return err
		}
	case 0:
		_, err := x.js.ReadToken()
		return err
	default:
		return errNotContainer
	}
	if x.js.PeekKind() != 0 {
		return fmt.Errorf("data after the top-level value at offset %d", x.js.InputOffset())
	}
	if _, err := x.js.ReadToken(); err != io.EOF {
		return err
	}
	return nil
}

// backlog decodes an array of readings; an element that is not an object
// is rejected alone.
func (x *decoder) backlog(d *Decoded) error {
	if _, err := x.js.ReadToken(); err != nil {
		return err
	}
	for i := 0; x.js.PeekKind() != ']'; i++ {
		if i == MaxBacklog {
			return x.countRest(i)
		}
		if x.js.PeekKind() == '{' {
			if err := x.reading(d, i, false); err != nil {
				return err
			}
			continue
		}
		if _, err := x.js.ReadValue(); err != nil {
			return err
		}
		d.reject(i, ReasonBadType, "backlog element is not a JSON object")
	}
	_, err := x.js.ReadToken()
	return err
}

// countRest skips the rest of a backlog that is too long, so the rejection
// can say how long it was (and invalid JSON is still reported as such).
func (x *decoder) countRest(n int) error {
	for ; x.js.PeekKind() != ']'; n++ {
		if _, err := x.js.ReadValue(); err != nil {
			return err
		}
	}
	if _, err := x.js.ReadToken(); err != nil {
		return err
	}
	return backlogTooLong(n)
}

// reading decodes the object at the decoder's position into a reading or
// a rejection at index i. It returns only errors of JSON syntax.
func (x *decoder) reading(d *Decoded, i int, live bool) error {
	if _, err := x.js.ReadToken(); err != nil {
		return err
	}
	x.resetUnknown()
	if x.m != nil {
		x.flags = x.flags[:0]
	}
	var p parsed
	p.r.Device = x.dev
	for x.js.PeekKind() != '}' {
		name, err := x.js.ReadValue()
		if err != nil {
			return err
		}
		k, dup := x.key(name, &p)
		if k == keyUnknown {
			d.UnknownKeys++
		}
		if dup && p.rej == nil {
			p.rej = &Rejection{Reason: ReasonDuplicateKey, Detail: fmt.Sprintf("key %s appears more than once", clip(name))}
		}
		if p.rej != nil || k == keyUnknown {
			if _, err := x.js.ReadValue(); err != nil {
				return err
			}
			continue
		}
		if err := x.value(k, &p); err != nil {
			return err
		}
	}
	if _, err := x.js.ReadToken(); err != nil {
		return err
	}
	if rej := x.finish(&p, live); rej != nil {
		rej.Index = i
		d.Rejected = append(d.Rejected, *rej)
		return nil
	}
	if p.unknown != 0 {
		d.unknownWords(&p, x.badWord)
	}
	d.Readings = append(d.Readings, p.r)
	return nil
}

// key names the member whose (quoted) name was just read, and reports
// whether the reading already had it.
func (x *decoder) key(quoted []byte, p *parsed) (key, bool) {
	name := x.unquote(quoted)
	if x.m != nil {
		if t, ok := x.m.Key(name); ok {
			return x.mappedKey(t, p)
		}
		x.scale = 1
	}
	k := lookupKey(name)
	if k == keyUnknown {
		return k, x.dupUnknown(name)
	}
	bit := uint32(1) << k
	dup := p.seen&bit != 0
	p.seen |= bit
	return k, dup
}

// unquote returns the text of a JSON string the tokenizer validated. It
// aliases the input, or the decoder's scratch buffer when the string holds
// escapes; either stays valid until the next read.
func (x *decoder) unquote(quoted []byte) []byte {
	if bytes.IndexByte(quoted, '\\') < 0 {
		return quoted[1 : len(quoted)-1]
	}
	x.scratch, _ = jsontext.AppendUnquote(x.scratch[:0], quoted) // validated already
	return x.scratch
}

// dupUnknown remembers an unknown key's name and reports whether the
// current object had it already. Few objects have more than a handful of
// unknown keys; a map takes over past that, so no payload costs n².
func (x *decoder) dupUnknown(name []byte) bool {
	const linear = 16
	if x.unknownSet != nil {
		if _, ok := x.unknownSet[string(name)]; ok {
			return true
		}
		x.unknownSet[string(name)] = struct{}{}
		return false
	}
	start := 0
	for _, end := range x.unknownEnd {
		if bytes.Equal(x.unknown[start:end], name) {
			return true
		}
		start = end
	}
	x.unknown = append(x.unknown, name...)
	x.unknownEnd = append(x.unknownEnd, len(x.unknown))
	if len(x.unknownEnd) > linear {
		x.unknownSet = make(map[string]struct{}, 2*linear)
		start = 0
		for _, end := range x.unknownEnd {
			x.unknownSet[string(x.unknown[start:end])] = struct{}{}
			start = end
		}
	}
	return false
}

func (x *decoder) resetUnknown() {
	x.unknown, x.unknownEnd, x.unknownSet = x.unknown[:0], x.unknownEnd[:0], nil
}

// value decodes the value of a known key into p.
func (x *decoder) value(k key, p *parsed) error {
	switch k {
	case keyAlarms:
		return x.alarms(p)
	case keyAlarmFlag:
		return x.alarmFlag(p)
	}
	raw, err := x.js.ReadValue()
	if err != nil {
		return err
	}
	switch k {
	case keyTS:
		p.r.Time, p.rej = x.ts(raw)
		p.hasTS = true
	case keySeq:
		p.seq, p.rej = decodeSeq(raw)
		p.hasSeq = p.rej == nil
	case keyState:
		p.r.State, p.rej = x.state(raw, p)
	case keyPower:
		p.r.Power, p.rej = x.power(raw, p)
	default:
		p.number(k, raw, x.scale)
	}
	return nil
}

// parsed is one reading while its object is read.
type parsed struct {
	r      plant.Reading
	rej    *Rejection // the first problem, in document order
	seen   uint32     // bit k: key k was present
	hasTS  bool
	hasSeq bool
	seq    int64
	vals   [numKeys]float64    // numeric values in their canonical unit, by key
	has    uint32              // bit k: vals[k] holds a value
	alias  [numKeys]*Rejection // a rejected alias counts only if its canonical key is absent

	unknown unknownWord // state or power words that were not understood (x.badWord has the first)
}

// number parses a numeric key's value, converts it to the canonical unit
// and checks its range.
func (p *parsed) number(k key, raw []byte, scale float64) {
	spec := &numberKeys[k]
	f, rej := parseNumber(spec.name, raw)
	if rej == nil {
		if scale != 1 {
			f *= scale
		}
		f *= spec.scale
		if f < spec.min || f > spec.max {
			rej = &Rejection{Reason: ReasonOutOfRange, Detail: fmt.Sprintf("%s %s is outside %s", spec.name, clip(raw), rangeText(spec))}
		}
	}
	switch {
	case rej == nil:
		p.vals[k] = f
		p.has |= 1 << k
	case spec.canon != k:
		p.alias[k] = rej
	default:
		p.rej = rej
	}
}

// finish checks the reading as a whole and sets its values.
func (x *decoder) finish(p *parsed, live bool) *Rejection {
	if p.rej != nil {
		return p.rej
	}
	for k := keyFirstNumber; k < numKeys; k++ {
		if canon := numberKeys[k].canon; p.alias[k] != nil && p.seen&(1<<canon) == 0 {
			return p.alias[k]
		}
	}
	if p.r.Time.IsZero() {
		if p.hasTS || !live {
			return &Rejection{Reason: ReasonBadTS, Detail: "ts is required in a backlog reading"}
		}
		p.r.Time = x.now
	}
	c := x.cells.next()
	for k := keyFirstNumber; k < numKeys; k++ {
		spec := &numberKeys[k]
		if p.has&(1<<k) == 0 || (spec.canon != k && p.seen&(1<<spec.canon) != 0) {
			continue // absent, or an alias of a key that is present
		}
		ptr := spec.field.of(&p.r.Values)
		if *ptr == nil { // of two aliases, the first in numberKeys wins
			c.vals[spec.field] = p.vals[k]
			*ptr = &c.vals[spec.field]
		}
	}
	if p.hasSeq {
		c.seq = p.seq
		p.r.Seq = &c.seq
	}
	if len(x.flags) > 0 {
		if rej := x.addFlags(p); rej != nil {
			return rej
		}
	}
	if p.r.Purity == nil && p.r.Pressure == nil && p.r.Flow == nil && p.r.Runtime == nil {
		return &Rejection{Reason: ReasonNoValues, Detail: "a reading needs at least one of purity_pct, pressure_bar, flow_lpm, runtime_h"}
	}
	return nil
}

// cells hands out the storage behind readings' value pointers, a few
// readings to an allocation: one cell for the first reading (most payloads
// hold one), then blocks of 8, 16, 32 and 64 for a backlog.
type cells struct {
	free   []cell
	blocks int
}

type cell struct {
	vals [numFields]float64
	seq  int64
}

var cellBlocks = [...]int{1, 8, 16, 32, 64}

func (c *cells) next() *cell {
	if len(c.free) == 0 {
		c.free = make([]cell, cellBlocks[min(c.blocks, len(cellBlocks)-1)])
		c.blocks++
	}
	n := &c.free[0]
	c.free = c.free[1:]
	return n
}

func (x *decoder) state(raw []byte, p *parsed) (plant.State, *Rejection) {
	s, rej := x.word("state", raw)
	if rej != nil {
		return "", rej
	}
	if x.m != nil {
		if st, ok := x.m.State(s); ok {
			return st, nil
		}
	}
	switch string(s) {
	case "running":
		return plant.StateRunning, nil
	case "standby":
		return plant.StateStandby, nil
	case "fault":
		return plant.StateFault, nil
	case "off":
		return plant.StateOff, nil
	case "maintenance":
		return plant.StateMaintenance, nil
	case "unknown":
		return plant.StateUnknown, nil
	}
	x.unknownWord(p, unknownState, s)
	return plant.StateUnknown, nil
}

func (x *decoder) power(raw []byte, p *parsed) (plant.Power, *Rejection) {
	s, rej := x.word("power", raw)
	if rej != nil {
		return "", rej
	}
	if x.m != nil {
		if pw, ok := x.m.Power(s); ok {
			return pw, nil
		}
	}
	switch string(s) {
	case "mains":
		return plant.PowerMains, nil
	case "generator":
		return plant.PowerGenerator, nil
	case "battery":
		return plant.PowerBattery, nil
	case "solar":
		return plant.PowerSolar, nil
	case "none":
		return plant.PowerNone, nil
	case "unknown":
		return plant.PowerUnknown, nil
	}
	x.unknownWord(p, unknownPower, s)
	return plant.PowerUnknown, nil
}

// str returns the text of a string value, or rejects any other value.
func (x *decoder) str(name string, raw []byte) ([]byte, *Rejection) {
	if len(raw) == 0 || raw[0] != '"' {
		return nil, &Rejection{Reason: ReasonBadType, Detail: fmt.Sprintf("%s must be a string, got %s", name, clip(raw))}
	}
	return x.unquote(raw), nil
}

// alarms decodes an array of alarm codes; null means none.
func (x *decoder) alarms(p *parsed) error {
	switch x.js.PeekKind() {
	case '[':
	case 'n':
		_, err := x.js.ReadValue()
		return err
	default:
		raw, err := x.js.ReadValue()
		if err == nil {
			p.rej = badAlarms(raw)
		}
		return err
	}
	if _, err := x.js.ReadToken(); err != nil {
		return err
	}
	start, n := len(x.codes), 0
	for ; x.js.PeekKind() != ']'; n++ {
		raw, err := x.js.ReadValue()
		switch {
		case err != nil:
			return err
		case p.rej != nil:
		case raw[0] != '"':
			p.rej = badAlarms(raw)
		case n < maxAlarmCodes:
			if len(x.codes) == cap(x.codes) {
				x.codes = append(make([]string, 0, max(16, 2*(len(x.codes)-start))), x.codes[start:]...)
				start = 0
			}
			code := alarmCode(x.unquote(raw))
			if x.m != nil {
				code = x.m.Alarm(code)
			}
			x.codes = append(x.codes, code)
		}
	}
	codes := x.codes[start:len(x.codes):len(x.codes)]
	if _, err := x.js.ReadToken(); err != nil || p.rej != nil {
		x.codes = x.codes[:start]
		return err
	}
	p.rej = checkAlarms(codes, n)
	if p.rej != nil {
		x.codes = x.codes[:start]
		return nil
	}
	if len(codes) > 0 {
		p.r.Alarms = codes
	}
	return nil
}

func checkAlarms(codes []string, n int) *Rejection {
	if n > maxAlarmCodes {
		return &Rejection{Reason: ReasonOutOfRange, Detail: fmt.Sprintf("alarms holds %d codes, limit %d", n, maxAlarmCodes)}
	}
	for _, c := range codes {
		if c == "" || len(c) > maxAlarmLen {
			return &Rejection{Reason: ReasonOutOfRange, Detail: fmt.Sprintf("alarm code %q must be 1 to %d bytes", clip([]byte(c)), maxAlarmLen)}
		}
	}
	return nil
}

func badAlarms(raw []byte) *Rejection {
	return &Rejection{Reason: ReasonBadType, Detail: fmt.Sprintf("alarms must be an array of strings, got %s", clip(raw))}
}

// alarmCode returns the code as a string, sharing the common codes' text
// instead of allocating it for every reading.
func alarmCode(b []byte) string {
	switch string(b) {
	case "low_purity":
		return "low_purity"
	case "compressor_fault":
		return "compressor_fault"
	case "dryer_fault":
		return "dryer_fault"
	case "high_temp":
		return "high_temp"
	}
	return string(b)
}

func parseNumber(name string, raw []byte) (float64, *Rejection) {
	if len(raw) == 0 || !(raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9')) {
		return 0, &Rejection{Reason: ReasonBadType, Detail: fmt.Sprintf("%s must be a number, got %s", name, clip(raw))}
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, &Rejection{Reason: ReasonNonFinite, Detail: fmt.Sprintf("%s %s is not a finite number", name, clip(raw))}
	}
	return f, nil
}

func decodeSeq(raw []byte) (int64, *Rejection) {
	n, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		return 0, &Rejection{Reason: ReasonBadType, Detail: fmt.Sprintf("seq must be an integer, got %s", clip(raw))}
	}
	if n < 0 {
		return 0, &Rejection{Reason: ReasonOutOfRange, Detail: fmt.Sprintf("seq %d is negative", n)}
	}
	return n, nil
}

// ts decodes an RFC 3339 string or a number of Unix seconds (milliseconds
// above 1e11), truncated to the millisecond.
func (x *decoder) ts(raw []byte) (time.Time, *Rejection) {
	var t time.Time
	switch {
	case raw[0] == '"':
		s := x.unquote(raw)
		if t.UnmarshalText(s) != nil { // strict RFC 3339 without allocating; time.Parse takes a little more
			var err error
			if t, err = time.Parse(time.RFC3339Nano, string(s)); err != nil {
				return time.Time{}, &Rejection{Reason: ReasonBadTS, Detail: fmt.Sprintf("ts %q is not RFC 3339 (e.g. 2026-11-23T08:00:00Z)", clip(s))}
			}
		}
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
	if t.After(x.now.Add(MaxFutureSkew)) {
		return time.Time{}, &Rejection{Reason: ReasonFutureTS, Detail: fmt.Sprintf("ts %s is %s ahead of the server clock (limit %s): check the device clock", t.Format(time.RFC3339), t.Sub(x.now).Round(time.Second), MaxFutureSkew)}
	}
	if t.Before(oldestTS) {
		return time.Time{}, &Rejection{Reason: ReasonBadTS, Detail: fmt.Sprintf("ts %s is before %s: the device clock is not set", t.Format(time.RFC3339), oldestTS.Format("2006-01-02"))}
	}
	return t, nil
}

func rangeText(spec *numberSpec) string {
	canon := numberKeys[spec.canon].name
	unit := canon[strings.LastIndexByte(canon, '_')+1:]
	switch {
	case spec.max == inf:
		return fmt.Sprintf("%g or more (%s)", spec.min, unit)
	default:
		return fmt.Sprintf("%g to %g (%s)", spec.min, spec.max, unit)
	}
}
