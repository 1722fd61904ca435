package alerting

import (
	"math"

	"github.com/oxywatch/oxywatch/internal/plant"
)

const dayNs = int64(24 * 60 * 60 * 1e9)

// trend keeps daily means of purity and flow (UTC days of reading time) for
// purity_declining: a least-squares slope of purity over the last `days`
// complete days, taken only when the daily mean flow stayed within
// steady_flow_pct of its average (a falling purity at rising flow is
// overload, not sieve damage).
type trend struct {
	day   [8]int32 // day number of each bucket; 0 = empty
	pur   [8]float64
	flow  [8]float64
	n     [8]uint32
	last  int32   // newest day seen
	slope float64 // result at the last day change; NaN when not judged
	fresh bool    // slope changed since the rule last looked
}

// trendAdd counts a reading taken while running with both purity and flow,
// including late readings of days still kept.
func (e *Engine) trendAdd(d *device, r *plant.Reading, ts int64) {
	c := &d.rs.r[slotPurityDeclining]
	if !c.on || r.Purity == nil || r.Flow == nil || (r.State != "" && r.State != plant.StateRunning) {
		return
	}
	if d.trend == nil {
		d.trend = &trend{slope: math.NaN()}
	}
	t := d.trend
	day := int32(ts/dayNs) + 1
	if day > t.last {
		if t.last != 0 {
			t.judge(c.days, c.steady)
		}
		t.last = day
	}
	if day <= t.last-int32(len(t.day)) {
		return // older than the buckets kept
	}
	i := int(day) % len(t.day)
	if t.day[i] != day {
		t.day[i], t.pur[i], t.flow[i], t.n[i] = day, 0, 0, 0
	}
	t.pur[i] += *r.Purity
	t.flow[i] += *r.Flow
	t.n[i]++
}

// judge computes the slope over the `days` complete days before t.last.
func (t *trend) judge(days int, steadyPct float64) {
	var xs, ys, fs []float64
	for k := int32(1); k <= int32(days); k++ {
		day := t.last - k
		i := int(day) % len(t.day)
		if day <= 0 || t.day[i] != day || t.n[i] == 0 {
			continue
		}
		xs = append(xs, float64(day))
		ys = append(ys, t.pur[i]/float64(t.n[i]))
		fs = append(fs, t.flow[i]/float64(t.n[i]))
	}
	slope := math.NaN()
	if len(xs) >= days-1 && len(xs) >= 3 && steady(fs, steadyPct) {
		slope = leastSquares(xs, ys)
	}
	if slope != t.slope && !(math.IsNaN(slope) && math.IsNaN(t.slope)) {
		t.slope, t.fresh = slope, true
	}
}

func steady(fs []float64, pct float64) bool {
	lo, hi, sum := math.Inf(1), math.Inf(-1), 0.0
	for _, f := range fs {
		lo, hi, sum = min(lo, f), max(hi, f), sum+f
	}
	mean := sum / float64(len(fs))
	return mean > 0 && (hi-lo) <= mean*pct/100
}

func leastSquares(xs, ys []float64) float64 {
	n := float64(len(xs))
	var sx, sy, sxx, sxy float64
	for i := range xs {
		sx += xs[i]
		sy += ys[i]
		sxx += xs[i] * xs[i]
		sxy += xs[i] * ys[i]
	}
	den := n*sxx - sx*sx
	if den == 0 {
		return math.NaN()
	}
	return (n*sxy - sx*sy) / den
}

// trendCheck moves purity_declining when a new day gave a new slope: it
// fires at a fall of `above` points a day or more and clears once the fall
// is under `clear` (or the trend can no longer be judged).
func (e *Engine) trendCheck(d *device, now int64) {
	t := d.trend
	if t == nil || !t.fresh {
		return
	}
	t.fresh = false
	c := &d.rs.r[slotPurityDeclining]
	fall := -t.slope
	if math.IsNaN(t.slope) {
		e.step(d, slotPurityDeclining, false, true, math.NaN(), now)
		return
	}
	e.step(d, slotPurityDeclining, fall >= c.level, fall < c.clear, t.slope, now)
}
