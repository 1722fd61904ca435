package alerting

import "math"

// Device clocks are often wrong: no RTC battery, no NTP. The engine never
// drops a live reading because of its timestamp; it judges a reading by
// when it arrives and by what it has learnt of the device's clock:
//
//   - skew, how far the device clock lags the engine's (negative: ahead),
//     learnt from paced readings: one that arrives about a report interval
//     after the previous one, its timestamp advanced alike, is live however
//     far off its clock is, and gives the skew. A reading that looks newer
//     than the skew says (a clock set forward, a shorter network delay)
//     lowers it.
//   - rate, device seconds per engine second: 1 for real devices; an
//     accelerated simulation (firmware-sim --speed 60) shows a steady
//     higher rate, and the engine then runs that device's offline deadline
//     and `for` timers in its simulated time.
//
// A reading is fresh, and evaluates the rules, when it is paced, or when it
// is no older than the skew says by more than the offline deadline. A
// backlog stands out: its readings arrive together, so none is paced, and
// all but the last few are far older than the skew says.
type clockModel struct {
	skew    int64
	skewSet bool
	paced   uint8 // consecutive paced readings (saturates)
	prevArr int64 // engine time the previous live reading arrived
	prevTs  int64 // its timestamp
	rate    float64
	cand    float64 // rate seen in the last samples, and how many agreed
	candN   uint8
}

// Rate learning: samples closer together than minRateGap are one delivery
// (a backlog); ratios under 1.5 are a real clock; over maxRate, noise.
const (
	minRateGap   = int64(20e6)
	maxRate      = 5000
	rateSamples  = 4
	confirmPaced = 2 // paced readings in a row before clock_skew judges the skew
)

// fresh reports whether a live reading taken at ts (device time) that
// arrived at now (engine time) is recent enough to evaluate, learning the
// device's clock as it goes.
func (d *device) fresh(ts, now int64) bool {
	c := &d.clk
	off, tol := now-ts, d.span()
	dArr, dTs := now-c.prevArr, ts-c.prevTs
	first := c.prevArr == 0
	c.prevArr, c.prevTs = now, ts
	if first {
		c.rate = max(c.rate, 1)
	} else {
		c.learnRate(dArr, dTs)
	}
	iv := float64(d.info.interval)
	paced := !first && float64(dArr) >= iv/4 && dTs > 0 && math.Abs(float64(dTs)-float64(dArr)*c.rate) <= iv/2
	switch {
	case paced:
		c.paced = min(c.paced+1, 255)
		c.skew, c.skewSet = off, true
		return true
	case !c.skewSet && off <= tol, c.skewSet && off-c.skew <= tol:
		c.paced = 0
		if !c.skewSet || off < c.skew {
			c.skew, c.skewSet = off, true
		}
		return true
	}
	c.paced = 0
	return false
}

// learnRate takes the ratio of timestamp to arrival advance of two live
// readings; rateSamples agreeing ones in a row set the rate.
func (c *clockModel) learnRate(dArr, dTs int64) {
	if dArr < minRateGap || dTs <= 0 {
		return
	}
	r := float64(dTs) / float64(dArr)
	switch {
	case r < 1.5:
		c.rate, c.candN = 1, 0
		return
	case r > maxRate:
		return
	}
	if c.candN > 0 && math.Abs(r-c.cand) <= 0.25*c.cand {
		c.candN = min(c.candN+1, 255)
	} else {
		c.candN = 1
	}
	c.cand = r
	if c.candN >= rateSamples {
		c.rate = r
	}
}

// scaled converts a duration in device time to engine time.
func (d *device) scaled(ns int64) int64 {
	if d.clk.rate <= 1 {
		return ns
	}
	return int64(float64(ns) / d.clk.rate)
}

// skewConfirmed reports whether the learnt skew comes from a real clock's
// steady stream: paced readings in a row, at rate 1.
func (d *device) skewConfirmed() bool {
	return d.clk.skewSet && d.clk.paced >= confirmPaced && d.clk.rate <= 1
}
