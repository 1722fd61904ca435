package score

import (
	"fmt"
	"time"

	"github.com/oxywatch/oxywatch/firmware-sim/scenario"
	"github.com/oxywatch/oxywatch/firmware-sim/sim"
	"github.com/oxywatch/oxywatch/internal/plant"
)

// FromScenario builds a suite from a scenario (built-in name or YAML file)
// on the generated fleet of n devices.
func FromScenario(name string, n int, seed uint64, d time.Duration) (Suite, error) {
	sc, err := scenario.Load(name)
	if err != nil {
		return Suite{}, err
	}
	return Suite{
		Name: sc.Name, Fleet: sim.GenerateFleet(n, 0, seed, time.Minute), Events: sc.Events,
		RandomFaultsPerDay: max(sc.RandomFaultsPerDay, 0), DropsPerDay: max(sc.DropsPerDay, 0),
		Duration: d, Seed: seed,
	}, nil
}

// Suites are the scored runs the tests hold to the targets and make score
// prints: every kind of fault, the demo, a night of bad power, devices with
// clocks ten minutes wrong, a fleet taken on without its service history,
// and PSA plants judged by what their oxygen is for.
func Suites(seed uint64) ([]Suite, error) {
	var out []Suite
	for _, s := range []struct {
		name string
		d    time.Duration
	}{{"faults", 6 * time.Hour}, {"demo", 3 * time.Hour}, {"outage-night", 8 * time.Hour}} {
		su, err := FromScenario(s.name, 40, seed, s.d)
		if err != nil {
			return nil, err
		}
		out = append(out, su)
	}
	return append(out, clockSuite(seed), onboardingSuite(seed), useSuite(seed)), nil
}

// clockSuite gives two devices clocks ten minutes slow and one five minutes
// fast, and injects the same faults on them as on devices with good clocks.
func clockSuite(seed uint64) Suite {
	fleet := sim.GenerateFleet(16, 2, seed, time.Minute)
	wrong := map[string]time.Duration{"psa-001": 10 * time.Minute, "conc-002": 10 * time.Minute, "conc-004": -4 * time.Minute}
	for i := range fleet {
		fleet[i].ClockError = wrong[fleet[i].ID]
	}
	ev := func(at time.Duration, dev string, f sim.Fault, v float64, span time.Duration) sim.Event {
		return sim.Event{At: at, Device: dev, Fault: f, Value: v, For: span}
	}
	events := []sim.Event{
		ev(20*time.Minute, "psa-001", sim.FaultPurity, 78, 40*time.Minute),
		ev(20*time.Minute, "psa-002", sim.FaultPurity, 78, 40*time.Minute),
		ev(30*time.Minute, "conc-002", sim.FaultPurity, 78, 30*time.Minute),
		ev(30*time.Minute, "conc-003", sim.FaultPurity, 78, 30*time.Minute),
		ev(30*time.Minute, "conc-004", sim.FaultPurity, 78, 30*time.Minute),
		ev(90*time.Minute, "conc-002", sim.FaultCompressor, 0, 3*time.Minute),
		ev(90*time.Minute, "conc-003", sim.FaultCompressor, 0, 3*time.Minute),
		ev(90*time.Minute, "conc-004", sim.FaultCompressor, 0, 3*time.Minute),
		ev(2*time.Hour, "psa-001", sim.FaultOffline, 0, 20*time.Minute),
	}
	return Suite{Name: "clock", Fleet: fleet, Events: events, Duration: 3 * time.Hour, Seed: seed}
}

// useSuite runs six PSA plants, three filling cylinders through a booster
// (Oxygen 93: warning below 93 %, critical below 90 %) and three feeding a
// pipeline (DOMAIN.md: warning below 90 %, critical below 82 %), with the
// same purity fault on a plant of each use: at 89 % and 86 % a
// cylinder-filling plant must page critical and a pipeline plant only
// warn; at 91 % the cylinder-filling plant warns and the pipeline plant
// raises nothing. Each fault's severity is checked (wrong severity), each
// alert with no fault is noise. The plants run at 45 % of their rated flow
// (the booster draws 30 % more by day), so they deliver 93.5 % or more
// when healthy.
func useSuite(seed uint64) Suite {
	var base sim.Spec
	for _, sp := range sim.GenerateFleet(40, 0, seed, time.Minute) {
		if sp.Kind == sim.KindPSA {
			base = sp
			break
		}
	}
	base.Model, base.RatedFlowLPM, base.Generator, base.Load = "PSA-30", 500, true, 0.45
	uses := map[string]plant.Use{}
	var fleet []sim.Spec
	var events []sim.Event
	for i, v := range []float64{89, 91, 86} {
		for _, use := range []plant.Use{plant.UseCylinderFilling, plant.UsePipeline} {
			sp := base
			sp.ID = fmt.Sprintf("%s-%d", map[plant.Use]string{plant.UseCylinderFilling: "fill", plant.UsePipeline: "pipe"}[use], i+1)
			sp.Facility = "use-" + sp.ID
			sp.Booster = use == plant.UseCylinderFilling
			uses[sp.ID] = use
			fleet = append(fleet, sp)
			events = append(events, sim.Event{At: time.Hour + time.Duration(i)*75*time.Minute, Device: sp.ID,
				Fault: sim.FaultPurity, Value: v, For: 40 * time.Minute})
		}
	}
	return Suite{Name: "use", Fleet: fleet, Events: events, Duration: 5 * time.Hour, Seed: seed, Uses: uses}
}

// onboardingSuite is a 40-device fleet connecting for the first time, with
// no service history on record.
func onboardingSuite(seed uint64) Suite {
	return Suite{Name: "onboarding", Fleet: sim.GenerateFleet(40, 0, seed, time.Minute), Duration: 2 * time.Hour, Seed: seed}
}

// Find returns the named suite.
func Find(name string, seed uint64) (Suite, error) {
	all, err := Suites(seed)
	if err != nil {
		return Suite{}, err
	}
	for _, s := range all {
		if s.Name == name {
			return s, nil
		}
	}
	return Suite{}, fmt.Errorf("no suite %q", name)
}
