package alerting

import (
	"slices"
	"testing"

	"github.com/oxywatch/oxywatch/internal/plant"
)

func TestWriterMergesFillsOfARun(t *testing.T) {
	w := &writer{}
	fill := func(dev string, ts int64, st plant.Status) op {
		return op{kind: opFill, dev: plant.DeviceID("dev-" + dev), fills: []int64{ts}, status: st}
	}
	for _, o := range []op{
		fill("a", 0, "operational"), fill("b", 0, "operational"), fill("a", 60, "operational"), fill("a", 30, "operational"), // a: one run
		{kind: opSegment, dev: "dev-a", closeAt: 200, start: 200},
		fill("a", 100, "operational"),                                                 // after a segment of a: not merged across it
		fill("b", 500, "down"),                                                        // another status
		{kind: opFill, dev: "dev-b", fills: []int64{600}, status: "down", weak: true}, // extras only: never merged
	} {
		if !w.merge(o) {
			w.q = append(w.q, o)
		}
	}
	if len(w.q) != 6 {
		t.Fatalf("got %d queued ops, want 6: %+v", len(w.q), w.q)
	}
	if got := w.q[0].fills; !slices.Equal(got, []int64{0, 60, 30}) {
		t.Errorf("a's fills merged to %v, want [0 60 30]", got)
	}
}
