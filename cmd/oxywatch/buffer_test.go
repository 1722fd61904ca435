package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oxywatch/oxywatch/internal/testenv"
)

// Readings dead-lettered because they were older than the retention policy
// go in once the policy is lengthened; a broken line stays in the file
// until it is corrected by hand.
func TestReplayDeadLettersAfterTheCauseIsFixed(t *testing.T) {
	in := testenv.StartInfluxd(t, "")
	if _, err := in.Query("CREATE DATABASE plant WITH DURATION 1h"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	t.Setenv("OXYWATCH_CONFIG", "")
	t.Setenv("OXYWATCH_DATA_DIR", dir)
	t.Setenv("OXYWATCH_INFLUX_URL", in.URL)
	t.Setenv("OXYWATCH_INFLUX_BUCKET", "plant/autogen")
	old := time.Now().Add(-72 * time.Hour).UnixMilli()
	broken := fmt.Sprintf("o2_reading,device=dev-9 purity_pct= %d", old)
	// As the sender writes it, with one group in the older format that named no reason.
	file := filepath.Join(dir, "buffer", "dead-letter.lp")
	body := fmt.Sprintf(`# 2026-11-20T08:00:00Z refused (beyond_retention): influxdb write: 400 partial write: points beyond retention policy dropped=1
o2_reading,device=dev-1 purity_pct=93.1,flow_lpm=410 %[1]d
o2_reading,device=dev-2 purity_pct=93.2,flow_lpm=420 %[1]d
# 2026-11-20T08:00:01Z refused: influxdb write: 400 partial write: points beyond retention policy dropped=1
o2_reading,device=dev-3 purity_pct=93.3,flow_lpm=430 %[1]d
o2_reading,device=dev-3 purity_pct=93.3,flow_lpm=430 %[1]d
# 2026-11-20T08:00:02Z refused (parse_error): influxdb write: 400 unable to parse
%[2]s
`, old, broken)
	if err := os.MkdirAll(filepath.Dir(file), 0o750); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Dir(file), "dead-letter.lp", body)
	stored := func() int {
		n, err := in.Count(t.Context(), "plant", "o2_reading", "flow_lpm")
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	out, _, err := runCmd(t, "buffer", "replay-dead-letters", "--dry-run")
	if err != nil || !strings.Contains(out, "4 lines (and 1 duplicates") || !strings.Contains(out, "beyond_retention     2") || !strings.Contains(out, "nothing sent") {
		t.Errorf("dry run: %v\n%s", err, out)
	}
	if b, _ := os.ReadFile(file); string(b) != body || stored() != 0 {
		t.Fatalf("dry run changed the file or sent lines:\n%s", b)
	}

	// Before the fix: everything still refused, and kept.
	out, _, err = runCmd(t, "buffer", "replay-dead-letters")
	if err == nil || !strings.Contains(err.Error(), "4 lines still refused") || !strings.Contains(out, "beyond_retention     3") {
		t.Errorf("replay before the fix: %v\n%s", err, out)
	}
	if got := dataLines(t, file); len(got) != 4 {
		t.Errorf("file holds %d lines after a replay that sent nothing, want 4:\n%s", len(got), strings.Join(got, "\n"))
	}

	// The fix: keep data for ever.
	if _, err := in.Query("ALTER RETENTION POLICY autogen ON plant DURATION INF"); err != nil {
		t.Fatal(err)
	}
	out, _, err = runCmd(t, "buffer", "replay-dead-letters")
	if err == nil || !strings.Contains(err.Error(), "1 line still refused") || !strings.Contains(out, "sent 3 lines") {
		t.Errorf("replay after the fix: %v\n%s", err, out)
	}
	if n := stored(); n != 3 {
		t.Errorf("got %d readings in InfluxDB, want 3", n)
	}
	if got := dataLines(t, file); len(got) != 1 || got[0] != broken {
		t.Errorf("file holds %q, want only the broken line", got)
	}
	if b, _ := os.ReadFile(file); !strings.Contains(string(b), "refused (parse_error): influxdb write: 400 unable to parse 'o2_reading,device=dev-9 purity_pct=") {
		t.Errorf("the broken line's reason is not InfluxDB's latest answer:\n%s", b)
	}

	// Corrected by hand, it goes in too, and the file goes away.
	writeFile(t, filepath.Dir(file), "dead-letter.lp", strings.Replace(broken, "purity_pct=", "purity_pct=91,flow_lpm=400", 1)+"\n")
	if out, _, err := runCmd(t, "buffer", "replay-dead-letters"); err != nil || !strings.Contains(out, "sent 1 line to InfluxDB") {
		t.Errorf("replay of the corrected line: %v\n%s", err, out)
	}
	if n := stored(); n != 4 {
		t.Errorf("got %d readings in InfluxDB, want 4", n)
	}
	if _, err := os.Stat(file); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the emptied dead-letter file is still there (%v)", err)
	}
	if out, _, err := runCmd(t, "buffer", "replay-dead-letters"); err != nil || !strings.Contains(out, "nothing to replay") {
		t.Errorf("replay with no dead letters: %v\n%s", err, out)
	}
}

func dataLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

// InfluxDB unreachable: the command says what to do and keeps every line.
func TestReplayDeadLettersWhileInfluxDBIsDown(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("OXYWATCH_CONFIG", "")
	t.Setenv("OXYWATCH_DATA_DIR", dir)
	t.Setenv("OXYWATCH_INFLUX_URL", fmt.Sprintf("http://127.0.0.1:%d", testenv.FreePort(t)))
	body := "# 2026-11-20T08:00:00Z refused (beyond_retention): x\nm v=1 1\nm v=2 2\n"
	if err := os.MkdirAll(filepath.Join(dir, "buffer"), 0o750); err != nil {
		t.Fatal(err)
	}
	file := writeFile(t, filepath.Join(dir, "buffer"), "dead-letter.lp", body)
	_, _, err := runCmd(t, "buffer", "replay-dead-letters")
	if err == nil || !strings.Contains(err.Error(), "the 2 lines not sent yet stay in "+file) || !strings.Contains(err.Error(), "check that InfluxDB at") {
		t.Errorf("got %v, want an error saying the 2 lines stay and to check InfluxDB", err)
	}
	if got := dataLines(t, file); len(got) != 2 {
		t.Errorf("file holds %q, want both lines", got)
	}
}

func TestBufferHelp(t *testing.T) {
	t.Setenv("OXYWATCH_CONFIG", "")
	t.Setenv("OXYWATCH_DATA_DIR", t.TempDir())
	out, _, err := runCmd(t, "help")
	if err != nil || !strings.Contains(out, "oxywatch buffer [--config FILE] COMMAND") {
		t.Errorf("oxywatch help does not list buffer: %v\n%s", err, out)
	}
	_, errOut, err := runCmd(t, "buffer", "replay-dead-letters", "--help")
	if !errors.Is(err, flag.ErrHelp) || !strings.Contains(errOut, "--dry-run") || !strings.Contains(errOut, "beyond_retention") {
		t.Errorf("replay-dead-letters --help: %v\n%s", err, errOut)
	}
	if _, _, err := runCmd(t, "buffer", "frobnicate"); err == nil || !strings.Contains(err.Error(), "oxywatch buffer help") {
		t.Errorf("unknown buffer command: got %v, want a pointer to the help", err)
	}
}
