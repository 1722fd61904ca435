package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestGenerateFleetMix(t *testing.T) {
	for _, n := range []int{1, 40, 500} {
		fleet := GenerateFleet(n, 0, 1, time.Minute)
		if len(fleet) != n {
			t.Fatalf("GenerateFleet(%d) made %d devices", n, len(fleet))
		}
		kinds, ids, facilities := map[string]int{}, map[string]bool{}, map[string]bool{}
		for _, s := range fleet {
			kinds[s.Kind]++
			facilities[s.Facility] = true
			if ids[s.ID] || !deviceIDPattern.MatchString(s.ID) {
				t.Fatalf("bad or duplicate id %q", s.ID)
			}
			ids[s.ID] = true
			if s.Region == "" || s.Country == "" || s.RatedFlowLPM <= 0 || s.ReportInterval != time.Minute {
				t.Fatalf("incomplete spec %+v", s)
			}
		}
		if n >= 40 && (kinds[KindPSA] < 2 || kinds[KindPSA]*5 > n || kinds[KindConcentrator] < n*3/4 || len(facilities) < n/10) {
			t.Errorf("fleet of %d: kinds %v over %d facilities, want a few plants and many concentrators", n, kinds, len(facilities))
		}
	}
}

func TestFleetCSVRoundTrip(t *testing.T) {
	fleet := GenerateFleet(25, 4, 9, 30*time.Second)
	for i := range fleet {
		fleet[i].NoRTC = false // not a CSV column
	}
	var buf bytes.Buffer
	if err := WriteFleet(&buf, fleet); err != nil {
		t.Fatal(err)
	}
	if head, _, _ := strings.Cut(buf.String(), "\n"); !strings.HasPrefix(head, "id,kind,model,facility,region,country,rated_flow_lpm,report_interval_s") {
		t.Errorf("header %q, want the API import's columns first", head)
	}
	got, skipped, err := ReadFleet(&buf)
	if err != nil || len(skipped) > 0 {
		t.Fatalf("ReadFleet: %v, skipped %v", err, skipped)
	}
	if len(got) != len(fleet) {
		t.Fatalf("read %d devices, wrote %d", len(got), len(fleet))
	}
	for i := range got {
		if got[i] != fleet[i] {
			t.Errorf("device %d: got %+v, want %+v", i, got[i], fleet[i])
		}
	}
}

func TestReadFleet(t *testing.T) {
	csv := `id,kind,facility,region,rated_flow_lpm,report_interval_s,password,status
psa-1,psa,zomba-ch,south,"250,5",60,s3cret,online
tank-1,cylinder_bank,zomba-ch,south,,,,
conc-1,concentrator,zomba-ch,south,,,,
`
	fleet, skipped, err := ReadFleet(strings.NewReader(csv))
	if err != nil {
		t.Fatal(err)
	}
	if len(fleet) != 2 || len(skipped) != 1 || skipped[0] != "tank-1" {
		t.Fatalf("fleet %+v skipped %v", fleet, skipped)
	}
	if p := fleet[0]; p.RatedFlowLPM != 250.5 || p.ReportInterval != time.Minute || p.Password != "s3cret" || !p.Generator {
		t.Errorf("psa-1 read as %+v", p)
	}
	if c := fleet[1]; c.RatedFlowLPM != 5 || c.ReportInterval != 0 {
		t.Errorf("conc-1 read as %+v, want the defaults (5 L/min, the run's interval)", c)
	}
	bad := []struct{ name, csv, want string }{
		{"no id column", "kind\npsa\n", `"id"`},
		{"bad id", "id,kind\n-x,psa\n", "must match"},
		{"unknown kind", "id,kind\nx1,windmill\n", "windmill"},
		{"bad flow", "id,kind,rated_flow_lpm\nx1,psa,lots\n", "rated_flow_lpm"},
		{"duplicate", "id,kind\nx1,psa\nx1,psa\n", "twice"},
		{"nothing to model", "id,kind\nx1,cylinder_bank\n", "no devices"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := ReadFleet(strings.NewReader(tc.csv))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error naming %s", err, tc.want)
			}
		})
	}
}

func TestBacklogLimits(t *testing.T) {
	b := NewBacklog(2500)
	obj := bytes.Repeat([]byte("x"), 100)
	for range 2600 {
		b.Push(append([]byte(`{"v":"`), append(obj, `"}`...)...))
	}
	if b.Len() != 2500 || b.Dropped() != 100 {
		t.Fatalf("len %d dropped %d, want 2500 and 100", b.Len(), b.Dropped())
	}
	total := 0
	for b.Len() > 0 {
		payload, n := b.Next()
		if n == 0 || n > MaxBacklogReadings || len(payload) > MaxPayloadBytes {
			t.Fatalf("payload of %d readings, %d bytes", n, len(payload))
		}
		var arr []map[string]string
		if err := json.Unmarshal(payload, &arr); err != nil || len(arr) != n {
			t.Fatalf("payload is not a JSON array of %d objects: %v", n, err)
		}
		b.Pop(n)
		total += n
	}
	if total != 2500 {
		t.Errorf("sent %d readings, want 2500", total)
	}
}

func TestClock(t *testing.T) {
	real0 := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	now := real0
	c := &Clock{RealStart: real0, SimStart: real0.Add(-10 * time.Hour), Speed: 3600, Now: func() time.Time { return now }}
	if got, want := c.RealAt(real0.Add(-9*time.Hour)), real0.Add(time.Second); !got.Equal(want) {
		t.Errorf("one simulated hour at ×3600: real %s, want %s", got, want)
	}
	// The simulation catches up with the present after 10 s, then runs in
	// real time: never ahead of the real clock.
	if got, want := c.RealAt(real0.Add(time.Hour)), real0.Add(time.Hour); !got.Equal(want) {
		t.Errorf("an hour past the start's present: real %s, want %s", got, want)
	}
	now = real0.Add(5 * time.Second)
	if got, want := c.SimNow(), real0.Add(-5*time.Hour); !got.Equal(want) {
		t.Errorf("SimNow after 5 s = %s, want %s", got, want)
	}
	now = real0.Add(time.Minute)
	if got := c.SimNow(); !got.Equal(now) {
		t.Errorf("SimNow after catching up = %s, want the present %s", got, now)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Wait(ctx, real0.Add(2*time.Hour)); err == nil {
		t.Error("Wait on a cancelled context returned nil")
	}
}

// TestAppendJSONRoundsWithinRange: values at the edges of their ranges
// stay inside after rounding, and negative zero is written as 0.
func TestAppendJSONRoundsWithinRange(t *testing.T) {
	var r Reading
	r.TS = time.Date(2026, 1, 2, 3, 4, 5, 678900000, time.UTC)
	r.setPurity(100.004)
	r.setPressure(-0.0001)
	r.setFlow(-3)
	r.setBattery(99.96)
	got := string(r.AppendJSON(nil, true))
	want := `{"ts":"2026-01-02T03:04:05.678Z","seq":0,"purity_pct":100.00,"pressure_bar":0.000,"flow_lpm":0.00,"battery_pct":100.0}`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// FuzzReadingEncodes: whatever values the models produce, NaN and
// infinities included, the encoded reading is a JSON object whose numbers
// are inside the ranges of CONTRACT §3.
func FuzzReadingEncodes(f *testing.F) {
	f.Add(93.5, 5.2, 480.0, 1234.5, 41.0, int64(7))
	f.Add(-1.0, 301.0, -5.0, -1.0, 1e300, int64(0))
	f.Fuzz(func(t *testing.T, purity, pressure, flow, runtime, temp float64, seq int64) {
		var r Reading
		r.TS, r.Seq = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), max(seq, 0)
		r.setPurity(purity)
		r.setPressure(pressure)
		r.setFlow(flow)
		r.setRuntime(runtime)
		r.setTemp(temp)
		r.setCylinders(runtime)
		var obj map[string]any
		if err := json.Unmarshal(r.AppendJSON(nil, true), &obj); err != nil {
			t.Fatalf("not JSON: %v: %s", err, r.AppendJSON(nil, true))
		}
		limits := map[string][2]float64{"purity_pct": {0, 100}, "pressure_bar": {0, 300}, "flow_lpm": {0, 1e6},
			"runtime_h": {0, 1e7}, "temp_c": {-100, 300}, "cylinders_filled": {0, 1e12}}
		for k, lim := range limits {
			if v, ok := obj[k].(float64); ok && (v < lim[0] || v > lim[1]) {
				t.Errorf("%s = %g outside %v", k, v, lim)
			}
		}
	})
}
