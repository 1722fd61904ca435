package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oxywatch/oxywatch/firmware-sim/sim"
	"github.com/oxywatch/oxywatch/ingest"
)

// TestMain lets a test start this test binary as the firmware-sim command.
func TestMain(m *testing.M) {
	if os.Getenv("FIRMWARE_SIM_BE_MAIN") == "1" {
		os.Args = append([]string{"firmware-sim"}, strings.Fields(os.Getenv("FIRMWARE_SIM_ARGS"))...)
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// command returns the firmware-sim command with args, run from this test
// binary.
func command(t *testing.T, args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "FIRMWARE_SIM_BE_MAIN=1", "FIRMWARE_SIM_ARGS="+strings.Join(args, " "))
	return cmd
}

func TestHelp(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := run(t.Context(), []string{"--help"}, &out, &errOut); err != nil {
		t.Fatalf("--help: %v", err)
	}
	help := errOut.String()
	// Every flag of CONTRACT §7, the built-in scenarios and the topics.
	for _, want := range []string{"-broker", "-devices", "-fleet", "-scenario", "-seed", "-speed", "-interval",
		"-duration", "-rate", "-stamp", "demo", "outage-night", "sieve-wear-30d", "storm", "o2/DEVICE/telemetry", "Ctrl-C"} {
		if !strings.Contains(help, want) {
			t.Errorf("--help does not mention %s", want)
		}
	}
}

func TestBadFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--speed", "0"}, "--speed"},
		{[]string{"--rate", "-5"}, "--rate"},
		{[]string{"--devices", "0"}, "--devices"},
		{[]string{"--interval", "0s"}, "--interval"},
		{[]string{"--password", "x"}, "--username"},
		{[]string{"--start", "2999-01-01T00:00:00Z"}, "future"},
		{[]string{"--start", "yesterday"}, "--start"},
		{[]string{"--scenario", "no-such"}, "no-such"},
		{[]string{"--fleet", "/no/such.csv"}, "fleet"},
		{[]string{"--log-level", "loud"}, "--log-level"},
		{[]string{"--no-such-flag"}, "bad usage"},
		{[]string{"stray"}, "bad usage"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			args := append([]string{"--dry-run", "--duration", "1ms"}, tc.args...)
			err := run(t.Context(), args, &bytes.Buffer{}, &bytes.Buffer{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error naming %s", err, tc.want)
			}
		})
	}
}

func TestStartTime(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		o    options
		want time.Time
	}{
		{options{speed: 1}, now},
		{options{speed: 61, duration: time.Minute}, now.Add(-time.Hour)},
		{options{speed: 2}, now.Add(-time.Hour)},
		{options{speed: 1, start: "-30d"}, now.Add(-720 * time.Hour)},
		{options{speed: 100, start: "2026-11-01T00:00:00Z"}, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)},
	}
	for _, tc := range tests {
		got, err := tc.o.startTime(now)
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("%+v: got %s, %v; want %s", tc.o, got, err, tc.want)
		}
	}
}

func TestLoadInterval(t *testing.T) {
	if got := loadInterval(500, 1, 10000); got != 50*time.Millisecond {
		t.Errorf("500 devices at 10,000/s: interval %s, want 50ms", got)
	}
	if got := loadInterval(100, 60, 1000); got != 6*time.Second {
		t.Errorf("100 devices at ×60 and 1,000/s: interval %s, want 6s", got)
	}
}

// TestDryRunPassesDecoder runs the command accelerated through the
// outage-night scenario and decodes every line it prints with the server's
// decoders.
func TestDryRunPassesDecoder(t *testing.T) {
	var out, errOut bytes.Buffer
	truth := t.TempDir() + "/truth.jsonl"
	args := []string{"--dry-run", "--devices", "15", "--speed", "7200", "--duration", "4s", "--scenario", "outage-night",
		"--stamp", "--gsm-drops", "5", "--truth", truth, "--progress", "500ms"}
	if err := run(t.Context(), args, &out, &errOut); err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	now := time.Now()
	readings, backlogs := 0, 0
	sc := bufio.NewScanner(&out)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		topic, payload, _ := strings.Cut(sc.Text(), " ")
		dev, kind, rej := ingest.ParseTopic("o2", topic)
		if rej != nil {
			t.Fatalf("topic %q: %v", topic, rej)
		}
		if kind == ingest.TopicStatus {
			if _, rej := ingest.DecodeStatus([]byte(payload)); rej != nil {
				t.Fatalf("%s: %v", dev, rej)
			}
			continue
		}
		d := ingest.DecodeTelemetry(dev, []byte(payload), now)
		if len(d.Rejected) > 0 {
			t.Fatalf("%s: %v in %.200s", dev, d.Rejected[0], payload)
		}
		readings += len(d.Readings)
		if d.Backlog {
			backlogs++
		}
	}
	if readings < 15*100 || backlogs == 0 {
		// 8 simulated hours at one reading a minute would be 7,200; a loaded
		// CI machine under -race got 1,407 in 2 s, so the run is 4 s and the
		// floor about a fifth of the most.
		t.Errorf("%d readings, %d backlogs: want at least 100 readings of each of 15 devices, with outages", readings, backlogs)
	}
	if !strings.Contains(errOut.String(), "sim 20") {
		t.Errorf("no progress line in:\n%s", errOut.String())
	}
	b, err := os.ReadFile(truth)
	if err != nil {
		t.Fatal(err)
	}
	var outages int
	for line := range strings.Lines(string(b)) {
		var in sim.Injection
		if err := json.Unmarshal([]byte(line), &in); err != nil {
			t.Fatalf("truth line %q: %v", line, err)
		}
		if in.Fault == sim.FaultOutage {
			outages++
		}
	}
	if outages == 0 {
		t.Errorf("ground truth has no outage:\n%s", b)
	}
}

// TestSameSeedSameOutput: two dry runs over the same simulated span print
// the same readings.
func TestSameSeedSameOutput(t *testing.T) {
	runOnce := func() []string {
		var out bytes.Buffer
		args := []string{"--dry-run", "--devices", "8", "--start", "2026-11-01T00:00:00Z", "--speed", "1e9",
			"--duration", "3s", "--scenario", "storm", "--seed", "42"}
		if err := run(t.Context(), args, &out, &bytes.Buffer{}); err != nil {
			t.Fatal(err)
		}
		var lines []string
		for line := range strings.Lines(out.String()) {
			if strings.Contains(line, `"ts":"2026-11-01T`) {
				lines = append(lines, line)
			}
		}
		return lines
	}
	a, b := runOnce(), runOnce()
	// How far a run gets in its real seconds varies (3 s: a loaded CI
	// machine under -race reached under 2,000 readings in 1 s), and so may the order in
	// which devices' lines interleave: compare, sorted, every reading both
	// runs reached.
	tsOf := func(line string) string {
		_, rest, _ := strings.Cut(line, `"ts":"`)
		ts, _, _ := strings.Cut(rest, `"`)
		return ts
	}
	// Each device is only sure to have all its readings up to its own last
	// one, so the cut is the earliest of every device's last reading.
	lastTS := func(lines []string) string {
		last := map[string]string{}
		for _, l := range lines {
			dev, _, _ := strings.Cut(l, " ")
			last[dev] = max(last[dev], tsOf(l))
		}
		m := ""
		for _, ts := range last {
			if m == "" || ts < m {
				m = ts
			}
		}
		return m
	}
	cut := min(lastTS(a), lastTS(b))
	common := func(lines []string) []string {
		var out []string
		for _, l := range lines {
			if tsOf(l) < cut {
				out = append(out, l)
			}
		}
		slices.Sort(out)
		return out
	}
	ca, cb := common(a), common(b)
	if len(ca) < 2000 {
		t.Fatalf("%d readings before %s in both runs, want thousands", len(ca), cut)
	}
	if !slices.Equal(ca, cb) {
		t.Errorf("the same seed printed different readings (%d and %d before %s)", len(ca), len(cb), cut)
	}
}

func TestWriteFleet(t *testing.T) {
	var out bytes.Buffer
	if err := run(t.Context(), []string{"--write-fleet", "-", "--devices", "40"}, &out, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	fleet, _, err := sim.ReadFleet(&out)
	if err != nil || len(fleet) != 40 {
		t.Fatalf("read back %d devices: %v", len(fleet), err)
	}
	path := t.TempDir() + "/fleet.csv"
	if err := os.WriteFile(path, []byte("id,kind\npsa-9,psa\nconc-9,concentrator\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := run(t.Context(), []string{"--fleet", path, "--dry-run", "--speed", "600", "--duration", "200ms"}, &out, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	for _, dev := range []string{"o2/psa-9/telemetry", "o2/conc-9/telemetry"} {
		if !strings.Contains(out.String(), dev) {
			t.Errorf("no %s in a run of the CSV fleet", dev)
		}
	}
}
