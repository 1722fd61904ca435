package scenario

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/oxywatch/oxywatch/firmware-sim/sim"
)

func TestBuiltinsParse(t *testing.T) {
	names := Builtins()
	for _, want := range []string{"demo", "outage-night", "sieve-wear-30d", "storm"} {
		if !strings.Contains(strings.Join(names, " "), want) {
			t.Errorf("built-in scenarios %v lack %s", names, want)
		}
	}
	for _, name := range names {
		sc, err := Load(name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(sc.Events) == 0 || sc.Description == "" {
			t.Errorf("%s: %d events, description %q", name, len(sc.Events), sc.Description)
		}
	}
}

// TestDemoMatchesGeneratedFleet: every demo event finds a device in the
// 40-device fleet of make run.
func TestDemoMatchesGeneratedFleet(t *testing.T) {
	sc, err := Load("demo")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	s, err := sim.New(sim.Config{Fleet: sim.GenerateFleet(40, 0, 1, time.Minute), Seed: 1, Start: start,
		Until: start.Add(time.Hour), Publisher: &sim.Recorder{}, Events: sc.Events})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	seen := map[sim.Fault]bool{}
	for _, in := range s.Injections() {
		seen[in.Fault] = true
	}
	for _, ev := range sc.Events {
		if !seen[ev.Fault] {
			t.Errorf("demo event %s at %s matched no device", ev.Fault, ev.At)
		}
	}
}

func TestParse(t *testing.T) {
	sc, err := Parse("x", []byte(`
description: two events
random_faults_per_day: 0.5
events:
  - {at: 2h, device: psa-003, fault: compressor}
  - {at: 1d12h, for: 30m, kind: concentrator, pick: 2, fault: fault_code, code: E12}
`))
	if err != nil {
		t.Fatal(err)
	}
	if sc.RandomFaultsPerDay != 0.5 || sc.DropsPerDay != -1 || len(sc.Events) != 2 {
		t.Fatalf("got %+v", sc)
	}
	want := sim.Event{At: 36 * time.Hour, For: 30 * time.Minute, Kind: "concentrator", Pick: 2, Fault: sim.FaultCode, Code: "E12"}
	if got := sc.Events[1]; got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	list, err := Parse("list", []byte("- {at: 1m, fault: reboot}\n"))
	if err != nil || len(list.Events) != 1 {
		t.Errorf("a bare list of events: %v, %+v", err, list)
	}
}

func TestParseRejects(t *testing.T) {
	tests := []struct{ name, yaml, want string }{
		{"unknown key", "events:\n  - {at: 1m, fault: reboot, colour: red}\n", "colour"},
		{"unknown fault", "events:\n  - {at: 1m, fault: meteor}\n", "meteor"},
		{"bad duration", "events:\n  - {at: soon, fault: reboot}\n", "soon"},
		{"missing at", "events:\n  - {fault: reboot}\n", "missing duration"},
		{"negative", "events:\n  - {at: -5m, fault: reboot}\n", "negative"},
		{"bad pattern", "events:\n  - {at: 1m, device: '[', fault: reboot}\n", "pattern"},
		{"bad code", "events:\n  - {at: 1m, fault: fault_code, code: \"a\\\"b\"}\n", "code"},
		{"top-level typo", "evnets: []\n", "evnets"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("bad", []byte(tc.yaml))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got error %v, want one naming %q", err, tc.want)
			}
		})
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"90s", 90 * time.Second}, {"2h30m", 150 * time.Minute}, {"30d", 720 * time.Hour},
		{"1d12h", 36 * time.Hour}, {"0.5d", 12 * time.Hour}, {"0", 0},
	}
	for _, tc := range tests {
		got, err := ParseDuration(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseDuration(%q) = %s, %v; want %s", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "d", "xd", "3x", "-1h"} {
		if _, err := ParseDuration(bad); err == nil {
			t.Errorf("ParseDuration(%q) accepted", bad)
		}
	}
}

func TestLoadFileAndMissing(t *testing.T) {
	path := t.TempDir() + "/night.yaml"
	if err := os.WriteFile(path, []byte("events:\n  - {at: 1m, fault: outage, site: true}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sc, err := Load(path)
	if err != nil || sc.Name != "night" || len(sc.Events) != 1 {
		t.Fatalf("Load(%s) = %+v, %v", path, sc, err)
	}
	if _, err := Load("no-such-scenario"); err == nil || !strings.Contains(err.Error(), "demo") {
		t.Errorf("missing scenario: %v, want an error listing the built-ins", err)
	}
}

// FuzzParse: no input makes Parse panic, and what it accepts has known
// faults and no negative times.
func FuzzParse(f *testing.F) {
	for _, name := range Builtins() {
		b, err := builtin.ReadFile("builtin/" + name + ".yaml")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("- {at: 1d2h, fault: outage}\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		sc, err := Parse("fuzz", b)
		if err != nil {
			return
		}
		for _, ev := range sc.Events {
			if _, err := sim.ParseFault(string(ev.Fault)); err != nil || ev.At < 0 || ev.For < 0 {
				t.Errorf("accepted event %+v", ev)
			}
		}
	})
}
