package alerting

import (
	"testing"

	"github.com/oxywatch/oxywatch/internal/plant"
)

func TestWriterMergesTouchingFills(t *testing.T) {
	w := &writer{}
	fill := func(dev string, t1, t2 int64) op {
		return op{kind: opFill, dev: plant.DeviceID("dev-" + dev), t1: t1, t2: t2, status: "operational"}
	}
	for _, o := range []op{
		fill("a", 0, 60), fill("b", 0, 60), fill("a", 60, 120), fill("a", 30, 90), // a: one run
		{kind: opSegment, dev: "dev-a", t1: 200, t2: 200},
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
	if got := w.q[0]; got.t1 != 0 || got.t2 != 120 {
		t.Errorf("a's fills merged to [%d, %d), want [0, 120)", got.t1, got.t2)
	}
}
