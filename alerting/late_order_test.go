package alerting

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// The status timeline must not depend on the order a device's readings
// arrive in: shared subscriptions and the ingester's workers interleave
// them, and backlogs arrive after newer live readings.

// orderDevice reports every 5 minutes (a reading covers 15).
func orderDevice() plant.Device {
	d := concentrator("c1", "f1")
	d.ReportIntervalS = 300
	return d
}

// timed is one reading of the sequences below: k report intervals after
// the start, down (power none, state off) or running.
type timed struct {
	k    int
	down bool
}

func (x timed) reading(base time.Time) plant.Reading {
	r := running(purity(93))
	if x.down {
		r = running(state(plant.StateOff), power(plant.PowerNone))
	}
	r.Device, r.Time = "c1", base.Add(time.Duration(x.k)*5*time.Minute)
	return r
}

// timelineOf feeds the readings in the given order (each one as history)
// to a fresh engine and returns the device's timeline, adjacent intervals
// of one status and cause joined.
func timelineOf(t *testing.T, seq []timed) string {
	t.Helper()
	h := newHarness(t, Rules{}, orderDevice())
	base := t0.Add(-30 * 24 * time.Hour)
	for _, x := range seq {
		h.e.ObserveReading(x.reading(base), false)
	}
	return timelineText(t, h, "c1", base.Add(-time.Hour), t0, base)
}

// timelineText reads dev's timeline over [from, to) and writes it a row
// per status and cause, neighbours of the same one joined, times from base.
func timelineText(t *testing.T, h *harness, dev plant.DeviceID, from, to, base time.Time) string {
	t.Helper()
	m, err := h.e.Timelines(h.ctx, []plant.DeviceID{dev}, from, to)
	if err != nil {
		t.Fatal(err)
	}
	var out []plant.StatusInterval
	for _, iv := range m[dev] {
		if n := len(out); n > 0 && out[n-1].Status == iv.Status && out[n-1].Cause == iv.Cause && out[n-1].End.Equal(iv.Start) {
			out[n-1].End = iv.End
			continue
		}
		out = append(out, iv)
	}
	var b strings.Builder
	for _, iv := range out {
		fmt.Fprintf(&b, "%s %s [%v, %v)\n", iv.Status, iv.Cause, iv.Start.Sub(base), iv.End.Sub(base))
	}
	return b.String()
}

// TestLateReadingsInterleaved feeds interleavings seen in the pipeline
// test (report TestPipelineThirtyDays): each must give the timeline of the
// readings in order.
func TestLateReadingsInterleaved(t *testing.T) {
	run := func(lo, hi int, down bool) []timed {
		var s []timed
		for k := lo; k <= hi; k++ {
			s = append(s, timed{k, down})
		}
		return s
	}
	// 0..9 running, 10 down (a one-reading blip of the mains), 11..20
	// running, 21..40 down, 41..50 running
	all := slices.Concat(run(0, 9, false), run(10, 10, true), run(11, 20, false), run(21, 40, true), run(41, 50, false))
	want := timelineOf(t, all)
	if !strings.Contains(want, "down power:none [50m0s, 55m0s)") || !strings.Contains(want, "down power:none [1h45m0s, 3h25m0s)") {
		t.Fatalf("in order:\n%s", want)
	}
	cases := map[string][]timed{
		// the blip arrives after the readings around it: it splits the open segment
		"blip late in the open segment": slices.Concat(run(0, 9, false), run(11, 20, false), run(10, 10, true), run(21, 40, true), run(41, 50, false)),
		// the blip arrives after the whole day: it splits a closed row between its readings
		"blip late in a closed row": slices.Concat(run(0, 9, false), run(11, 20, false), run(21, 40, true), run(41, 50, false), run(10, 10, true)),
		// the outage's last reading arrives after the first one back: it
		// extends the closed down row's seen readings, not its end
		"outage end reordered": slices.Concat(all[:40], all[41:42], all[40:41], all[42:]),
		// a backlog arrives after the device's newest reading, its readings
		// across the outage's end in reverse order (the first running one
		// placed before the down ones that precede it)
		"backlog reversed": slices.Concat(all[50:], reversed(all[:50])),
		// the backlog's readings fill their own coverage first, then the
		// reading that ends the outage lands in the inferred tail of a down row
		"backlog, outage end last": slices.Concat(all[50:], filter(all[:50], 41), all[41:42]),
	}
	for name, seq := range cases {
		if len(seq) != len(all) {
			t.Fatalf("%s: %d readings, want %d", name, len(seq), len(all))
		}
		if got := timelineOf(t, seq); got != want {
			t.Errorf("%s: timeline\n%s\nwant (in order)\n%s", name, got, want)
		}
	}
}

func reversed(s []timed) []timed {
	s = slices.Clone(s)
	slices.Reverse(s)
	return s
}

// filter is s without the reading at k.
func filter(s []timed, k int) []timed {
	return slices.DeleteFunc(slices.Clone(s), func(x timed) bool { return x.k == k })
}

// TestLateReadingsAnyOrder feeds random readings (outages of one to ten
// readings, GSM gaps longer than a reading covers) in random orders: the
// timeline must be the one of the readings in order.
func TestLateReadingsAnyOrder(t *testing.T) {
	for seed := range uint64(12) {
		rng := rand.New(rand.NewPCG(seed, 99))
		var seq []timed
		down := false
		for k := 0; k < 120; k++ {
			if rng.IntN(40) == 0 {
				k += 4 + rng.IntN(10) // a GSM gap: no_data
			}
			if rng.IntN(6) == 0 {
				down = !down
			}
			seq = append(seq, timed{k, down})
		}
		want := timelineOf(t, seq)
		for try := range 3 {
			shuffled := slices.Clone(seq)
			switch try {
			case 0: // any order
				rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
			case 1: // the newest first, then a backlog in order
				shuffled = append([]timed{seq[len(seq)-1]}, seq[:len(seq)-1]...)
			case 2: // neighbours swapped, as two workers do
				for i := 0; i+1 < len(shuffled); i += 1 + rng.IntN(2) {
					shuffled[i], shuffled[i+1] = shuffled[i+1], shuffled[i]
				}
			}
			if got := timelineOf(t, shuffled); got != want {
				t.Errorf("seed %d, order %d: timeline\n%s\nwant (in order)\n%s", seed, try, got, want)
			}
		}
	}
}

// warmStep is one reading of a PSA plant that reports every 5 minutes
// (warm-up 30 min): k intervals after the start, off (power none) or
// running at purity p.
type warmStep struct {
	k   int
	off bool
	p   float64
}

// warmSeq: at spec, a power cut, the power back with purity rising from
// 55 % to spec within the warm-up, at spec, a GSM gap past the offline
// deadline, back with purity rising again, too slowly (below critical
// past the warm-up), at spec.
func warmSeq() []warmStep {
	var s []warmStep
	add := func(lo, hi int, off bool, ps ...float64) {
		for k := lo; k <= hi; k++ {
			p := 93.0
			if i := k - lo; i < len(ps) {
				p = ps[i]
			}
			s = append(s, warmStep{k, off, p})
		}
	}
	add(0, 9, false)
	add(10, 15, true)
	add(16, 30, false, 55, 62, 69, 76, 83, 88) // spec at 22 (30 min)
	// 31..34: a GSM gap
	add(35, 50, false, 58, 62, 66, 70, 74, 78, 80, 86) // warm-up ends at 41 (30 min), spec at 43
	return s
}

// warmTimelineOf feeds the readings live in the given order, each arriving
// a second after the newest timestamp fed so far, and returns the PSA's
// timeline with causes, adjacent intervals of one status and cause joined.
func warmTimelineOf(t *testing.T, seq []warmStep) string {
	t.Helper()
	dev := psa("p1", "f1")
	dev.ReportIntervalS = 300
	h := newHarness(t, Rules{}, dev)
	newest := t0
	for _, x := range seq {
		r := running(purity(x.p))
		if x.off {
			r = running(state(plant.StateOff), power(plant.PowerNone))
		}
		r.Device, r.Time = "p1", t0.Add(time.Duration(x.k)*5*time.Minute)
		if r.Time.After(newest) {
			newest = r.Time
		}
		h.clk.Set(newest.Add(time.Second))
		h.e.ObserveReading(r, true)
	}
	return timelineText(t, h, "p1", t0.Add(-time.Hour), newest.Add(time.Hour), t0)
}

// TestLateReadingsWarmUp: a reading during a warm-up (after the power
// comes back, or after a GSM gap) is judged by the warm-up at its own
// time whether it arrives in order or late, so the timeline does not
// depend on the order. The engine learns a warm-up from its start arriving
// live; orders where the whole warm-up, its start included, arrives as a
// backlog after a newer reading are not covered (the start is not seen).
func TestLateReadingsWarmUp(t *testing.T) {
	seq := warmSeq()
	want := warmTimelineOf(t, seq)
	for _, w := range []string{
		"down power:none [50m0s, 1h20m0s)",
		"degraded purity:warming_up [1h20m0s, 1h40m0s)\ndegraded purity:below_spec [1h40m0s, 1h50m0s)",
		"degraded purity:warming_up [2h55m0s, 3h25m0s)\ndown purity:below_critical [3h25m0s, 3h30m0s)",
	} {
		if !strings.Contains(want, w) {
			t.Fatalf("in order, no %q:\n%s", w, want)
		}
	}
	swap := func(first int) []warmStep { // neighbours swapped from first on
		s := slices.Clone(seq)
		for i := first; i+1 < len(s); i += 2 {
			s[i], s[i+1] = s[i+1], s[i]
		}
		return s
	}
	cases := map[string][]warmStep{
		"pairs swapped":            swap(0), // each start arrives after the reading that follows it
		"pairs swapped, offset":    swap(1), // each start arrives before the last reading of the outage
		"warm-up readings delayed": slices.Concat(seq[:17], seq[19:21], seq[17:19], seq[21:]),
	}
	for seed := range uint64(4) { // neighbours swapped at random, as two workers do
		rng := rand.New(rand.NewPCG(seed, 7))
		s := slices.Clone(seq)
		for i := 0; i+1 < len(s); i += 1 + rng.IntN(2) {
			s[i], s[i+1] = s[i+1], s[i]
		}
		cases[fmt.Sprintf("random swaps %d", seed)] = s
	}
	for name, s := range cases {
		if got := warmTimelineOf(t, s); got != want {
			t.Errorf("%s: timeline\n%s\nwant (in order)\n%s", name, got, want)
		}
	}
}
