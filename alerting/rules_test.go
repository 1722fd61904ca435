package alerting

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// step moves the clock to `at`, runs the timers, feeds r (if any) and checks
// whether the rule's alert is open (and at which severity, if sev is set).
type step struct {
	at   time.Duration
	r    *plant.Reading
	open bool
	sev  plant.Severity
}

func rd(mods ...func(*plant.Reading)) *plant.Reading {
	r := running(mods...)
	return &r
}

// every repeats a reading each minute from `from` to `to` (inclusive),
// wanting the alert open from `opensAt` on.
func every(from, to, opensAt time.Duration, r *plant.Reading) []step {
	var out []step
	for at := from; at <= to; at += time.Minute {
		out = append(out, step{at: at, r: r, open: at >= opensAt})
	}
	return out
}

func steps(parts ...[]step) []step {
	var out []step
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

const never = 1 << 62

func TestRuleKinds(t *testing.T) {
	s := time.Second
	m := time.Minute
	cases := []struct {
		name  string
		dev   plant.Device
		rule  string
		steps []step
	}{
		{"critical_purity fires after for, clears past hysteresis", psa("p1", ""), RuleCriticalPurity, []step{
			{0, rd(purity(75)), false, ""},
			{30 * s, nil, false, ""},
			{59 * s, nil, false, ""},
			{60 * s, nil, true, plant.SeverityCritical}, // the timer
			{90 * s, rd(purity(82.5)), true, ""},        // above 82, below the clear level 83
			{120 * s, rd(purity(83)), false, ""},
		}},
		{"critical_purity pending restarts when the condition breaks", psa("p1", ""), RuleCriticalPurity, []step{
			{0, rd(purity(75)), false, ""},
			{50 * s, rd(purity(90)), false, ""},
			{60 * s, rd(purity(75)), false, ""},
			{119 * s, nil, false, ""},
			{120 * s, nil, true, ""}, // the timer fires without a new reading
		}},
		{"critical_purity also fires on its count of bad readings", psa("p1", ""), RuleCriticalPurity, []step{
			{0, rd(purity(75)), false, ""},
			{59 * s, rd(purity(75)), true, ""}, // two readings a report interval apart, jitter or not
		}},
		{"critical_purity only while running", psa("p1", ""), RuleCriticalPurity, []step{
			{0, rd(purity(20), state(plant.StateStandby)), false, ""},
			{2 * m, rd(purity(20), state(plant.StateStandby)), false, ""},
		}},
		{"low_purity psa below 90", psa("p1", ""), RuleLowPurity, steps(
			every(0, 2*m, 2*m, rd(purity(89))),
			[]step{{150 * s, rd(purity(90.5)), true, plant.SeverityWarning}, {3 * m, rd(purity(91)), false, ""}},
		)},
		{"low_purity concentrator below 85", concentrator("c1", ""), RuleLowPurity, steps(
			every(0, 2*m, 2*m, rd(purity(84), pressure(0.5), flow(5))),
			[]step{{150 * s, rd(purity(85.5), pressure(0.5), flow(5)), true, ""}, {3 * m, rd(purity(86), pressure(0.5), flow(5)), false, ""}},
		)},
		{"low_pressure psa below 3.5 bar", psa("p1", ""), RuleLowPressure, steps(
			every(0, 2*m, 2*m, rd(pressure(3))),
			[]step{{150 * s, rd(pressure(3.6)), true, ""}, {3 * m, rd(pressure(3.7)), false, ""}},
		)},
		{"high_pressure psa above 7 bar", psa("p1", ""), RuleHighPressure, steps(
			every(0, 2*m, 2*m, rd(pressure(7.5))),
			[]step{{150 * s, rd(pressure(6.9)), true, ""}, {3 * m, rd(pressure(6.8)), false, ""}},
		)},
		{"no_flow while running", psa("p1", ""), RuleNoFlow, steps(
			every(0, 2*m, 2*m, rd(flow(0))),
			[]step{{150 * s, rd(flow(0.3)), true, ""}, {3 * m, rd(flow(0.5)), false, ""}},
		)},
		{"no_flow not in standby", psa("p1", ""), RuleNoFlow, every(0, 3*m, never, rd(flow(0), state(plant.StateStandby)))},
		{"overload above 110 % of rated for 10 min", psa("p1", ""), RuleOverload, steps(
			every(0, 10*m, 10*m, rd(flow(115))),
			[]step{{11 * m, rd(flow(108)), true, ""}, {12 * m, rd(flow(105)), false, ""}},
		)},
		{"device_fault on state fault or any alarm", psa("p1", ""), RuleDeviceFault, []step{
			{0, rd(state(plant.StateFault)), true, plant.SeverityCritical},
			{m, rd(), false, ""},
			{2 * m, rd(alarms("dryer_fault")), true, ""},
			{3 * m, rd(), false, ""},
		}},
		{"power_loss after 2 min, warning on battery, critical when not running", psa("p1", ""), RulePowerLoss, []step{
			{0, rd(power(plant.PowerBattery)), false, ""},
			{2 * m, rd(power(plant.PowerBattery)), true, plant.SeverityWarning},
			{3 * m, rd(power(plant.PowerNone), state(plant.StateOff)), true, plant.SeverityCritical},
			{4 * m, rd(power(plant.PowerGenerator)), false, ""},
		}},
		{"power_loss silent through a generator switchover", psa("p1", ""), RulePowerLoss, []step{
			{0, rd(power(plant.PowerNone), state(plant.StateOff)), false, ""},
			{m, rd(power(plant.PowerGenerator)), false, ""},
			{5 * m, rd(power(plant.PowerGenerator)), false, ""},
		}},
		{"offline at 3 report intervals, resolved by the next reading", psa("p1", ""), RuleOffline, []step{
			{0, rd(), false, ""},
			{179 * s, nil, false, ""},
			{180 * s, nil, true, plant.SeverityCritical},
			{time.Hour, nil, true, ""},
			{time.Hour + s, rd(), false, ""},
		}},
		{"maintenance_due: one service-history item while nothing is on record", psa("p1", ""), RuleMaintenanceDue, []step{
			{0, rd(runtime(3999)), true, plant.SeverityInfo},
			// no service on record: it stays one info item (the clocks and
			// warnings need a record, see TestMaintenanceResetsOnServiceRecord)
			{m, rd(runtime(4400)), true, plant.SeverityInfo},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Rules{}, tc.dev)
			wasOpen := false
			for _, st := range tc.steps {
				h.at(st.at)
				if st.r != nil {
					h.read(string(tc.dev.ID), *st.r)
				}
				a := h.wantOpen(string(tc.dev.ID), tc.rule, st.open)
				if st.sev != "" && a.Severity != st.sev {
					t.Fatalf("at %s: severity %s, want %s", st.at, a.Severity, st.sev)
				}
				if st.open && !wasOpen && !a.StartedAt.Equal(t0.Add(st.at)) {
					t.Fatalf("started_at %s, want %s", a.StartedAt, t0.Add(st.at))
				}
				wasOpen = st.open
			}
		})
	}
}

func TestMaintenanceResetsOnServiceRecord(t *testing.T) {
	h := newHarness(t, Rules{}, psa("p1", ""))
	h.read("p1", running(runtime(4100)))
	a := h.wantOpen("p1", RuleMaintenanceDue, true)
	if !strings.HasPrefix(a.Summary, "service history missing:") || !strings.Contains(a.Summary, "air_compressor") {
		t.Fatalf("summary %q, want one item saying the service history is missing", a.Summary)
	}
	if all, _ := h.e.Alerts(h.ctx, AlertFilter{Device: "p1", Rule: RuleMaintenanceDue}); len(all) != 1 || a.Severity != plant.SeverityInfo {
		t.Fatalf("never serviced: %d alerts, %s; want one info item", len(all), a.Severity)
	}
	if _, err := h.e.RecordService(h.ctx, plant.ServiceRecord{Device: "p1", Component: "sieve"}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("unknown component: got %v, want ErrInvalid", err)
	}
	rec, err := h.e.RecordService(h.ctx, plant.ServiceRecord{Device: "p1", Component: "air_compressor", By: "amos"})
	if err != nil {
		t.Fatal(err)
	}
	if rec.RuntimeH != 4100 || rec.ID == 0 {
		t.Fatalf("record %+v: want runtime_h 4100 taken from the device and an id", rec)
	}
	h.wantOpen("p1", RuleMaintenanceDue, false)
	h.at(time.Hour)
	h.read("p1", running(runtime(4379)))
	h.wantOpen("p1", RuleMaintenanceDue, false)
	h.at(2 * time.Hour)
	h.read("p1", running(runtime(8100)))
	h.wantOpen("p1", RuleMaintenanceDue, true)
	h.at(3 * time.Hour)
	h.read("p1", running(runtime(8500))) // 110 % of 4000 h since the recorded service
	if a := h.wantOpen("p1", RuleMaintenanceDue, true); a.Severity != plant.SeverityWarning {
		t.Fatalf("110 %% past a recorded service: %s, want warning", a.Severity)
	}
	items, err := h.e.MaintenanceDue(h.ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range items {
		if it.Due {
			got = append(got, it.Component)
		}
	}
	// filter_elements (4380 h) and air_compressor (4000 h since service)
	if strings.Join(got, ",") != "air_compressor,filter_elements" {
		t.Fatalf("due components %v, want air_compressor and filter_elements", got)
	}
	recs, err := h.e.ServiceRecords(h.ctx, "p1")
	if err != nil || len(recs) != 1 || recs[0].By != "amos" {
		t.Fatalf("service records %+v, %v: want the one record by amos", recs, err)
	}
}

func TestPurityDeclining(t *testing.T) {
	cases := []struct {
		name      string
		fallDay   float64
		flowSwing float64
		want      bool
	}{
		{"falls 1 point a day at steady flow", 1, 0, true},
		{"falls 0.2 points a day", 0.2, 0, false},
		{"falls as flow rises (overload, not sieve)", 1, 40, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dev := psa("p1", "")
			dev.ReportIntervalS = 3600
			h := newHarness(t, Rules{}, dev)
			for hour := 0; hour <= 9*24; hour++ {
				day := float64(hour / 24)
				h.at(time.Duration(hour) * time.Hour)
				h.read("p1", running(purity(95-tc.fallDay*day), flow(100+tc.flowSwing*day)))
			}
			a, open := h.open("p1", RulePurityDeclining)
			if open != tc.want {
				t.Fatalf("purity_declining open = %v, want %v", open, tc.want)
			}
			if open && (a.Value == nil || *a.Value > -0.9 || *a.Value < -1.1) {
				t.Fatalf("value %v, want a slope near -1 point/day", a.Value)
			}
		})
	}
}

func TestLoadRules(t *testing.T) {
	r, err := LoadRules("testdata/rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c := newCompiler(r)
	rs := c.forDevice(plant.Device{ID: "x", Kind: plant.KindConcentrator, Model: "EverFlo"})
	if got := rs.r[slotLowPressure]; !got.on || got.level != 0.3 {
		t.Errorf("EverFlo low_pressure %+v, want on at 0.3 bar", got)
	}
	if got := rs.r[slotLowPurity].forNs; got != int64(3*time.Minute) {
		t.Errorf("low_purity for %s, want 3m", time.Duration(got))
	}
	rs = c.forDevice(plant.Device{ID: "mulago-psa-1", Kind: plant.KindPSA})
	if rs.intervals != 5 {
		t.Errorf("device override intervals %g, want 5", rs.intervals)
	}
	if i := rs.comps; len(i) == 0 || i[1].name != "air_compressor" || i[1].hours != 3000 {
		t.Errorf("psa components %+v, want air_compressor at 3000 h", i)
	}
	if def, _ := LoadRules(""); def.Flapping != DefaultFlapping {
		t.Errorf("defaults %+v", def)
	}
}

// Each bad rules file names, in a "# want:" first line, a text its error
// must hold.
func TestBadRules(t *testing.T) {
	files, _ := filepath.Glob("testdata/bad/*.yaml")
	if len(files) == 0 {
		t.Fatal("no bad rules files")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			first, _, _ := strings.Cut(string(b), "\n")
			want, ok := strings.CutPrefix(first, "# want: ")
			if !ok {
				t.Fatal("first line must be '# want: TEXT'")
			}
			_, err = LoadRules(f)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("got error %v, want one naming %q", err, want)
			}
		})
	}
}

func TestFlappingDefaultsPerField(t *testing.T) {
	r, err := ParseRules([]byte("flapping:\n  flips: 6\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := DefaultFlapping
	want.Flips = 6
	if r.Flapping != want {
		t.Fatalf("flapping %+v, want %+v", r.Flapping, want)
	}
}
