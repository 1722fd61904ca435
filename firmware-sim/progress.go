package main

import (
	"fmt"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/oxywatch/oxywatch/firmware-sim/sim"
)

// results collects the outcome of every telemetry publish: acknowledged or
// not, and the time from Publish to the broker's acknowledgement.
type results struct {
	acked, errors atomic.Int64

	mu        sync.Mutex
	latencies []time.Duration // since the last take
}

func newResults() *results { return &results{} }

func (r *results) record(latency time.Duration, err error) {
	if err != nil {
		r.errors.Add(1)
		return
	}
	r.acked.Add(1)
	r.mu.Lock()
	if len(r.latencies) < 1<<20 {
		r.latencies = append(r.latencies, latency)
	}
	r.mu.Unlock()
}

// take returns the latencies recorded since the last take.
func (r *results) take() []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	l := r.latencies
	r.latencies = make([]time.Duration, 0, len(l))
	return l
}

// quantiles are p50, p99 and max of l (sorted in place).
func quantiles(l []time.Duration) (p50, p99, top time.Duration) {
	if len(l) == 0 {
		return 0, 0, 0
	}
	slices.Sort(l)
	at := func(q float64) time.Duration { return l[min(len(l)-1, int(q*float64(len(l))))] }
	return at(0.5), at(0.99), l[len(l)-1]
}

// progress prints a status line every period until stopped: in load mode
// the rates of the last period, otherwise where simulated time has got to.
type progress struct {
	done chan struct{}
	wg   sync.WaitGroup
}

func (r *runner) startProgress(s *sim.Sim, start time.Time) *progress {
	period := r.o.progress
	tty := isTerminal(r.stderr)
	if period <= 0 {
		period = 10 * time.Second
		if tty || r.o.rate > 0 {
			period = time.Second
		}
	}
	p := &progress{done: make(chan struct{})}
	p.wg.Go(func() {
		t := time.NewTicker(period)
		defer t.Stop()
		var last snapshot
		for {
			select {
			case <-p.done:
				if tty && r.o.rate == 0 {
					fmt.Fprintln(r.stderr)
				}
				return
			case <-t.C:
				now := snap(s, r.results, r.now())
				r.printProgress(now, last, start, tty)
				last = now
			}
		}
	})
	return p
}

func (p *progress) stop() {
	close(p.done)
	p.wg.Wait()
}

type snapshot struct {
	at                    time.Time
	readings, acked, errs int64
	queued                int64
	sim                   time.Time
}

func snap(s *sim.Sim, res *results, now time.Time) snapshot {
	return snapshot{at: now, readings: s.Stats.Readings.Load(), acked: res.acked.Load(), errs: res.errors.Load(),
		queued: s.Stats.Queued.Load(), sim: time.Unix(0, s.Stats.SimNanos.Load()).UTC()}
}

func (r *runner) printProgress(now, last snapshot, start time.Time, tty bool) {
	if last.at.IsZero() {
		last.at = start
	}
	secs := now.at.Sub(last.at).Seconds()
	rate := func(a, b int64) float64 { return float64(a-b) / secs }
	if r.o.rate > 0 {
		p50, p99, top := quantiles(r.results.take())
		fmt.Fprintf(r.stderr, "load %5.0fs  readings/s %7.0f (target %.0f)  acked/s %7.0f  errors %d  latency p50 %s p99 %s max %s  backlog %d\n",
			now.at.Sub(start).Seconds(), rate(now.readings, last.readings), r.o.rate, rate(now.acked, last.acked),
			now.errs-last.errs, p50.Round(10*time.Microsecond), p99.Round(10*time.Microsecond), top.Round(10*time.Microsecond), now.queued)
		return
	}
	r.results.take() // keep the latency buffer small
	line := fmt.Sprintf("sim %s  %s real  readings %d (%.0f/s)  acked %d  errors %d  backlog %d",
		now.sim.Format("2006-01-02 15:04"), now.at.Sub(start).Round(time.Second), now.readings,
		rate(now.readings, last.readings), now.acked, now.errs, now.queued)
	if tty {
		fmt.Fprintf(r.stderr, "\r\033[K%s", line)
		return
	}
	fmt.Fprintln(r.stderr, line)
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w any) bool {
	if lw, ok := w.(*lockedWriter); ok {
		w = lw.w
	}
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
