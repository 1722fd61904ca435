package alerting

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// outbox is a Notifier that, like notify's, writes each transition in the
// engine's transaction under its stable key; a duplicate key fails it.
type outbox struct{ recorder }

func (o *outbox) Enqueue(ctx context.Context, tx *sql.Tx, ts []plant.Transition) error {
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS test_outbox (key TEXT PRIMARY KEY)`); err != nil {
		return err
	}
	for _, t := range ts {
		if _, err := tx.ExecContext(ctx, `INSERT INTO test_outbox (key) VALUES (?)`, t.Key()); err != nil {
			return fmt.Errorf("transition %s: %w", t.Key(), err)
		}
	}
	return o.recorder.Enqueue(ctx, tx, ts)
}

func outboxKeys(t *testing.T, db *sql.DB) []string {
	t.Helper()
	rows, err := db.Query(`SELECT key FROM test_outbox ORDER BY rowid`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		out = append(out, k)
	}
	return out
}

const childEnv = "OXYWATCH_ALERTING_SIGKILL_DB"

var restartDevices = []plant.Device{psa("A", "f1"), psa("B", "f2"), psa("C", "f3")}

// TestRestartAfterSIGKILL runs an engine in a child process (this test
// binary again), kills it with SIGKILL once it has alerts firing,
// acknowledged and pending, then opens the same database: the same alerts
// are open with the same ids, the pending timer fires at its original time,
// and nothing is announced twice.
func TestRestartAfterSIGKILL(t *testing.T) {
	if path := os.Getenv(childEnv); path != "" {
		sigkillChild(t, path)
		return
	}
	path := filepath.Join(t.TempDir(), "oxywatch.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestRestartAfterSIGKILL$", "-test.v")
	cmd.Env = append(os.Environ(), childEnv+"="+path)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if line, ok := strings.CutPrefix(sc.Text(), "READY "); ok {
				ready <- line
				return
			}
		}
		close(ready)
	}()
	var before map[string]plant.Alert
	select {
	case line, ok := <-ready:
		if !ok {
			t.Fatal("child exited before it was ready")
		}
		if err := json.Unmarshal([]byte(line), &before); err != nil {
			t.Fatal(err)
		}
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatal("child not ready after 60s")
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	cmd.Wait()

	h := openRestartHarness(t, path, t0.Add(90*time.Second))
	for key, want := range before {
		dev, rule, _ := strings.Cut(key, "/")
		got := h.wantOpen(dev, rule, true)
		if got.ID != want.ID || got.State != want.State || got.AckCode != want.AckCode || got.AckedBy != want.AckedBy {
			t.Errorf("%s after SIGKILL: %+v, want %+v", key, got, want)
		}
	}
	h.at(90 * time.Second)
	h.at(119 * time.Second)
	h.wantOpen("A", RuleLowPurity, false)
	h.at(120 * time.Second) // A's low_purity timer, started at 0: fires, muted by critical_purity
	h.wantOpen("A", RuleLowPurity, true)
	h.at(179 * time.Second)
	h.wantOpen("B", RuleLowPressure, false)
	h.at(180 * time.Second) // B's low_pressure timer, started at 60 s
	if a := h.wantOpen("B", RuleLowPressure, true); !a.StartedAt.Equal(t0.Add(180 * time.Second)) {
		t.Errorf("B low_pressure started %s, want t0+3m", a.StartedAt)
	}
	h.read("A", running(purity(75)))
	h.read("C", running(state(plant.StateFault)))
	if a := h.wantOpen("A", RuleCriticalPurity, true); a.ID != before["A/critical_purity"].ID {
		t.Errorf("A critical_purity id %d, want %d", a.ID, before["A/critical_purity"].ID)
	}
	h.wantTransitions("low_pressure/B/firing")
	if tl := h.timeline("A", 0, 10*time.Minute); tl != "down@0-" { // 75 %: below critical_purity
		t.Errorf("A's timeline after SIGKILL %s, want one open down interval from 0", tl)
	}
	keys := outboxKeys(t, h.db)
	want := []string{
		fmt.Sprintf("device_fault/C/%d/firing", before["C/device_fault"].ID),
		fmt.Sprintf("critical_purity/A/%d/firing", before["A/critical_purity"].ID),
		fmt.Sprintf("device_fault/C/%d/acknowledged", before["C/device_fault"].ID),
	}
	if len(keys) != 4 || strings.Join(keys[:3], " ") != strings.Join(want, " ") {
		t.Fatalf("outbox %q, want %q then B's low_pressure", keys, want)
	}
}

func openRestartHarness(t *testing.T, path string, now time.Time) *harness {
	h := openHarness(t, path, now, Rules{}, restartDevices...)
	ob := &outbox{}
	h.e.opt.Notifier = ob
	h.rec = &ob.recorder
	return h
}

// sigkillChild builds the state the parent kills: A's critical_purity
// firing (low_purity pending since 0), C's device_fault acknowledged, B's
// low_pressure pending since 60 s. Its engine runs its loop as in serve.
func sigkillChild(t *testing.T, path string) {
	h := openRestartHarness(t, path, t0)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go h.e.Run(ctx)
	h.at(0)
	h.read("A", running(purity(75)))
	h.read("C", running(state(plant.StateFault)))
	h.at(time.Minute)
	h.read("A", running(purity(75)))
	h.read("B", running(pressure(3)))
	c, _ := h.open("C", RuleDeviceFault)
	if _, err := h.e.Ack(h.ctx, c.ID, "amos", "on my way"); err != nil {
		t.Fatal(err)
	}
	h.sync()
	open := map[string]plant.Alert{}
	for _, k := range []string{"A/critical_purity", "C/device_fault"} {
		dev, rule, _ := strings.Cut(k, "/")
		open[k] = h.wantOpen(dev, rule, true)
	}
	b, _ := json.Marshal(open)
	fmt.Printf("READY %s\n", b)
	select {} // until SIGKILL
}

// TestRestartAfterStop: a clean stop saves device state, so after it a
// reading older than the newest one before the stop is still late, and
// the values the rules saw are kept.
func TestRestartAfterStop(t *testing.T) {
	path := filepath.Join(t.TempDir(), "oxywatch.db")
	h := openHarness(t, path, t0, Rules{}, psa("A", ""))
	done := make(chan error, 1)
	go func() { done <- h.e.Run(context.Background()) }()
	h.at(0)
	h.read("A", running(purity(75), runtime(120)))
	h.at(time.Minute)
	h.read("A", running(purity(75), runtime(121)))
	first := h.wantOpen("A", RuleCriticalPurity, true)
	h.e.Stop()
	h.e.Stop() // idempotent
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	h2 := openHarness(t, path, t0.Add(2*time.Minute), Rules{}, psa("A", ""))
	r := running(purity(95))
	r.Device, r.Time = "A", t0.Add(30*time.Second)
	h2.e.ObserveReading(r, true) // late: before the newest seen before the stop
	if a := h2.wantOpen("A", RuleCriticalPurity, true); a.ID != first.ID {
		t.Fatalf("id %d after restart, want %d", a.ID, first.ID)
	}
	items, err := h2.e.MaintenanceDue(h2.ctx)
	if err != nil || len(items) == 0 || !items[0].Known || items[0].RuntimeH != 121 {
		t.Fatalf("maintenance after restart %+v, %v: want runtime 121 h kept", items, err)
	}
	h2.wantTransitions()
}
