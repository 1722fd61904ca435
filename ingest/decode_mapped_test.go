package ingest

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oxywatch/oxywatch/ingest/mapping"
	"github.com/oxywatch/oxywatch/internal/plant"
)

func testMappings(t testing.TB) *mapping.Set {
	t.Helper()
	set, err := LoadMappings(filepath.Join("testdata", "mappings.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// A vendor's Spanish keys, flow in Nm³/h and its own words come out as the
// CONTRACT §3 reading they mean.
func TestMappedVendorPayloadIsTheContractReading(t *testing.T) {
	m := testMappings(t).For("Oxivida CM-10")
	vendor := `{"marca_tiempo":"2026-11-23T11:00:00Z","pureza_pct":93.4,"presion_bar":0.62,"flujo_nm3h":0.3,
		"horas_marcha":1234.5,"estado":"MARCHA","energia":"bateria","alarmas":["BAJA_PUREZA","otra"],"temperatura_c":31}`
	contract := `{"ts":"2026-11-23T11:00:00Z","purity_pct":93.4,"pressure_bar":0.62,"flow_m3h":0.3,
		"runtime_h":1234.5,"state":"running","power":"battery","alarms":["low_purity","otra"],"temp_c":31}`
	got := DecodeMapped("cm-1", []byte(vendor), testNow, m)
	want := DecodeTelemetry("cm-1", []byte(contract), testNow)
	if len(got.Rejected) > 0 || len(want.Rejected) > 0 {
		t.Fatalf("rejected: %v / %v", got.Rejected, want.Rejected)
	}
	if g, w := readingJSON(t, got.Readings[0]), readingJSON(t, want.Readings[0]); g != w {
		t.Errorf("mapped reading differs from the CONTRACT one:\ngot  %s\nwant %s", g, w)
	}
	if f := *got.Readings[0].Flow; math.Abs(f-5) > 1e-9 {
		t.Errorf("flow: got %v L/min, want 5 (0.3 m³/h)", f)
	}
	// The same model's payload in CONTRACT keys still reads as before.
	if d := DecodeMapped("cm-1", []byte(contract), testNow, m); len(d.Readings) != 1 || readingJSON(t, d.Readings[0]) != readingJSON(t, want.Readings[0]) {
		t.Errorf("a CONTRACT payload of a mapped model reads differently")
	}
}

func TestUnknownWordsKeepTheReading(t *testing.T) {
	m := testMappings(t).For("Oxivida CM-10")
	cases := []struct {
		name, payload  string
		m              *mapping.Model
		state          plant.State
		power          plant.Power
		states, powers int
		word           string
	}{
		{"state", `{"purity_pct":93,"state":"exploded"}`, nil, plant.StateUnknown, "", 1, 0, `state "exploded"`},
		{"power", `{"purity_pct":93,"power":"wind"}`, nil, "", plant.PowerUnknown, 0, 1, `power "wind"`},
		{"both", `{"purity_pct":93,"state":"purging","power":"wind"}`, nil, plant.StateUnknown, plant.PowerUnknown, 1, 1, `state "purging"`},
		{"mapped model, unmapped word", `{"pureza_pct":93,"estado":"purga"}`, m, plant.StateUnknown, "", 1, 0, `state "purga"`},
		{"the word unknown itself is not counted", `{"purity_pct":93,"state":"unknown"}`, nil, plant.StateUnknown, "", 0, 0, ""},
		{"an enumeration register, mapped", `{"Purity":93,"State":2}`, testMappings(t).ForSparkplug("PSA-200 (Sparkplug)"), plant.StateRunning, "", 0, 0, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := DecodeMapped("c-1", []byte(tc.payload), testNow, tc.m)
			if len(d.Rejected) > 0 || len(d.Readings) != 1 {
				t.Fatalf("got %d readings, rejections %v; want the reading kept", len(d.Readings), d.Rejected)
			}
			r := d.Readings[0]
			if r.State != tc.state || r.Power != tc.power {
				t.Errorf("got state %q power %q, want %q %q", r.State, r.Power, tc.state, tc.power)
			}
			if d.UnknownStates != tc.states || d.UnknownPowers != tc.powers || d.UnknownWord != tc.word {
				t.Errorf("got unknown %d states %d powers (%s), want %d %d (%s)", d.UnknownStates, d.UnknownPowers, d.UnknownWord, tc.states, tc.powers, tc.word)
			}
		})
	}
}

func TestMappedUnitsAndAlarmFlags(t *testing.T) {
	m := testMappings(t).ForSparkplug("PSA-200 (Sparkplug)")
	d := DecodeMapped("psa", []byte(`{"ts":1795000000000,"O2 Purity":94,"Outlet Pressure":480,"Product Flow":30,
		"Alarms/Sieve Bed":true,"Alarms/Dryer Fault":1,"Alarms/High Temp":false,"Node Info/Firmware":"2.1"}`), testNow, m)
	if len(d.Rejected) > 0 {
		t.Fatal(d.Rejected)
	}
	r := d.Readings[0]
	if math.Abs(*r.Pressure-4.8) > 1e-9 || math.Abs(*r.Flow-500) > 1e-9 || *r.Purity != 94 {
		t.Errorf("got pressure %v bar flow %v L/min purity %v, want 4.8, 500, 94", *r.Pressure, *r.Flow, *r.Purity)
	}
	if got := strings.Join(r.Alarms, ","); got != "sieve_fault,dryer_fault" {
		t.Errorf("got alarms %s, want sieve_fault,dryer_fault", got)
	}
	if d.UnknownKeys != 1 {
		t.Errorf("got %d unknown keys, want 1 (Node Info/Firmware)", d.UnknownKeys)
	}
	if d := DecodeMapped("psa", []byte(`{"O2 Purity":94,"Alarms/Sieve Bed":"yes"}`), testNow, m); len(d.Rejected) != 1 || d.Rejected[0].Reason != ReasonBadType {
		t.Errorf("alarm flag \"yes\": got %v, want bad_type", d.Rejected)
	}
}

func TestLoadMappingsNamesFileModelAndKey(t *testing.T) {
	cases := []struct{ name, yaml, want string }{
		{"unknown target", "models:\n  M1:\n    keys:\n      pureza: purity\n      x: purity_percent\n", `model "M1": keys["x"]: "purity_percent" is not an OxyWatch key`},
		{"bad unit", "models:\n  M1:\n    keys:\n      f: {field: flow, unit: gallons}\n", `model "M1": keys["f"]: unit "gallons"`},
		{"bad state", "models:\n  M2:\n    states:\n      marcha: runing\n", `model "M2": states["marcha"]: "runing" is not running`},
		{"bad power", "models:\n  M2:\n    power:\n      red: grid\n", `model "M2": power["red"]`},
		{"unknown section", "models:\n  M3:\n    kees: {}\n", "field kees not found"},
		{"unknown target field", "models:\n  M3:\n    keys:\n      a: {feld: flow}\n", "field feld not found"},
		{"bad device id", "sparkplug:\n  devices:\n    g/e/d: \"bad id\"\n", `sparkplug.devices["g/e/d"]: device id "bad id"`},
		{"bad sparkplug path", "sparkplug:\n  devices:\n    g: d1\n", `sparkplug.devices["g"]: must be GROUP/EDGE`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "map.yaml")
			if err := os.WriteFile(path, []byte(tc.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := LoadMappings(path)
			if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error naming %s and %s", err, path, tc.want)
			}
		})
	}
}

// FuzzDecodeMapped runs the mapped decoder with the example mappings (keys,
// units, words, alarm flags): it never panics and only accepts readings
// that CONTRACT §3 allows.
func FuzzDecodeMapped(f *testing.F) {
	addSeeds(f)
	f.Add([]byte(`{"pureza_pct":93.4,"flujo_nm3h":0.3,"estado":"MARCHA","energia":"x","alarmas":["BAJA_PUREZA"]}`))
	f.Add([]byte(`[{"marca_tiempo":1795000000,"presion_bar":1},{"Outlet Pressure":-1,"State":3,"Alarms/Sieve Bed":2}]`))
	f.Add([]byte(`{"O2 Purity":94,"Alarms/X":true,"Alarms/Y":1e400,"Product Flow":1e308}`))
	f.Add([]byte(`{"O2 Purity [fraction]":0.94,"Flow [m3/h]":30,"Temperature [°F]":100,"State [x]":"2","Alarms/A [b]":true,"x [":1}`))
	set := testMappings(f)
	models := []*mapping.Model{set.For("Oxivida CM-10"), set.ForSparkplug("PSA-200 (Sparkplug)"), set.ForSparkplug("")}
	f.Fuzz(func(t *testing.T, payload []byte) {
		for _, m := range models {
			d := DecodeMapped("fuzz-1", payload, testNow, m)
			for _, r := range d.Readings {
				if r.Time.IsZero() || r.Time.After(testNow.Add(MaxFutureSkew)) {
					t.Fatalf("accepted reading with bad time %v", r.Time)
				}
				if r.State != "" && r.State != plant.StateUnknown && !plant.ValidState(r.State) {
					t.Fatalf("accepted bad state %q", r.State)
				}
				r.Each(func(field string, v float64) {
					if math.IsNaN(v) || math.IsInf(v, 0) {
						t.Fatalf("accepted non-finite %s", field)
					}
				})
				if r.Purity != nil && (*r.Purity < 0 || *r.Purity > 100) || r.Pressure != nil && (*r.Pressure < 0 || *r.Pressure > 300) {
					t.Fatalf("accepted out of range %v", r)
				}
				if len(r.Alarms) > maxAlarmCodes {
					t.Fatalf("accepted %d alarms", len(r.Alarms))
				}
			}
			for _, rej := range d.Rejected {
				if rej.Reason == "" || rej.Detail == "" {
					t.Fatalf("rejection without reason or detail: %+v", rej)
				}
			}
		}
	})
}

// The pooled decoder forgets a mapped payload's alarm flags.
func TestAlarmFlagsDoNotLeak(t *testing.T) {
	m := testMappings(t).ForSparkplug("")
	for range 3 {
		if d := DecodeMapped("psa", []byte(`[{"ts":1795000000000,"O2 Purity":94,"Alarms/Low Purity":true},{"ts":1795000060000,"O2 Purity":95}]`), testNow, m); len(d.Readings) != 2 || len(d.Readings[1].Alarms) != 0 {
			t.Fatalf("second reading of a backlog has alarms %v, want none", d.Readings[1].Alarms)
		}
		if d := DecodeTelemetry("psa", []byte(`{"purity_pct":93}`), testNow); len(d.Readings) != 1 || len(d.Readings[0].Alarms) != 0 {
			t.Fatalf("a plain reading after a mapped one has alarms %v", d.Readings[0].Alarms)
		}
	}
}
