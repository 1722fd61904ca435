package alerting

import (
	"reflect"
	"testing"
	"time"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// TestReaderMatchesEngine: the tables-only Reader that `oxywatch report`
// uses beside a running server says what the engine says, for timelines
// (a fault, a device gone quiet, one reporting now, a maintenance silence)
// and for maintenance clocks, once the engine has checkpointed.
func TestReaderMatchesEngine(t *testing.T) {
	h := newHarness(t, Rules{}, psa("p1", "f1"), psa("p2", "f1"), concentrator("c1", "f2"))
	if _, err := h.e.CreateSilence(h.ctx, Silence{Device: "p1", Maintenance: true,
		StartsAt: t0.Add(100 * time.Minute), EndsAt: t0.Add(110 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	for m := 0; m <= 120; m++ {
		h.at(time.Duration(m) * time.Minute)
		p1 := rd(runtime(4300 + float64(m)))
		if m >= 20 && m < 35 {
			p1 = rd(state(plant.StateFault), runtime(4300+float64(m)))
		}
		h.read("p1", *p1)
		if m < 60 {
			h.read("p2", *rd(runtime(900)))
		}
		h.read("c1", *rd(runtime(12000)))
		if m == 50 {
			if _, err := h.e.RecordService(h.ctx, plant.ServiceRecord{Device: "p1", Component: "air_compressor", RuntimeH: 4340}); err != nil {
				t.Fatal(err)
			}
		}
	}
	h.e.checkpoint()
	h.sync()
	r := Reader{DB: h.db, Lookup: h.reg.lookup, Rules: h.e.opt.Rules, Now: h.clk.Now}

	now := h.clk.Now()
	for _, w := range [][2]time.Time{{t0, now.Add(time.Hour)}, {t0.Add(30 * time.Minute), t0.Add(90 * time.Minute)}, {now.Add(-time.Minute), now.Add(time.Minute)}} {
		want, err := h.e.Timelines(h.ctx, nil, w[0], w[1])
		if err != nil {
			t.Fatal(err)
		}
		got, err := r.Timelines(h.ctx, nil, w[0], w[1])
		if err != nil {
			t.Fatal(err)
		}
		if len(want) != 3 || !reflect.DeepEqual(got, want) {
			t.Errorf("window %s–%s:\nreader %v\nengine %v", w[0].Format("15:04"), w[1].Format("15:04"), got, want)
		}
	}
	if ivs := r.mustTimelines(t, "p2", now); ivs[len(ivs)-1].Status != plant.StatusNoData {
		t.Errorf("p2 went quiet an hour ago: its timeline ends %v, want no_data", ivs[len(ivs)-1])
	}

	want, err := h.e.MaintenanceDue(h.ctx)
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.MaintenanceDue(h.ctx)
	if err != nil {
		t.Fatal(err)
	}
	due := 0
	for _, it := range want {
		if it.Due {
			due++
		}
	}
	if due == 0 || !reflect.DeepEqual(got, want) {
		t.Errorf("maintenance (%d due):\nreader %+v\nengine %+v", due, got, want)
	}
}

func (r Reader) mustTimelines(t *testing.T, id plant.DeviceID, now time.Time) []plant.StatusInterval {
	t.Helper()
	tl, err := r.Timelines(t.Context(), []plant.DeviceID{id}, now.Add(-3*time.Hour), now.Add(time.Hour))
	if err != nil || len(tl[id]) == 0 {
		t.Fatalf("timeline of %s: %v, %v", id, tl, err)
	}
	return tl[id]
}
