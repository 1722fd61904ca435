package alerting

import (
	"testing"
	"time"
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
