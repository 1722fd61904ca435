package alerting

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// failing is a Notifier that refuses the first n calls.
type failing struct {
	recorder
	n int
}

func (f *failing) Enqueue(ctx context.Context, tx *sql.Tx, ts []plant.Transition) error {
	f.mu.Lock()
	if f.n > 0 {
		f.n--
		f.mu.Unlock()
		return errors.New("outbox full")
	}
	f.mu.Unlock()
	return f.recorder.Enqueue(ctx, tx, ts)
}

// TestAlertAndOutboxCommitTogether: when the Notifier fails, the alert's
// row is not stored either; the retry stores both, once.
func TestAlertAndOutboxCommitTogether(t *testing.T) {
	h := newHarness(t, Rules{}, psa("p1", ""))
	f := &failing{n: 2}
	h.e.opt.Notifier = f
	h.at(0)
	h.read("p1", running(state(plant.StateFault)))
	for range 2 {
		if err := h.e.Sync(h.ctx); err == nil {
			t.Fatal("Sync: want the notifier's error")
		}
		var n int
		if err := h.db.QueryRow(`SELECT COUNT(*) FROM alerting_alerts`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("%d alert rows stored while the notifier failed (%v), want 0", n, err)
		}
	}
	h.sync()
	h.wantOpen("p1", RuleDeviceFault, true)
	if got := f.keys(); len(got) != 1 || got[0] != "device_fault/p1/firing" {
		t.Fatalf("transitions %q, want the firing once", got)
	}
}

// TestConcurrentUse feeds readings from several goroutines while acks,
// lists and timelines run; go test -race checks the locking.
func TestConcurrentUse(t *testing.T) {
	var devs []plant.Device
	for i := range 40 {
		devs = append(devs, psa(fmt.Sprintf("p%02d", i), fmt.Sprintf("f%d", i%4)))
	}
	h := newHarness(t, Rules{}, devs...)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.e.Run(ctx) }()
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				d := devs[(g*10+i)%len(devs)]
				st := plant.StateRunning
				if i%7 == 0 {
					st = plant.StateFault
				}
				h.e.ObserveReading(plant.Reading{Device: d.ID, Time: t0.Add(time.Duration(i) * time.Second), State: st, Values: plant.Values{Purity: plant.Float(float64(70 + i%30))}}, true)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range 20 {
			list, err := h.e.Alerts(h.ctx, AlertFilter{State: "firing", Limit: 5})
			if err != nil {
				t.Error(err)
				return
			}
			for _, a := range list {
				if _, err := h.e.Ack(h.ctx, a.ID, "amos", ""); err != nil && !errors.Is(err, ErrConflict) {
					t.Error(err)
				}
			}
			if _, err := h.e.Timelines(h.ctx, nil, t0, t0.Add(time.Hour)); err != nil {
				t.Error(err)
			}
			h.e.sweep(h.clk.Now().UnixNano())
		}
	}()
	wg.Wait()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	list, err := h.e.Alerts(h.ctx, AlertFilter{})
	if err != nil || len(list) == 0 {
		t.Fatalf("alerts %d, %v: want some", len(list), err)
	}
	open := map[string]int{} // one open alert per (rule, device)
	for _, a := range list {
		if a.State == plant.AlertFiring || a.State == plant.AlertAcknowledged {
			open[a.Rule+"/"+string(a.Device)]++
		}
	}
	for k, n := range open {
		if n > 1 {
			t.Errorf("%s has %d open alerts, want 1", k, n)
		}
	}
}
