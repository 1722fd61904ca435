package alerting

import (
	"testing"

	"github.com/oxywatch/oxywatch/internal/plant"
)

func TestWriterMergesTouchingFills(t *testing.T) {
	w := &writer{}
	fill := func(dev string, t1, t2 int64) op {
		return op{kind: opFill, dev: plant.DeviceID("dev-" + dev), start: t1, end: t2, status: "operational"}
	}
	for _, o := range []op{
		fill("a", 0, 60), fill("b", 0, 60), fill("a", 60, 120), fill("a", 30, 90), // a: one run
		{kind: opSegment, dev: "dev-a", closeAt: 200, start: 200},
		fill("a", 100, 160), // after a segment of a: not merged across it
		fill("b", 500, 560), // does not touch b's run
	} {
		if !w.merge(o) {
			w.q = append(w.q, o)
		}
	}
	if len(w.q) != 5 {
		t.Fatalf("got %d queued ops, want 5: %+v", len(w.q), w.q)
	}
	if got := w.q[0]; got.start != 0 || got.end != 120 {
		t.Errorf("a's fills merged to [%d, %d), want [0, 120)", got.start, got.end)
	}
}
