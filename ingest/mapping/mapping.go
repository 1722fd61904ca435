// Package mapping reads the ingest mapping file: per device model, how a
// vendor's payload keys, units, state, power and alarm words become
// OxyWatch's (CONTRACT §3), and which Sparkplug B devices are which registry
// devices. The ingest decoder applies it; `oxywatch check-config` validates it.
package mapping

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// File is the mapping file as written.
type File struct {
	Models    map[string]ModelFile `yaml:"models"`
	Sparkplug SparkplugFile        `yaml:"sparkplug"`
}

// ModelFile maps one device model's payload.
type ModelFile struct {
	// Keys maps a vendor key (or Sparkplug metric name) to an OxyWatch key:
	// a CONTRACT §3 key name, or {field: KEY, unit: UNIT}, or {alarm: CODE}
	// for a true/false (or 0/1) alarm flag.
	Keys   map[string]Target `yaml:"keys"`
	States map[string]string `yaml:"states"` // vendor word → running, standby, fault, off, maintenance
	Power  map[string]string `yaml:"power"`  // vendor word → mains, generator, battery, solar, none
	Alarms map[string]string `yaml:"alarms"` // vendor alarm code → OxyWatch alarm code
}

// SparkplugFile ties Sparkplug B devices to registry devices.
type SparkplugFile struct {
	// Devices maps "GROUP/EDGE/DEVICE" (or "GROUP/EDGE" for node-level
	// metrics) to a registry device id. Without an entry the id is DEVICE
	// (EDGE for node-level metrics).
	Devices map[string]string `yaml:"devices"`
}

// Target is where a vendor key goes. In YAML it is a key name, or a map
// with field and unit, or a map with alarm.
type Target struct {
	Key   string  // CONTRACT §3 key (ts, seq, state, power, alarms, purity_pct, flow_m3h, …)
	Scale float64 // multiplies the value into Key's unit; 1 when no unit was given
	Alarm string  // a flag: when true or non-zero the reading carries this alarm code
	Unit  string  // the unit the mapping file gave, if any (it wins over a unit the device names)
}

// UnmarshalYAML accepts `purity_pct`, `{field: flow_lpm, unit: m3/h}` and
// `{alarm: low_purity}`.
func (t *Target) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*t = Target{Key: n.Value, Scale: 1}
		return nil
	}
	var m struct {
		Field string `yaml:"field"`
		Unit  string `yaml:"unit"`
		Alarm string `yaml:"alarm"`
	}
	dec := yaml.Node(*n)
	if err := decodeStrict(&dec, &m); err != nil {
		return err
	}
	*t = Target{Key: m.Field, Alarm: m.Alarm, Scale: 1}
	if m.Unit != "" {
		t.Key = m.Field + "\x00" + m.Unit // resolved by check, which names the key
	}
	return nil
}

func decodeStrict(n *yaml.Node, v any) error {
	b, err := yaml.Marshal(n)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	return dec.Decode(v)
}

// Model is one model's mapping, checked and ready for the decoder.
type Model struct {
	Name   string
	keys   map[string]Target
	states map[string]plant.State // lower-case vendor word
	power  map[string]plant.Power
	alarms map[string]string
	// alarmPrefix, for Sparkplug: a metric named PREFIX + "Low Purity" is
	// the flag of alarm low_purity.
	alarmPrefix []string
}

// Key returns the target of a vendor key, if the model maps it. A
// Sparkplug metric whose BIRTH gave its unit comes as "NAME [UNIT]" (see
// WithUnit): its value is converted from that unit unless the mapping file
// gave one; a unit OxyWatch cannot convert leaves the key unmapped (ignored
// and counted) rather than stored wrong.
func (m *Model) Key(name []byte) (Target, bool) {
	if m == nil {
		return Target{}, false
	}
	if t, ok := m.keys[string(name)]; ok {
		return t, true
	}
	if base, unit, ok := splitUnit(name); ok {
		return m.withUnit(base, unit)
	}
	for _, p := range m.alarmPrefix {
		if rest, ok := bytes.CutPrefix(name, []byte(p)); ok && len(rest) > 0 {
			code, renamed := m.alarms[string(rest)] // the model's alarms rename flags too
			if !renamed {
				code = AlarmCode(string(rest))
			}
			return Target{Alarm: code, Scale: 1}, true
		}
	}
	return Target{}, false
}

// State returns the state a vendor word means, if the model names it.
func (m *Model) State(word []byte) (plant.State, bool) {
	if m == nil || len(m.states) == 0 {
		return "", false
	}
	if s, ok := m.states[string(word)]; ok { // no allocation
		return s, true
	}
	if !hasUpper(word) {
		return "", false
	}
	s, ok := m.states[strings.ToLower(string(word))]
	return s, ok
}

// Power returns the power source a vendor word means, if the model names it.
func (m *Model) Power(word []byte) (plant.Power, bool) {
	if m == nil || len(m.power) == 0 {
		return "", false
	}
	if p, ok := m.power[string(word)]; ok {
		return p, true
	}
	if !hasUpper(word) {
		return "", false
	}
	p, ok := m.power[strings.ToLower(string(word))]
	return p, ok
}

// Alarm returns OxyWatch's alarm code for a vendor code (the code itself
// when the model does not rename it).
func (m *Model) Alarm(code string) string {
	if m != nil {
		if c, ok := m.alarms[code]; ok {
			return c
		}
	}
	return code
}

func hasUpper(b []byte) bool {
	for _, c := range b {
		if c >= 'A' && c <= 'Z' || c >= 0x80 {
			return true
		}
	}
	return false
}

// AlarmCode turns an alarm's name into a code: "Low Purity" is low_purity.
func AlarmCode(name string) string {
	var b strings.Builder
	under := false
	for _, r := range strings.TrimSpace(name) {
		switch {
		case r >= 'A' && r <= 'Z':
			r += 'a' - 'A'
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
		default:
			under = b.Len() > 0
			continue
		}
		if under {
			b.WriteByte('_')
			under = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Set is the whole mapping file, checked.
type Set struct {
	models    map[string]*Model
	sparkplug map[string]*Model // each model with the Sparkplug defaults beneath
	spDefault *Model
	devices   map[string]plant.DeviceID
}

// Empty is the mapping used without a file: no model is mapped, Sparkplug
// metrics use the default names.
func Empty() *Set {
	s, _ := compile(File{}, "", nil)
	return s
}

// Load reads and checks a mapping file. Errors name the file, the model
// and the key.
func Load(path string, known KnownKey) (*Set, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read mapping file: %w", err)
	}
	var f File
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) { // an empty file maps nothing
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return compile(f, path, known)
}

// For returns the mapping of a device model for a JSON payload: nil when
// the file does not name the model (the payload is then read as CONTRACT §3).
func (s *Set) For(model string) *Model {
	if s == nil {
		return nil
	}
	return s.models[model]
}

// ForSparkplug returns the mapping of a device model for Sparkplug metrics:
// the model's keys over the default metric names.
func (s *Set) ForSparkplug(model string) *Model {
	if s == nil {
		return Empty().spDefault
	}
	if m, ok := s.sparkplug[model]; ok {
		return m
	}
	return s.spDefault
}

// SparkplugDevice returns the registry device of a Sparkplug device
// (device empty: the edge node's own metrics).
func (s *Set) SparkplugDevice(group, edge, device string) plant.DeviceID {
	k := group + "/" + edge
	def := edge
	if device != "" {
		k += "/" + device
		def = device
	}
	if s != nil {
		if id, ok := s.devices[k]; ok {
			return id
		}
	}
	return plant.DeviceID(def)
}

// Models lists the mapped model names, sorted.
func (s *Set) Models() []string {
	names := make([]string, 0, len(s.models))
	for n := range s.models {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
