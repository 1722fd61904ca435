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
