// Package scenario reads firmware-sim scenarios: YAML files of timed faults,
// and the built-in ones embedded in the binary.
package scenario

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/oxywatch/oxywatch/firmware-sim/sim"
)

//go:embed builtin/*.yaml
var builtin embed.FS

// Scenario is a parsed scenario.
type Scenario struct {
	Name        string
	Description string
	// Per device and simulated day; negative: not set (the caller's default).
	RandomFaultsPerDay float64
	DropsPerDay        float64
	Events             []sim.Event
}

// file is the YAML form. A file may also be a bare list of events.
type file struct {
	Description        string      `yaml:"description"`
	RandomFaultsPerDay *float64    `yaml:"random_faults_per_day"`
	GSMDropsPerDay     *float64    `yaml:"gsm_drops_per_day"`
	Events             []eventYAML `yaml:"events"`
}

type eventYAML struct {
	At        string  `yaml:"at"`
	For       string  `yaml:"for"`
	Device    string  `yaml:"device"`
	Kind      string  `yaml:"kind"`
	Facility  string  `yaml:"facility"`
	Region    string  `yaml:"region"`
	Skip      int     `yaml:"skip"`
	Pick      int     `yaml:"pick"`
	Site      bool    `yaml:"site"`
	Fault     string  `yaml:"fault"`
	Value     float64 `yaml:"value"`
	Code      string  `yaml:"code"`
	Generator bool    `yaml:"generator"`
}

// Builtins lists the names of the embedded scenarios.
func Builtins() []string {
	entries, _ := builtin.ReadDir("builtin")
	var names []string
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	return names
}

// Load returns the built-in scenario called name, or else reads the file
// at name.
func Load(name string) (*Scenario, error) {
	if slices.Contains(Builtins(), name) {
		b, err := builtin.ReadFile("builtin/" + name + ".yaml")
		if err != nil {
			return nil, fmt.Errorf("read built-in scenario %s: %w", name, err)
		}
		return Parse(name, b)
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("scenario %q is neither built in (%s) nor a readable file: %w", name, strings.Join(Builtins(), ", "), err)
	}
	return Parse(strings.TrimSuffix(path.Base(name), ".yaml"), b)
}

// Parse parses a scenario strictly: unknown keys, bad durations and unknown
// faults are errors naming the event.
func Parse(name string, b []byte) (*Scenario, error) {
	var f file
	if err := decodeStrict(b, &f); err != nil {
		var list []eventYAML
		if errList := decodeStrict(b, &list); errList != nil {
			return nil, fmt.Errorf("scenario %s: %w", name, err)
		}
		f = file{Events: list}
	}
	s := &Scenario{Name: name, Description: f.Description, RandomFaultsPerDay: -1, DropsPerDay: -1}
	if f.RandomFaultsPerDay != nil {
		s.RandomFaultsPerDay = *f.RandomFaultsPerDay
	}
	if f.GSMDropsPerDay != nil {
		s.DropsPerDay = *f.GSMDropsPerDay
	}
	for i, e := range f.Events {
		ev, err := e.event()
		if err != nil {
			return nil, fmt.Errorf("scenario %s: event %d: %w", name, i+1, err)
		}
		s.Events = append(s.Events, ev)
	}
	return s, nil
}

func decodeStrict(b []byte, v any) error {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}

func (e eventYAML) event() (sim.Event, error) {
	fault, err := sim.ParseFault(e.Fault)
	if err != nil {
		return sim.Event{}, err
	}
	at, err := ParseDuration(e.At)
	if err != nil {
		return sim.Event{}, fmt.Errorf("at: %w", err)
	}
	var span time.Duration
	if e.For != "" {
		if span, err = ParseDuration(e.For); err != nil {
			return sim.Event{}, fmt.Errorf("for: %w", err)
		}
	}
	if fault == sim.FaultCode && !validCode(e.Code) {
		return sim.Event{}, fmt.Errorf("code %q must be 1 to 64 printable ASCII characters", e.Code)
	}
	if _, err := path.Match(e.Device, ""); err != nil {
		return sim.Event{}, fmt.Errorf("device pattern %q: %w", e.Device, err)
	}
	return sim.Event{At: at, For: span, Device: e.Device, Kind: e.Kind, Facility: e.Facility,
		Region: e.Region, Skip: e.Skip, Pick: e.Pick, Site: e.Site, Fault: fault, Value: e.Value,
		Code: e.Code, Generator: e.Generator}, nil
}

func validCode(c string) bool {
	if c == "" {
		return true // the default code
	}
	if len(c) > 64 {
		return false
	}
	for _, r := range c {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			return false
		}
	}
	return true
}

// ParseDuration parses a Go duration with days allowed as a leading "Nd"
// term: "90s", "2h30m", "30d", "1d12h". Negative durations are an error.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("missing duration")
	}
	var days time.Duration
	if i := strings.IndexByte(s, 'd'); i > 0 {
		n, err := strconv.ParseFloat(s[:i], 64)
		if err != nil {
			return 0, fmt.Errorf("duration %q: %w", s, err)
		}
		days, s = time.Duration(n*24*float64(time.Hour)), s[i+1:]
	}
	var rest time.Duration
	if s != "" {
		var err error
		if rest, err = time.ParseDuration(s); err != nil {
			return 0, fmt.Errorf("duration %q: %w", s, err)
		}
	}
	if days+rest < 0 {
		return 0, fmt.Errorf("duration %q is negative", s)
	}
	return days + rest, nil
}
