package sim_test

import (
	"slices"
	"testing"
	"time"

	"github.com/oxywatch/oxywatch/firmware-sim/sim"
	"github.com/oxywatch/oxywatch/internal/plant"
)

var (
	psa  = sim.Spec{ID: "psa-001", Kind: sim.KindPSA, RatedFlowLPM: 500, ReportInterval: time.Minute, Booster: true}
	conc = sim.Spec{ID: "conc-001", Kind: sim.KindConcentrator, RatedFlowLPM: 5, ReportInterval: time.Minute}
)

// series runs one device through events and returns its decoded readings.
func series(t *testing.T, spec sim.Spec, span time.Duration, events ...sim.Event) []plant.Reading {
	t.Helper()
	msgs, _ := run(t, sim.Config{Fleet: []sim.Spec{spec}, Seed: 11, Events: events}, span)
	var out []plant.Reading
	for _, r := range decodeAll(t, msgs, t0.Add(span+time.Hour))[spec.ID] {
		out = append(out, r.Reading)
	}
	return out
}

// mean of f over readings with ts in [from, to) after t0.
func mean(rs []plant.Reading, from, to time.Duration, f func(plant.Reading) float64) float64 {
	sum, n := 0.0, 0
	for _, r := range rs {
		if off := r.Time.Sub(t0); off >= from && off < to {
			sum += f(r)
			n++
		}
	}
	if n == 0 {
		return -1
	}
	return sum / float64(n)
}

func purity(r plant.Reading) float64   { return *r.Purity }
func pressure(r plant.Reading) float64 { return *r.Pressure }
func flow(r plant.Reading) float64     { return *r.Flow }
func temp(r plant.Reading) float64     { return *r.Temp }
func dew(r plant.Reading) float64      { return *r.DewPoint }

// TestWarmUpAfterOutage: a PSA plant without a generator stops in a mains
// outage (state off, power none, no flow, pressure bleeding off, runtime
// frozen) and on return its purity climbs over the warm-up.
func TestWarmUpAfterOutage(t *testing.T) {
	rs := series(t, psa, 5*time.Hour, sim.Event{At: time.Hour, For: 2 * time.Hour, Device: "*", Fault: sim.FaultOutage})
	var during []plant.Reading
	for _, r := range rs {
		if off := r.Time.Sub(t0); off > time.Hour+time.Minute && off < 3*time.Hour {
			during = append(during, r)
		}
	}
	if len(during) < 100 {
		t.Fatalf("%d readings during the outage, want about 118", len(during))
	}
	for _, r := range during {
		if r.State != plant.StateOff || r.Power != plant.PowerNone || *r.Flow != 0 {
			t.Fatalf("during the outage at %s: state %s power %s flow %g, want off, none, 0", r.Time, r.State, r.Power, *r.Flow)
		}
		if *r.Runtime != *during[0].Runtime {
			t.Fatalf("runtime moved from %g to %g while off", *during[0].Runtime, *r.Runtime)
		}
	}
	if p := pressure(during[len(during)-1]); p > 0.5 {
		t.Errorf("pressure %g bar after 2 h without power, want it bled off", p)
	}
	before := mean(rs, 30*time.Minute, time.Hour, purity)
	steps := []float64{
		mean(rs, 3*time.Hour, 3*time.Hour+3*time.Minute, purity),
		mean(rs, 3*time.Hour+5*time.Minute, 3*time.Hour+10*time.Minute, purity),
		mean(rs, 3*time.Hour+15*time.Minute, 3*time.Hour+20*time.Minute, purity),
		mean(rs, 3*time.Hour+40*time.Minute, 3*time.Hour+60*time.Minute, purity),
	}
	if !slices.IsSorted(steps) || steps[0] > 82 || steps[3] < 90 {
		t.Errorf("purity after restart %v, want rising from below 82 %% to above 90 %%", steps)
	}
	if after := steps[3]; after < before-1 {
		t.Errorf("purity %g an hour after restart, %g before the outage", after, before)
	}
}

// TestOverloadLowersPurity: demand at 1.4 times rated flow raises flow and drops
// purity and outlet pressure; they recover when demand falls back.
func TestOverloadLowersPurity(t *testing.T) {
	spec := psa
	spec.Booster = false // keep the booster's day shift out of the flow
	rs := series(t, spec, 12*time.Hour, sim.Event{At: 4 * time.Hour, For: 4 * time.Hour, Device: "*", Fault: sim.FaultOverload, Value: 1.4})
	window := func(f func(plant.Reading) float64) (before, during, after float64) {
		return mean(rs, 2*time.Hour, 4*time.Hour, f), mean(rs, 5*time.Hour, 8*time.Hour, f), mean(rs, 10*time.Hour, 12*time.Hour, f)
	}
	fb, fd, _ := window(flow)
	pb, pd, pa := window(purity)
	bb, bd, _ := window(pressure)
	if fd < 1.3*spec.RatedFlowLPM || fd < 1.3*fb {
		t.Errorf("flow %g L/min in overload, %g before, rated %g: want above 130 %% of both", fd, fb, spec.RatedFlowLPM)
	}
	if pd > pb-1 || pa < pd+1 {
		t.Errorf("purity %g before, %g in overload, %g after: want a fall of more than a point and recovery", pb, pd, pa)
	}
	if bd >= bb {
		t.Errorf("pressure %g bar in overload, %g before: want lower", bd, bb)
	}
}

// TestPurityFallsAsFlowRises: at steady state, the further demand goes
// past rated flow, the lower the purity.
func TestPurityFallsAsFlowRises(t *testing.T) {
	spec := psa
	spec.Booster = false
	var loads []float64
	for _, v := range []float64{1.0, 1.2, 1.4, 1.6} {
		rs := series(t, spec, 8*time.Hour, sim.Event{At: 0, For: 8 * time.Hour, Device: "*", Fault: sim.FaultOverload, Value: v})
		loads = append(loads, mean(rs, 4*time.Hour, 8*time.Hour, purity))
	}
	if !slices.IsSortedFunc(loads, func(a, b float64) int { return int(b*1000 - a*1000) }) || loads[3] > loads[0]-5 {
		t.Errorf("purity at 100, 120, 140, 160 %% of rated flow: %v, want falling by more than 5 points", loads)
	}
}

// TestCompressorFault: a failed compressor is state fault with the alarm,
// no flow, and no running hours.
func TestCompressorFault(t *testing.T) {
	rs := series(t, psa, 4*time.Hour, sim.Event{At: time.Hour, For: 2 * time.Hour, Device: "*", Fault: sim.FaultCompressor})
	var first *plant.Reading
	for _, r := range rs {
		if off := r.Time.Sub(t0); off < time.Hour+time.Minute || off >= 3*time.Hour {
			continue
		}
		if first == nil {
			first = &r
		}
		if r.State != plant.StateFault || !slices.Contains(r.Alarms, "compressor_fault") || *r.Flow != 0 || *r.Runtime != *first.Runtime {
			t.Fatalf("at %s: state %s alarms %v flow %g runtime %g, want fault, compressor_fault, 0, %g", r.Time, r.State, r.Alarms, *r.Flow, *r.Runtime, *first.Runtime)
		}
	}
	if last := rs[len(rs)-1]; last.State != plant.StateRunning || *last.Runtime <= *first.Runtime {
		t.Errorf("after repair: state %s runtime %g, want running and growing", last.State, *last.Runtime)
	}
}

// TestFilterClog: a clogging filter lowers outlet pressure and heats the
// compressor; a new filter puts both back.
func TestFilterClog(t *testing.T) {
	rs := series(t, conc, 10*24*time.Hour, sim.Event{At: 24 * time.Hour, For: 7 * 24 * time.Hour, Device: "*", Fault: sim.FaultFilter, Value: 1})
	// Compare running readings only: a concentrator stands by between patients.
	running := slices.DeleteFunc(slices.Clone(rs), func(r plant.Reading) bool { return r.State != plant.StateRunning })
	day := 24 * time.Hour
	pb, pc := mean(running, 0, day, pressure), mean(running, 7*day, 8*day, pressure)
	tb, tc := mean(running, 0, day, temp), mean(running, 7*day, 8*day, temp)
	pa := mean(running, 9*day, 10*day, pressure)
	if pc > pb-0.15 || pa < pc+0.15 {
		t.Errorf("pressure %g bar before, %g clogged, %g with a new filter", pb, pc, pa)
	}
	if tc < tb+10 {
		t.Errorf("temperature %g °C before, %g clogged: want 10 °C hotter", tb, tc)
	}
}

// TestSieveWear: the sieve-wear fault takes purity down slowly over days
// at steady demand, with the dew point rising.
func TestSieveWear(t *testing.T) {
	spec := psa
	spec.Booster = false
	day := 24 * time.Hour
	rs := series(t, spec, 20*day, sim.Event{At: day, For: 30 * day, Device: "*", Fault: sim.FaultSieve, Value: 18})
	var daily []float64
	for d := range 20 {
		daily = append(daily, mean(rs, time.Duration(d)*day, time.Duration(d+1)*day, purity))
	}
	perDay := (daily[2] - daily[19]) / 17
	if perDay < 0.4 || perDay > 1.5 {
		t.Errorf("purity falls %.2f points a day (daily means %v), want about 0.6", perDay, daily)
	}
	for d := 3; d < 20; d++ {
		if daily[d] > daily[d-1]+0.05 {
			t.Errorf("purity rose from day %d to %d: %v", d-1, d, daily)
			break
		}
	}
	if db, dl := mean(rs, 0, day, dew), mean(rs, 19*day, 20*day, dew); dl < db+10 {
		t.Errorf("dew point %g °C before, %g after 19 days of wet sieve", db, dl)
	}
}

// TestRebootResetsSeq: a reboot restarts the message counter and the
// device goes through warm-up again.
func TestRebootResetsSeq(t *testing.T) {
	rs := series(t, psa, 3*time.Hour, sim.Event{At: time.Hour, For: 2 * time.Minute, Device: "*", Fault: sim.FaultReboot})
	resets := 0
	for i := 1; i < len(rs); i++ {
		if *rs[i].Seq < *rs[i-1].Seq {
			resets++
			if *rs[i].Seq != 0 {
				t.Errorf("seq after reboot %d, want 0", *rs[i].Seq)
			}
		}
	}
	if resets != 1 {
		t.Errorf("%d seq resets, want 1", resets)
	}
}

// TestConcentratorOnBattery: a concentrator's monitor runs on its battery
// in an outage (power battery, state off), then falls silent when empty.
func TestConcentratorOnBattery(t *testing.T) {
	rs := series(t, conc, 12*time.Hour, sim.Event{At: time.Hour, For: 9 * time.Hour, Device: "*", Fault: sim.FaultOutage})
	var onBattery, gap time.Duration
	for i, r := range rs {
		if r.Power == plant.PowerBattery {
			onBattery += time.Minute
			if r.State != plant.StateOff {
				t.Fatalf("on battery in state %s", r.State)
			}
		}
		if i > 0 {
			gap = max(gap, r.Time.Sub(rs[i-1].Time))
		}
	}
	if onBattery < 5*time.Hour || onBattery > 7*time.Hour {
		t.Errorf("%s on battery, want about 6 h", onBattery)
	}
	if gap < 2*time.Hour {
		t.Errorf("longest gap %s, want the silent hours after the battery ran out", gap)
	}
}
