package sim_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/oxywatch/oxywatch/firmware-sim/scenario"
	"github.com/oxywatch/oxywatch/firmware-sim/sim"
	"github.com/oxywatch/oxywatch/ingest"
	"github.com/oxywatch/oxywatch/internal/plant"
)

var t0 = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)

// run simulates cfg from t0 as fast as possible into a Recorder and returns
// what was published before Close (whose goodbyes come in no set order).
func run(t *testing.T, cfg sim.Config, span time.Duration) ([]sim.Message, *sim.Sim) {
	t.Helper()
	rec := &sim.Recorder{}
	cfg.Start = t0
	cfg.Until = cfg.Start.Add(span)
	cfg.Publisher = rec
	s, err := sim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	msgs := rec.Messages()
	s.Close()
	return msgs, s
}

// decoded is one reading as the server decodes it, with where it came from.
type decoded struct {
	plant.Reading
	backlog bool
}

// decodeAll runs every message through the server's decoders and fails the
// test on any rejection. It returns the readings per device in the order
// sent. now is the receive time the decoder sees.
func decodeAll(t *testing.T, msgs []sim.Message, now time.Time) map[string][]decoded {
	t.Helper()
	out := map[string][]decoded{}
	for _, m := range msgs {
		if m.Status {
			if _, rej := ingest.DecodeStatus(m.Payload); rej != nil {
				t.Fatalf("%s status %q rejected: %v", m.Device, m.Payload, rej)
			}
			continue
		}
		if len(m.Payload) > ingest.MaxPayloadBytes {
			t.Fatalf("%s: payload of %d bytes", m.Device, len(m.Payload))
		}
		d := ingest.DecodeTelemetry(plant.DeviceID(m.Device), m.Payload, now)
		if len(d.Rejected) > 0 {
			t.Fatalf("%s: %d readings rejected, first: %v\npayload: %.300s", m.Device, len(d.Rejected), d.Rejected[0], m.Payload)
		}
		if d.UnknownKeys > 0 {
			t.Errorf("%s: %d unknown keys in %.200s", m.Device, d.UnknownKeys, m.Payload)
		}
		if len(d.Readings) == 0 {
			t.Fatalf("%s: payload without readings: %.200s", m.Device, m.Payload)
		}
		for _, r := range d.Readings {
			out[m.Device] = append(out[m.Device], decoded{Reading: r, backlog: d.Backlog})
		}
	}
	return out
}

// TestEveryReadingDecodes runs a fleet for three simulated days with many
// random faults and GSM drop-outs, and every scenario event kind that
// should still yield valid readings; the server's decoder must accept every
// payload, live and backlog.
func TestEveryReadingDecodes(t *testing.T) {
	var events []sim.Event
	for i, f := range sim.RandomFaults {
		events = append(events, sim.Event{At: time.Duration(i+1) * 2 * time.Hour, Fault: f, Pick: 3, Skip: i, Generator: i%2 == 0})
	}
	events = append(events, sim.Event{At: 40 * time.Hour, Fault: sim.FaultOffline, Device: "*", For: 20 * time.Hour})
	cfg := sim.Config{Fleet: sim.GenerateFleet(40, 0, 7, time.Minute), Seed: 7, Events: events,
		RandomFaultsPerDay: 2, DropsPerDay: 3}
	msgs, s := run(t, cfg, 72*time.Hour)
	byDev := decodeAll(t, msgs, t0.Add(72*time.Hour))
	if len(byDev) != 40 {
		t.Fatalf("readings from %d devices, want 40", len(byDev))
	}
	backlogs := 0
	for _, rs := range byDev {
		for _, r := range rs {
			if r.backlog {
				backlogs++
			}
		}
	}
	if backlogs < 40*1000 {
		t.Errorf("%d readings in backlogs, want the 20 h outage of 40 devices (> 40,000)", backlogs)
	}
	// Flush delivers what devices still cut off at the end kept.
	st := &s.Stats
	if sent, queued, took := st.Sent.Load(), st.Queued.Load(), st.Readings.Load(); sent != took || queued != 0 {
		t.Errorf("sent %d readings and %d wait in backlogs, took %d", sent, queued, took)
	}
}

// TestPhysicalRanges checks values stay physical and runtime only grows
// while running, over two weeks of a mixed fleet with random faults.
func TestPhysicalRanges(t *testing.T) {
	fleet := sim.GenerateFleet(20, 0, 3, 5*time.Minute)
	cfg := sim.Config{Fleet: fleet, Seed: 3, RandomFaultsPerDay: 1, DropsPerDay: 1}
	msgs, _ := run(t, cfg, 15*24*time.Hour)
	byDev := decodeAll(t, msgs, t0.Add(16*24*time.Hour))
	for _, spec := range fleet {
		rs := byDev[spec.ID]
		if len(rs) < 4000 {
			t.Errorf("%s: %d readings in 15 days at 5 min, want about 4320", spec.ID, len(rs))
		}
		for i, r := range rs {
			checkRanges(t, spec, r.Reading)
			if i > 0 {
				checkRuntime(t, spec, rs[i-1].Reading, r.Reading)
			}
		}
	}
}

func checkRanges(t *testing.T, spec sim.Spec, r plant.Reading) {
	t.Helper()
	maxPress := map[string]float64{sim.KindPSA: 7, sim.KindConcentrator: 1, sim.KindLOXTank: 6}[spec.Kind]
	switch {
	case *r.Purity < 10 || *r.Purity > 100: // 20.9 % is air; a noisy sensor reads lower
		t.Fatalf("%s at %s: purity %g", spec.ID, r.Time, *r.Purity)
	case *r.Pressure < 0 || *r.Pressure > maxPress:
		t.Fatalf("%s at %s: pressure %g bar, want 0 to %g", spec.ID, r.Time, *r.Pressure, maxPress)
	case *r.Flow < 0 || *r.Flow > 2.1*spec.RatedFlowLPM:
		t.Fatalf("%s at %s: flow %g L/min, rated %g", spec.ID, r.Time, *r.Flow, spec.RatedFlowLPM)
	case r.State != plant.StateRunning && *r.Flow != 0:
		t.Fatalf("%s at %s: state %s with flow %g", spec.ID, r.Time, r.State, *r.Flow)
	case r.Temp != nil && (*r.Temp < 0 || *r.Temp > 90):
		t.Fatalf("%s at %s: temperature %g °C", spec.ID, r.Time, *r.Temp)
	}
}

// checkRuntime: running hours never decrease, grow at most by the time
// passed, and do not grow after a reading taken while not running.
func checkRuntime(t *testing.T, spec sim.Spec, prev, r plant.Reading) {
	t.Helper()
	if spec.Kind == sim.KindLOXTank {
		return
	}
	delta := *r.Runtime - *prev.Runtime
	// ts carries the device clock: drift moves it by seconds at most.
	passed := r.Time.Sub(prev.Time).Hours() + 0.01
	switch {
	case delta < 0:
		t.Fatalf("%s: runtime fell from %g to %g at %s", spec.ID, *prev.Runtime, *r.Runtime, r.Time)
	case delta > passed:
		t.Fatalf("%s: runtime grew %g h in %g h at %s", spec.ID, delta, passed, r.Time)
	case prev.State != plant.StateRunning && delta > 0.0015:
		t.Fatalf("%s: runtime grew %g h after a reading in state %s at %s", spec.ID, delta, prev.State, prev.Time)
	}
}

// TestSeedReproducesRun: the same seed gives byte-identical output, another
// seed a different one.
func TestSeedReproducesRun(t *testing.T) {
	sc, err := scenario.Load("demo")
	if err != nil {
		t.Fatal(err)
	}
	runSeed := func(seed uint64) []sim.Message {
		cfg := sim.Config{Fleet: sim.GenerateFleet(40, 0, seed, time.Minute), Seed: seed, Events: sc.Events,
			RandomFaultsPerDay: 1, DropsPerDay: 2}
		msgs, _ := run(t, cfg, 12*time.Hour)
		return msgs
	}
	a, b, c := runSeed(1), runSeed(1), runSeed(2)
	if len(a) != len(b) {
		t.Fatalf("same seed: %d then %d messages", len(a), len(b))
	}
	for i := range a {
		if a[i].Device != b[i].Device || !bytes.Equal(a[i].Payload, b[i].Payload) {
			t.Fatalf("same seed differs at message %d:\n%s %s\n%s %s", i, a[i].Device, a[i].Payload, b[i].Device, b[i].Payload)
		}
	}
	same := len(a) == len(c)
	for i := 0; same && i < len(a); i++ {
		same = bytes.Equal(a[i].Payload, c[i].Payload)
	}
	if same {
		t.Error("seeds 1 and 2 gave the same run")
	}
}

// TestBacklogAfterOutage: a device cut off for 45 minutes keeps its
// readings and sends them on reconnect, in order, with their original
// timestamps; the broker's last will says offline meanwhile.
func TestBacklogAfterOutage(t *testing.T) {
	fleet := []sim.Spec{{ID: "conc-001", Kind: sim.KindConcentrator, RatedFlowLPM: 5, ReportInterval: time.Minute, NoRTC: true}}
	cut := 10 * time.Minute
	cfg := sim.Config{Fleet: fleet, Seed: 1, Events: []sim.Event{{At: cut, For: 45 * time.Minute, Device: "conc-001", Fault: sim.FaultOffline}}}
	msgs, s := run(t, cfg, 2*time.Hour)
	var status []string
	var backlog []plant.Reading
	for _, m := range msgs {
		if m.Status {
			status = append(status, string(m.Payload))
			continue
		}
		d := ingest.DecodeTelemetry("conc-001", m.Payload, t0.Add(3*time.Hour))
		if len(d.Rejected) > 0 {
			t.Fatalf("rejected: %v", d.Rejected)
		}
		if d.Backlog {
			if backlog != nil {
				t.Fatal("more than one backlog payload for one 45 min outage")
			}
			backlog = d.Readings
		}
	}
	if want := []string{"online", "offline", "online"}; !slices.Equal(status, want) {
		t.Errorf("status messages %q, want %q", status, want)
	}
	// 45 readings taken offline plus the one taken on reconnect.
	if len(backlog) < 45 || len(backlog) > 47 {
		t.Fatalf("backlog of %d readings, want about 46", len(backlog))
	}
	from, to := t0.Add(cut), t0.Add(cut+46*time.Minute)
	for i, r := range backlog {
		if r.Time.Before(from) || r.Time.After(to) {
			t.Errorf("backlog reading %d at %s, outside the outage %s to %s", i, r.Time, from, to)
		}
		if i > 0 {
			gap := r.Time.Sub(backlog[i-1].Time)
			if gap < 59*time.Second || gap > 61*time.Second {
				t.Errorf("backlog readings %d and %d are %s apart, want the 1 min interval", i-1, i, gap)
			}
		}
	}
	in := s.Injections()
	if len(in) != 1 || in[0].Fault != sim.FaultOffline || !in[0].From.Equal(from) || !in[0].Until.Equal(from.Add(45*time.Minute)) {
		t.Errorf("injections %+v, want the one offline fault at %s", in, from)
	}
}

// TestLongOutageSplitsBacklog: two days offline at one reading a minute
// leave 2,880 readings, sent as arrays of at most 1,000 within 64 KiB.
func TestLongOutageSplitsBacklog(t *testing.T) {
	fleet := []sim.Spec{{ID: "psa-001", Kind: sim.KindPSA, RatedFlowLPM: 500, ReportInterval: time.Minute, Booster: true}}
	cfg := sim.Config{Fleet: fleet, Seed: 2, Events: []sim.Event{{At: time.Hour, For: 48 * time.Hour, Device: "psa-001", Fault: sim.FaultOffline}}}
	msgs, _ := run(t, cfg, 50*time.Hour)
	var sizes []int
	for _, m := range msgs {
		if m.Status {
			continue
		}
		d := ingest.DecodeTelemetry("psa-001", m.Payload, t0.Add(51*time.Hour))
		if len(d.Rejected) > 0 {
			t.Fatalf("rejected: %v", d.Rejected[0])
		}
		if d.Backlog {
			sizes = append(sizes, len(d.Readings))
		}
	}
	total := 0
	for _, n := range sizes {
		total += n
		if n > ingest.MaxBacklog {
			t.Errorf("backlog of %d readings", n)
		}
	}
	if len(sizes) < 3 || total < 2880 || total > 2882 {
		t.Errorf("backlog payloads %v (%d readings), want at least 3 holding 2,881", sizes, total)
	}
}

// TestFullBacklogDropsOldest: a device whose backlog holds 100 readings
// loses the oldest in a 3 h outage and counts them.
func TestFullBacklogDropsOldest(t *testing.T) {
	fleet := []sim.Spec{{ID: "conc-001", Kind: sim.KindConcentrator, RatedFlowLPM: 5, ReportInterval: time.Minute}}
	cfg := sim.Config{Fleet: fleet, Seed: 1, BacklogCap: 100,
		Events: []sim.Event{{At: time.Hour, For: 3 * time.Hour, Device: "*", Fault: sim.FaultOffline}}}
	msgs, s := run(t, cfg, 5*time.Hour)
	byDev := decodeAll(t, msgs, t0.Add(6*time.Hour))
	if d := s.Stats.Dropped.Load(); d < 75 || d > 85 {
		t.Errorf("dropped %d readings, want about 180-100 = 80", d)
	}
	var first time.Time
	for _, r := range byDev["conc-001"] {
		if r.backlog {
			first = r.Time
			break
		}
	}
	if want := t0.Add(4*time.Hour - 100*time.Minute); first.Before(want.Add(-2*time.Minute)) || first.After(want.Add(2*time.Minute)) {
		t.Errorf("oldest backlog reading at %s, want about %s (the newest 100 kept)", first, want)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	fleet := sim.GenerateFleet(3, 0, 1, time.Minute)
	tests := []struct {
		name string
		cfg  sim.Config
	}{
		{"empty fleet", sim.Config{Start: t0, Until: t0.Add(time.Hour), Publisher: &sim.Recorder{}}},
		{"no publisher", sim.Config{Fleet: fleet, Start: t0, Until: t0.Add(time.Hour)}},
		{"no clock and no end", sim.Config{Fleet: fleet, Start: t0, Publisher: &sim.Recorder{}}},
		{"no start", sim.Config{Fleet: fleet, Until: t0, Publisher: &sim.Recorder{}}},
		{"duplicate ids", sim.Config{Fleet: append(fleet, fleet[0]), Start: t0, Until: t0.Add(time.Hour), Publisher: &sim.Recorder{}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := sim.New(tc.cfg); err == nil {
				t.Error("New accepted it")
			}
		})
	}
}

// TestMalformedOnPurpose: the malformed fault makes payloads the decoder
// rejects, each with a named reason.
func TestMalformedOnPurpose(t *testing.T) {
	fleet := []sim.Spec{{ID: "conc-001", Kind: sim.KindConcentrator, RatedFlowLPM: 5, ReportInterval: time.Minute}}
	cfg := sim.Config{Fleet: fleet, Seed: 1, Events: []sim.Event{{At: time.Hour, For: 6 * time.Minute, Device: "*", Fault: sim.FaultMalformed}}}
	msgs, s := run(t, cfg, 2*time.Hour)
	reasons := map[ingest.Reason]bool{}
	for _, m := range msgs {
		if m.Status {
			continue
		}
		d := ingest.DecodeTelemetry("conc-001", m.Payload, t0.Add(3*time.Hour))
		for _, r := range d.Rejected {
			reasons[r.Reason] = true
		}
	}
	if n := s.Stats.Malformed.Load(); n != 6 {
		t.Errorf("%d malformed payloads, want 6", n)
	}
	if len(reasons) != 6 {
		t.Errorf("rejection reasons %v, want 6 different ones", reasons)
	}
}

func ExampleSim() {
	rec := &sim.Recorder{}
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	s, err := sim.New(sim.Config{
		Fleet:     []sim.Spec{{ID: "psa-001", Kind: sim.KindPSA, RatedFlowLPM: 500, ReportInterval: time.Hour}},
		Seed:      1,
		Start:     start,
		Until:     start.Add(24 * time.Hour),
		Publisher: rec, // mqttpub.New(...) publishes to a broker instead
		Events:    []sim.Event{{At: 2 * time.Hour, For: 3 * time.Hour, Kind: sim.KindPSA, Fault: sim.FaultOutage}},
	})
	if err != nil {
		panic(err)
	}
	_ = s.Run(context.Background())
	_ = s.Flush(context.Background())
	s.Close()
	for _, in := range s.Injections() {
		fmt.Println(in.Device, in.Fault, in.From.Format(time.RFC3339), in.Until.Format(time.RFC3339))
	}
	fmt.Println(len(rec.Messages()), "messages")
	// Output:
	// psa-001 outage 2026-11-01T02:00:00Z 2026-11-01T05:00:00Z
	// 26 messages
}
