package smsalarm

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oxywatch/oxywatch/ingest"
	"github.com/oxywatch/oxywatch/internal/plant"
)

func builtins(t testing.TB) *Set {
	t.Helper()
	s, err := Compile(File{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestBuiltinPatterns(t *testing.T) {
	s := builtins(t)
	for _, c := range []struct {
		text   string
		purity float64 // 0: none
		state  plant.State
		power  plant.Power
		alarms []string
	}{
		{text: "PSA1 ALARM LOW PURITY 85%", purity: 85, alarms: []string{"low_purity"}},
		{text: "psa1 alarm low purity: 85,5 %", purity: 85.5, alarms: []string{"low_purity"}},
		{text: "PSA1 POWER FAIL", power: plant.PowerNone},
		{text: "MAINS FAILURE - ON GENERATOR", power: plant.PowerNone},
		{text: "Plant 2 COMPRESSOR FAULT", alarms: []string{"compressor_fault"}},
		{text: "DRYER FAIL HIGH TEMP 61C", alarms: []string{"dryer_fault", "high_temp"}},
		{text: "PSA1 ALARM CLEAR", state: plant.StateRunning, alarms: []string{}},
		{text: "PSA1 NORMAL O2 93.1%", purity: 93.1, state: plant.StateRunning, alarms: []string{}},
		{text: "POWER RESTORED", power: plant.PowerMains},
		{text: "PSA1 SHUTDOWN", state: plant.StateOff},
	} {
		ev, err := s.Read("any", c.text)
		if err != nil {
			t.Errorf("%q: %v", c.text, err)
			continue
		}
		if got := ev.Values[plant.FieldPurity]; got != c.purity || ev.State != c.state || ev.Power != c.power ||
			!slices.Equal(ev.Alarms, c.alarms) || (c.alarms != nil) != (ev.Alarms != nil) {
			t.Errorf("%q: purity %v state %q power %q alarms %#v, want %v %q %q %#v", c.text, got, ev.State, ev.Power, ev.Alarms, c.purity, c.state, c.power, c.alarms)
		}
	}
	for _, text := range []string{"", "hello", "PSA1 ZEOLITE BED 2 VALVE STUCK", "PURITY 300%"} {
		if ev, err := s.Read("any", text); err == nil {
			t.Errorf("%q read as %+v, want an error", text, ev)
		}
	}
}

func TestModelPatternsFirst(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sms.yaml")
	if err := os.WriteFile(path, []byte(`models:
  OG-15:
    - name: o2
      match: '(?i)O2=(?P<purity_pct>[0-9.]+) P=(?P<pressure_bar>[0-9.]+)'
      state: running
  default:
    - name: stuck
      match: 'VALVE STUCK'
      alarms: [valve_stuck]
`), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := s.Read("og-15", "o2=92.5 p=4.1 POWER FAIL")
	if err != nil || ev.Values[plant.FieldPurity] != 92.5 || ev.Values[plant.FieldPressure] != 4.1 || ev.State != plant.StateRunning || ev.Power != "" {
		t.Errorf("model pattern: %+v %v (the model's own patterns replace the generic ones)", ev, err)
	}
	if ev, err := s.Read("other", "PSA1 ZEOLITE BED 2 VALVE STUCK"); err != nil || !slices.Equal(ev.Alarms, []string{"valve_stuck"}) {
		t.Errorf("default pattern: %+v %v", ev, err)
	}
}

// A bad file is named with its model and pattern.
func TestLoadFileNamesTheFault(t *testing.T) {
	for _, c := range []struct{ yaml, want string }{
		{"models:\n  OG-15:\n    - name: o2\n      match: '(?P<purity_pct>[0-9'\n", "model OG-15, pattern o2: match"},
		{"models:\n  OG-15:\n    - name: o2\n      match: '(?P<purity>[0-9]+)'\n", `group "purity" is not one of`},
		{"models:\n  OG-15:\n    - match: 'X'\n      state: broken\n", "pattern #1: state \"broken\""},
		{"models:\n  OG-15:\n    - name: x\n      match: 'X'\n", "sets nothing"},
		{"modles: {}\n", "field modles not found"},
	} {
		path := filepath.Join(t.TempDir(), "sms.yaml")
		if err := os.WriteFile(path, []byte(c.yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := LoadFile(path)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%q: error %v, want the file and %q", c.yaml, err, c.want)
		}
	}
}

// FuzzRead: SMS text comes from devices. Reading it never panics, and
// whatever it reads the ingester accepts as it is.
func FuzzRead(f *testing.F) {
	for _, s := range []string{"PSA1 ALARM LOW PURITY 85%", "POWER FAIL", "COMPRESSOR FAULT", "ALARM CLEAR", "NORMAL",
		"HIGH TEMP -", "O2 100,000001%", "PURITY 99.9999999999999999999%", "\xff\xfe LOW PURITY 1%", strings.Repeat("LOW PURITY 85% ", 200)} {
		f.Add(s)
	}
	s := builtins(f)
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, text string) {
		ev, err := s.Read("", text)
		if err != nil {
			return
		}
		if !ev.Measured() {
			r := ev.Reading("psa-1")
			if r.State == "" && r.Power == "" && r.Alarms == nil {
				t.Fatalf("%q: an empty event %+v", text, ev)
			}
			return
		}
		d := ingest.DecodeTelemetry("psa-1", ev.JSON(), now)
		if len(d.Readings) != 1 || len(d.Rejected) != 0 {
			t.Fatalf("%q → %s: the decoder took %d readings, rejected %v", text, ev.JSON(), len(d.Readings), d.Rejected)
		}
	})
}

// The example file under deploy/ loads and reads its own examples.
func TestDeployExample(t *testing.T) {
	s, err := LoadFile("../../deploy/sms-patterns.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ev, err := s.Read("ogsi-og15", "PLANT A O2 LOW 84,5 CHECK")
	if err != nil || ev.Values[plant.FieldPurity] != 84.5 || !slices.Equal(ev.Alarms, []string{"low_purity"}) {
		t.Errorf("model pattern: %+v %v", ev, err)
	}
	if ev, err := s.Read("other", "PSA1 ALARM LOW PURITY 85%"); err != nil || ev.Values[plant.FieldPurity] != 85 {
		t.Errorf("built-in pattern: %+v %v", ev, err)
	}
}
