package alerting

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// A device registered after the engine started, that never reports, goes
// offline at its deadline once tracked; tracking a known device changes
// nothing.
func TestTrackSilentDevice(t *testing.T) {
	h := newHarness(t, Rules{})
	h.reg["p9"] = psa("p9", "")
	h.at(time.Minute)
	h.e.Track("p9")
	h.at(time.Minute + 179*time.Second)
	h.sync()
	h.wantOpen("p9", RuleOffline, false)
	h.at(time.Minute + 180*time.Second)
	h.sync()
	h.wantOpen("p9", RuleOffline, true)

	h.read("p9", *rd())
	h.e.Track("p9") // known now: its deadline is the reading's, not reset
	h.sync()
	h.wantOpen("p9", RuleOffline, false)
}

// With RegisteredOnly, a device removed from the registry stops alerting:
// its open offline alert resolves on Refresh, and nothing fires for it later.
func TestRemovedDeviceStopsAlerting(t *testing.T) {
	h := newHarness(t, Rules{}, psa("p1", "f1"))
	h.e.opt.RegisteredOnly = true
	h.read("p1", *rd())
	h.at(180 * time.Second)
	h.sync()
	h.wantOpen("p1", RuleOffline, true)

	delete(h.reg, "p1")
	h.e.Refresh("p1")
	h.sync()
	h.wantOpen("p1", RuleOffline, false)
	h.at(24 * time.Hour)
	h.sync()
	h.wantOpen("p1", RuleOffline, false)

	// Registered again (say it was removed by mistake): watched again from
	// its next reading.
	h.reg["p1"] = psa("p1", "f1")
	h.e.Refresh("p1")
	h.at(25 * time.Hour)
	h.read("p1", *rd())
	h.at(25*time.Hour + 180*time.Second)
	h.sync()
	h.wantOpen("p1", RuleOffline, true)
}

// A ReadOnly engine beside the owner of the database reads its timeline and
// writes nothing, whatever it restores or is fed.
func TestReadOnlyEngineWritesNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "oxywatch.db")
	h := openHarness(t, path, t0, Rules{}, psa("p1", "f1"))
	h.read("p1", *rd())
	h.at(180 * time.Second)
	h.sync()
	h.wantOpen("p1", RuleOffline, true)

	count := func() (n int) {
		t.Helper()
		var a, b int
		if err := h.db.QueryRow(`SELECT (SELECT COUNT(*) FROM alerting_alerts), (SELECT COUNT(*) FROM alerting_timeline)`).Scan(&a, &b); err != nil {
			t.Fatal(err)
		}
		return a*1000 + b
	}
	before := count()
	ro, err := New(h.ctx, Options{
		DB: openDB(t, path), Registerer: prometheus.NewRegistry(), Lookup: h.reg.lookup, ReadOnly: true,
		Now: func() time.Time { return t0.Add(48 * time.Hour) },
	})
	if err != nil {
		t.Fatal(err)
	}
	r := *rd()
	r.Device, r.Time = "p1", t0.Add(48*time.Hour)
	ro.ObserveReading(r, true) // would resolve the offline alert and open a segment
	ro.tick(t0.Add(49 * time.Hour).UnixNano())
	tl, err := ro.Timelines(h.ctx, nil, t0, t0.Add(time.Hour))
	if err != nil || len(tl["p1"]) == 0 {
		t.Fatalf("read-only timelines %v, %v: want p1's", tl, err)
	}
	if after := count(); after != before {
		t.Errorf("the read-only engine wrote: rows %d → %d", before, after)
	}
	h.wantOpen("p1", RuleOffline, true)
}
