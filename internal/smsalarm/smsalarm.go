// Package smsalarm reads the SMS that alarm modules of oxygen plants send
// ("PSA1 ALARM LOW PURITY 85%", "POWER FAIL", "ALARM CLEAR") into readings
// (issue 19). Patterns are regular expressions per device model, from a
// YAML file (ingest.sms.patterns_file) and a built-in set for the common
// wordings. Named groups carry values: (?P<purity_pct>...) and the other
// numeric fields of CONTRACT §3; each pattern may also set state, power and
// alarm codes.
package smsalarm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// DefaultModel holds the patterns tried for every model after its own.
const DefaultModel = "default"

// MaxTextBytes bounds the SMS text read (a concatenated SMS is a few
// hundred bytes; anything longer is cut before matching).
const MaxTextBytes = 1600

// File is a patterns file: patterns per model name (the registry's model
// field, compared without regard to case), "default" for every model.
// Builtin false leaves out the built-in patterns.
type File struct {
	Builtin *bool                `yaml:"builtin"`
	Models  map[string][]Pattern `yaml:"models"`
}

// Pattern turns the SMS it matches into parts of a reading.
type Pattern struct {
	Name   string   `yaml:"name"`   // for messages and last_error
	Match  string   `yaml:"match"`  // Go regular expression; (?i) for any case
	State  string   `yaml:"state"`  // running, standby, fault, off, maintenance
	Power  string   `yaml:"power"`  // mains, generator, battery, solar, none
	Alarms []string `yaml:"alarms"` // alarm codes, e.g. low_purity, compressor_fault
	Clear  bool     `yaml:"clear"`  // the module says every alarm is over: alarms [] (and state running unless set)

	re *regexp.Regexp
}

// numeric are the named groups that carry a number, with their range
// (CONTRACT §3); the decoder checks the ranges again.
var numeric = map[string][2]float64{
	plant.FieldPurity: {0, 100}, plant.FieldPressure: {0, 300}, plant.FieldFlow: {0, math.Inf(1)},
	plant.FieldRuntime: {0, math.Inf(1)}, plant.FieldTemp: {-100, 200}, plant.FieldDewPoint: {-100, 100},
	plant.FieldSupplyV: {0, 1000}, plant.FieldTankPressure: {0, 300}, plant.FieldBattery: {0, 100},
}

// Set is a compiled set of patterns.
type Set struct {
	models  map[string][]Pattern // lower-case model → its patterns
	generic []Pattern            // "default" then the built-ins
}

// LoadFile reads and compiles a patterns file, naming the file, model and
// pattern of the first thing wrong. An empty path gives the built-ins.
func LoadFile(path string) (*Set, error) {
	if path == "" {
		return Compile(File{})
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f File
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) { // io.EOF: an empty file
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	s, err := Compile(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// Compile checks and compiles f, adding the built-in patterns unless
// f.Builtin is false.
func Compile(f File) (*Set, error) {
	s := &Set{models: map[string][]Pattern{}}
	names := make([]string, 0, len(f.Models))
	for m := range f.Models {
		names = append(names, m)
	}
	slices.Sort(names)
	for _, model := range names {
		ps, err := compileAll(model, f.Models[model])
		if err != nil {
			return nil, err
		}
		if strings.EqualFold(model, DefaultModel) {
			s.generic = append(s.generic, ps...)
			continue
		}
		s.models[strings.ToLower(model)] = append(s.models[strings.ToLower(model)], ps...)
	}
	if f.Builtin == nil || *f.Builtin {
		ps, err := compileAll("built-in", Builtin())
		if err != nil {
			return nil, err
		}
		s.generic = append(s.generic, ps...)
	}
	return s, nil
}

func compileAll(model string, ps []Pattern) ([]Pattern, error) {
	out := make([]Pattern, len(ps))
	for i, p := range ps {
		if err := p.compile(); err != nil {
			name := p.Name
			if name == "" {
				name = "#" + strconv.Itoa(i+1)
			}
			return nil, fmt.Errorf("model %s, pattern %s: %w", model, name, err)
		}
		out[i] = p
	}
	return out, nil
}

func (p *Pattern) compile() error {
	if p.Match == "" {
		return errors.New("match is empty: give a regular expression, e.g. '(?i)LOW PURITY (?P<purity_pct>[0-9.]+)%'")
	}
	re, err := regexp.Compile(p.Match)
	if err != nil {
		return fmt.Errorf("match %q: %w", p.Match, err)
	}
	for _, g := range re.SubexpNames()[1:] {
		if _, ok := numeric[g]; g != "" && !ok {
			return fmt.Errorf("match %q: group %q is not one of %s", p.Match, g, strings.Join(numericNames(), ", "))
		}
	}
	if p.State != "" && !plant.ValidState(plant.State(p.State)) {
		return fmt.Errorf("state %q is not one of running, standby, fault, off, maintenance", p.State)
	}
	if p.Power != "" && !plant.ValidPower(plant.Power(p.Power)) {
		return fmt.Errorf("power %q is not one of mains, generator, battery, solar, none", p.Power)
	}
	for _, a := range p.Alarms {
		if a == "" || len(a) > 64 {
			return fmt.Errorf("alarm code %q must be 1 to 64 characters", a)
		}
	}
	if p.Clear && len(p.Alarms) > 0 {
		return errors.New("clear and alarms together: a clearing pattern sets no alarm")
	}
	if !p.Clear && p.State == "" && p.Power == "" && len(p.Alarms) == 0 && re.NumSubexp() == 0 {
		return errors.New("the pattern sets nothing: give state, power, alarms, clear or a named group")
	}
	p.re = re
	return nil
}

func numericNames() []string {
	out := make([]string, 0, len(numeric))
	for k := range numeric {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Event is what an SMS said, as parts of a reading.
type Event struct {
	Values  map[string]float64 // numeric fields by CONTRACT §3 key
	State   plant.State
	Power   plant.Power
	Alarms  []string // nil: none said; with Clear, empty
	Clear   bool
	Matched []string // names of the patterns that matched
}

// ErrNoMatch is returned for text that no pattern reads.
var ErrNoMatch = errors.New("no SMS pattern matches")

// Read applies model's patterns, then the default and built-in ones, to
// text. Every pattern that matches adds to the event (the first to set
// state or power wins; alarm codes add up).
func (s *Set) Read(model, text string) (Event, error) {
	if len(text) > MaxTextBytes {
		text = strings.ToValidUTF8(text[:MaxTextBytes], "")
	}
	ev := Event{Values: map[string]float64{}}
	for _, list := range [][]Pattern{s.models[strings.ToLower(model)], s.generic} {
		for i := range list {
			if err := list[i].apply(text, &ev); err != nil {
				return Event{}, err
			}
		}
		if len(ev.Matched) > 0 {
			break // a model's own patterns replace the generic ones
		}
	}
	if len(ev.Matched) == 0 {
		return Event{}, ErrNoMatch
	}
	if ev.Clear && len(ev.Alarms) > 0 {
		ev.Clear = false // an SMS that clears one alarm and raises another raises
	}
	if ev.Clear {
		ev.Alarms = []string{}
		if ev.State == "" {
			ev.State = plant.StateRunning
		}
	}
	return ev, nil
}

func (p *Pattern) apply(text string, ev *Event) error {
	m := p.re.FindStringSubmatch(text)
	if m == nil {
		return nil
	}
	for i, g := range p.re.SubexpNames() {
		if i == 0 || g == "" || m[i] == "" {
			continue
		}
		v, err := strconv.ParseFloat(strings.Replace(m[i], ",", ".", 1), 64)
		r := numeric[g]
		if err != nil || math.IsNaN(v) || v < r[0] || v > r[1] {
			return fmt.Errorf("pattern %s: %s %q is not a number in %g to %g", p.Name, g, m[i], r[0], r[1])
		}
		if _, set := ev.Values[g]; !set {
			ev.Values[g] = v
		}
	}
	if ev.State == "" {
		ev.State = plant.State(p.State)
	}
	if ev.Power == "" {
		ev.Power = plant.Power(p.Power)
	}
	for _, a := range p.Alarms {
		if !slices.Contains(ev.Alarms, a) {
			ev.Alarms = append(ev.Alarms, a)
		}
	}
	ev.Clear = ev.Clear || p.Clear
	ev.Matched = append(ev.Matched, p.Name)
	return nil
}

// Measured reports whether the event carries one of the four core values
// a CONTRACT §3 reading needs (purity, pressure, flow, runtime).
func (e Event) Measured() bool {
	for _, k := range []string{plant.FieldPurity, plant.FieldPressure, plant.FieldFlow, plant.FieldRuntime} {
		if _, ok := e.Values[k]; ok {
			return true
		}
	}
	return false
}

// JSON is the event as one live CONTRACT §3 reading without ts (it takes
// the time received), for the ingester's decoder.
func (e Event) JSON() []byte {
	m := make(map[string]any, len(e.Values)+3)
	for k, v := range e.Values {
		m[k] = v
	}
	if e.State != "" {
		m["state"] = e.State
	}
	if e.Power != "" {
		m["power"] = e.Power
	}
	if e.Alarms != nil {
		m["alarms"] = e.Alarms
	}
	b, _ := json.Marshal(m) // finite numbers and strings only
	return b
}

// Reading is the event as a reading of device dev, for events that carry
// no core value (the decoder would refuse them as no_values).
func (e Event) Reading(dev plant.DeviceID) plant.Reading {
	r := plant.Reading{Device: dev, State: e.State, Power: e.Power, Alarms: e.Alarms}
	for k, v := range e.Values {
		v := v
		switch k {
		case plant.FieldTemp:
			r.Temp = &v
		case plant.FieldDewPoint:
			r.DewPoint = &v
		case plant.FieldSupplyV:
			r.SupplyV = &v
		case plant.FieldTankPressure:
			r.TankPressure = &v
		case plant.FieldBattery:
			r.Battery = &v
		}
	}
	return r
}
