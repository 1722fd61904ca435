package alerting

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/oxywatch/oxywatch/internal/plant"
	"github.com/oxywatch/oxywatch/internal/testenv"
)

func TestSilenceIsNotRecovery(t *testing.T) {
	h := newHarness(t, Rules{}, psa("p1", ""))
	for at := time.Duration(0); at <= 2*time.Minute; at += time.Minute {
		h.at(at)
		h.read("p1", running(pressure(3)))
	}
	low := h.wantOpen("p1", RuleLowPressure, true)
	// The plant goes quiet: offline joins low_pressure, which stays firing.
	h.at(5*time.Minute + time.Second)
	h.wantOpen("p1", RuleOffline, true)
	h.at(6 * time.Hour)
	if a := h.wantOpen("p1", RuleLowPressure, true); a.ID != low.ID {
		t.Fatalf("low_pressure id %d after the outage, want %d", a.ID, low.ID)
	}
	// A reading that shows recovery resolves both.
	h.read("p1", running(pressure(5)))
	h.wantOpen("p1", RuleOffline, false)
	h.wantOpen("p1", RuleLowPressure, false)
	h.wantTransitions(
		"low_pressure/p1/firing", "offline/p1/firing",
		"offline/p1/resolved", "low_pressure/p1/resolved",
	)
}

func TestLateDataNeverFiresOrResolves(t *testing.T) {
	h := newHarness(t, Rules{}, psa("p1", ""))
	h.at(0)
	h.read("p1", running(purity(75)))
	h.at(time.Minute)
	h.read("p1", running(purity(75)))
	h.wantOpen("p1", RuleCriticalPurity, true)
	// Older readings showing good purity, live or flagged late by ingest.
	for _, live := range []bool{false, true} {
		r := running(purity(95))
		r.Device, r.Time = "p1", t0.Add(30*time.Second)
		h.e.ObserveReading(r, live)
	}
	h.wantOpen("p1", RuleCriticalPurity, true)
	// A newer reading ingest calls late (it saw newer) changes nothing live.
	h.at(90 * time.Second)
	r := running(purity(95))
	r.Device, r.Time = "p1", h.clk.Now()
	h.e.ObserveReading(r, false)
	h.wantOpen("p1", RuleCriticalPurity, true)
	h.wantTransitions("critical_purity/p1/firing")
}

func TestBacklogAfterOutage(t *testing.T) {
	h := newHarness(t, Rules{}, psa("p1", ""))
	for at := time.Duration(0); at <= 5*time.Minute; at += time.Minute {
		h.at(at)
		h.read("p1", running())
	}
	h.at(20 * time.Minute)
	h.wantOpen("p1", RuleOffline, true)
	tl := h.timeline("p1", 0, 31*time.Minute)
	want := "operational@0-8m0s no_data@8m0s-"
	if tl != want {
		t.Fatalf("timeline before the backlog %s, want %s", tl, want)
	}
	// The device is back: one live reading, then its backlog of the outage
	// (older than the newest, so late), showing it ran with bad purity. No
	// stale alert fires; the no_data it covers becomes history.
	h.at(30 * time.Minute)
	h.read("p1", running())
	for at := 6 * time.Minute; at < 30*time.Minute; at += time.Minute {
		r := running(purity(85)) // degraded, and low_purity if it were live
		r.Device, r.Time = "p1", t0.Add(at)
		h.e.ObserveReading(r, false)
	}
	h.wantOpen("p1", RuleOffline, false)
	h.wantOpen("p1", RuleLowPurity, false)
	h.wantOpen("p1", RuleCriticalPurity, false)
	tl = h.timeline("p1", 0, 31*time.Minute)
	// The operational coverage inferred past the last live reading (5m) gives
	// way to what the backlog shows from its first reading (6m).
	want = "operational@0-6m0s degraded@6m0s-30m0s operational@30m0s-"
	if tl != want {
		t.Fatalf("timeline after the backlog %s, want %s", tl, want)
	}
	// A backlog that arrives in order after the outage (newer than the
	// newest reading, but older than the offline deadline) is history too.
	h2 := newHarness(t, Rules{}, psa("p2", ""))
	h2.at(0)
	h2.read("p2", running())
	h2.at(time.Hour)
	h2.wantOpen("p2", RuleOffline, true)
	for at := 10 * time.Minute; at < time.Hour; at += time.Minute {
		r := running(purity(70))
		r.Device, r.Time = "p2", t0.Add(at)
		h2.e.ObserveReading(r, true)
	}
	h2.wantOpen("p2", RuleOffline, false)
	h2.wantOpen("p2", RuleCriticalPurity, false)
	h2.wantTransitions("offline/p2/firing", "offline/p2/resolved")
	// Back after a silence past its deadline, it starts a run: warming up
	// for the PSA's 30 min of its own time (not while the burst arrives),
	// down below critical purity after.
	if tl := h2.timeline("p2", 0, time.Hour); tl != "operational@0-3m0s no_data@3m0s-10m0s degraded@10m0s-40m0s down@40m0s-" {
		t.Fatalf("in-order backlog timeline %s", tl)
	}
}

// timeline renders a device's intervals as status@start-end, times since t0.
func (h *harness) timeline(dev string, from, to time.Duration) string {
	h.t.Helper()
	m, err := h.e.Timelines(h.ctx, []plant.DeviceID{plant.DeviceID(dev)}, t0.Add(from), t0.Add(to))
	if err != nil {
		h.t.Fatal(err)
	}
	var parts []string
	for _, iv := range m[plant.DeviceID(dev)] {
		s := string(iv.Status) + "@" + iv.Start.Sub(t0).String() + "-"
		if !iv.End.IsZero() {
			s += iv.End.Sub(t0).String()
		}
		parts = append(parts, s)
	}
	return strings.ReplaceAll(strings.Join(parts, " "), "@0s", "@0")
}

func TestTimelineStatuses(t *testing.T) {
	h := newHarness(t, Rules{}, psa("p1", "f1"))
	h.at(0)
	h.read("p1", running())
	h.at(time.Minute)
	h.read("p1", running(purity(88)))
	h.at(2 * time.Minute)
	h.read("p1", running(state(plant.StateFault)))
	h.at(3 * time.Minute)
	h.read("p1", running(power(plant.PowerNone), state(plant.StateOff)))
	h.at(4 * time.Minute)
	h.read("p1", running(state(plant.StateMaintenance)))
	h.at(5 * time.Minute)
	h.read("p1", running())
	// Offline by the status topic: coverage ends at once.
	h.at(6 * time.Minute)
	h.e.ObserveStatus(plant.StatusMessage{Device: "p1", State: plant.Offline, Received: h.clk.Now()})
	h.wantOpen("p1", RuleOffline, false) // the alert waits two report intervals
	h.at(8 * time.Minute)
	h.wantOpen("p1", RuleOffline, true)
	got := h.timeline("p1", 0, time.Hour)
	want := "operational@0-1m0s degraded@1m0s-2m0s down@2m0s-3m0s down@3m0s-4m0s maintenance@4m0s-5m0s operational@5m0s-6m0s no_data@6m0s-"
	if got != want {
		t.Fatalf("timeline\n got %s\nwant %s", got, want)
	}
	// A maintenance silence counts as maintenance, no_data included.
	if _, err := h.e.CreateSilence(h.ctx, Silence{Facility: "f1", StartsAt: t0.Add(10 * time.Minute), EndsAt: t0.Add(20 * time.Minute), Maintenance: true, Comment: "filters"}); err != nil {
		t.Fatal(err)
	}
	got = h.timeline("p1", 5*time.Minute, time.Hour)
	want = "operational@5m0s-6m0s no_data@6m0s-10m0s maintenance@10m0s-20m0s no_data@20m0s-"
	if got != want {
		t.Fatalf("timeline with maintenance\n got %s\nwant %s", got, want)
	}
	// Only intervals overlapping the span are returned, with true bounds.
	if got := h.timeline("p1", 90*time.Second, 150*time.Second); got != "degraded@1m0s-2m0s down@2m0s-3m0s" {
		t.Fatalf("span 1m30s-2m30s: %s", got)
	}
}

func TestSilences(t *testing.T) {
	h := newHarness(t, immediatePower(), psa("p1", "f1"), psa("p2", "f1"))
	for _, bad := range []Silence{
		{EndsAt: t0.Add(time.Hour)},
		{Device: "p1", StartsAt: t0, EndsAt: t0},
		{Rule: "nope", EndsAt: t0.Add(time.Hour)},
	} {
		if _, err := h.e.CreateSilence(h.ctx, bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("silence %+v: got %v, want ErrInvalid", bad, err)
		}
	}
	s, err := h.e.CreateSilence(h.ctx, Silence{Device: "p1", Rule: RuleDeviceFault, EndsAt: t0.Add(time.Hour), Comment: "known fault", CreatedBy: "amos"})
	if err != nil {
		t.Fatal(err)
	}
	h.at(0)
	h.read("p1", running(state(plant.StateFault)))
	h.read("p2", running(state(plant.StateFault)))
	h.wantOpen("p1", RuleDeviceFault, true) // silenced alerts are listed
	h.wantTransitions("device_fault/p2/firing")
	list, err := h.e.Silences(h.ctx)
	if err != nil || len(list) != 1 || list[0].ID != s.ID || list[0].CreatedBy != "amos" {
		t.Fatalf("silences %+v, %v", list, err)
	}
	// Deleting the silence announces what it kept quiet.
	if err := h.e.DeleteSilence(h.ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	if err := h.e.DeleteSilence(h.ctx, s.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second delete: %v, want ErrNotFound", err)
	}
	h.wantTransitions("device_fault/p2/firing", "device_fault/p1/firing")
	// The end of a silence does the same at the next sweep.
	if _, err := h.e.CreateSilence(h.ctx, Silence{Region: "north", StartsAt: t0, EndsAt: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	h.at(time.Minute)
	h.read("p1", running(power(plant.PowerBattery)))
	h.e.sweep(h.clk.Now().UnixNano())
	h.wantTransitions("device_fault/p2/firing", "device_fault/p1/firing", "device_fault/p1/resolved")
	h.clk.Set(t0.Add(61 * time.Minute)) // no tick: both devices went quiet
	h.e.sweep(h.clk.Now().UnixNano())
	h.wantTransitions("device_fault/p2/firing", "device_fault/p1/firing", "device_fault/p1/resolved", "power_loss/p1/firing")
}

func TestFlappingHoldsFiring(t *testing.T) {
	rules := Rules{Flapping: Flapping{Flips: 2, Window: time.Hour, Stable: 10 * time.Minute}}
	h := newHarness(t, rules, psa("p1", ""))
	at := time.Duration(0)
	flip := func(s plant.State) {
		h.at(at)
		h.read("p1", running(state(s)))
		at += time.Minute
	}
	for range 3 {
		flip(plant.StateFault)
		flip(plant.StateRunning)
	}
	// Third clearing within the hour: held firing.
	held := h.wantOpen("p1", RuleDeviceFault, true)
	flip(plant.StateFault)
	if a := h.wantOpen("p1", RuleDeviceFault, true); a.ID != held.ID {
		t.Fatalf("new alert %d while held, want %d", a.ID, held.ID)
	}
	flip(plant.StateRunning)
	for range 9 {
		flip(plant.StateRunning)
	}
	h.wantOpen("p1", RuleDeviceFault, true)
	flip(plant.StateRunning) // 10 minutes stable
	h.wantOpen("p1", RuleDeviceFault, false)
	h.wantTransitions(
		"device_fault/p1/firing", "device_fault/p1/resolved",
		"device_fault/p1/firing", "device_fault/p1/resolved",
		"device_fault/p1/firing", "device_fault/p1/resolved",
	)
}

func TestInhibition(t *testing.T) {
	h := newHarness(t, Rules{}, psa("p1", ""))
	for at := time.Duration(0); at <= 3*time.Minute; at += 30 * time.Second {
		h.at(at)
		h.read("p1", running(purity(75)))
	}
	h.wantOpen("p1", RuleLowPurity, true) // open, listed, not announced
	h.wantTransitions("critical_purity/p1/firing")
	// Purity rises to 85: critical_purity resolves, low_purity is news now.
	h.at(4 * time.Minute)
	h.read("p1", running(purity(85)))
	h.e.sweep(h.clk.Now().UnixNano())
	h.wantTransitions("critical_purity/p1/firing", "critical_purity/p1/resolved", "low_purity/p1/firing")

	// Offline mutes value rules: a pending timer does not fire while the
	// device is offline.
	h2 := newHarness(t, Rules{}, psa("p2", ""))
	h2.at(0)
	h2.read("p2", running(pressure(3)))
	h2.at(time.Minute)
	h2.e.ObserveStatus(plant.StatusMessage{Device: "p2", State: plant.Offline, Received: h2.clk.Now()})
	h2.at(3 * time.Minute)
	h2.wantOpen("p2", RuleLowPressure, false)
	h2.wantTransitions("offline/p2/firing")
}

func TestFacilityOutage(t *testing.T) {
	c1 := concentrator("c1", "mulago")
	c1.Region = "north"
	h := newHarness(t, Rules{}, psa("p1", "mulago"), c1, psa("x1", "other"))
	h.at(0)
	h.read("p1", running())
	h.read("c1", running(purity(93), pressure(0.5), flow(5)))
	h.read("x1", running())
	h.at(time.Minute)
	h.read("c1", running(purity(93), pressure(0.5), flow(5), power(plant.PowerNone)))
	h.read("x1", running())
	h.at(3*time.Minute + time.Second) // p1 past its deadline; c1 on power none
	h.read("x1", running())
	h.wantOpen("p1", RuleOffline, true)
	// A facility out of power waits 30 s (a generator may take over); what
	// fires meanwhile waits for it.
	h.at(3*time.Minute + 31*time.Second)
	fac, err := h.e.Alerts(h.ctx, AlertFilter{Rule: RuleFacilityOutage, State: "firing"})
	if err != nil || len(fac) != 1 || fac[0].Facility != "mulago" || fac[0].Device != "" || fac[0].Region != "north" {
		t.Fatalf("facility alerts %+v, %v: want one for mulago", fac, err)
	}
	// c1's power_loss (2 min on power none) and p1's offline fired while
	// the facility waited: both muted, one page for the site.
	h.wantOpen("c1", RulePowerLoss, true)
	h.wantTransitions("facility_outage//firing")
	h.at(4 * time.Minute)
	h.read("p1", running())
	h.wantOpen("p1", RuleOffline, false)
	h.wantTransitions("facility_outage//firing", "facility_outage//resolved")
}

func TestAck(t *testing.T) {
	h := newHarness(t, Rules{}, psa("p1", ""))
	h.at(0)
	h.read("p1", running(state(plant.StateFault)))
	a := h.wantOpen("p1", RuleDeviceFault, true)
	if len(a.AckCode) < 4 {
		t.Fatalf("ack code %q", a.AckCode)
	}
	if _, err := h.e.AckByCode(h.ctx, "0", "sms:+256700000001"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown code: %v, want ErrNotFound", err)
	}
	got, err := h.e.AckByCode(h.ctx, a.AckCode, "amos")
	if err != nil {
		t.Fatal(err)
	}
	if got.State != plant.AlertAcknowledged || got.AckedBy != "amos" || !got.AckedAt.Equal(t0) {
		t.Fatalf("acked alert %+v", got)
	}
	if again, err := h.e.Ack(h.ctx, a.ID, "bob", ""); err != nil || again.AckedBy != "amos" {
		t.Fatalf("second ack: %+v, %v: want unchanged", again, err)
	}
	if _, err := h.e.Ack(h.ctx, 999, "bob", ""); !errors.Is(err, ErrNotFound) {
		t.Fatalf("ack of no alert: %v, want ErrNotFound", err)
	}
	// Still the same alert while the fault lasts; resolved when it ends.
	h.at(time.Minute)
	h.read("p1", running(state(plant.StateFault)))
	h.read("p1", running())
	if _, err := h.e.Ack(h.ctx, a.ID, "bob", ""); !errors.Is(err, ErrConflict) {
		t.Fatalf("ack of a resolved alert: %v, want ErrConflict", err)
	}
	h.wantTransitions("device_fault/p1/firing", "device_fault/p1/acknowledged", "device_fault/p1/resolved")
	one, err := h.e.Alert(h.ctx, a.ID)
	if err != nil || one.State != plant.AlertResolved || one.AckCode != "" || !one.ResolvedAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("resolved alert %+v, %v", one, err)
	}
	if _, err := h.e.Alert(h.ctx, 999); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Alert(999): %v, want ErrNotFound", err)
	}
}

func TestAlertsFilterAndPaging(t *testing.T) {
	h := newHarness(t, immediatePower(), psa("p1", "f1"), concentrator("c1", "f2"))
	h.at(0)
	h.read("p1", running(state(plant.StateFault), power(plant.PowerBattery)))
	h.read("c1", running(state(plant.StateFault), pressure(0.5), flow(5)))
	all, err := h.e.Alerts(h.ctx, AlertFilter{})
	if err != nil || len(all) != 3 || all[0].ID < all[1].ID {
		t.Fatalf("all alerts %+v, %v: want 3, newest first", all, err)
	}
	page, _ := h.e.Alerts(h.ctx, AlertFilter{Limit: 2})
	next, _ := h.e.Alerts(h.ctx, AlertFilter{Limit: 2, BeforeID: page[1].ID})
	if len(page) != 2 || len(next) != 1 || next[0].ID != all[2].ID {
		t.Fatalf("pages %v then %v", page, next)
	}
	south, _ := h.e.Alerts(h.ctx, AlertFilter{Regions: []string{"south"}})
	if len(south) != 1 || south[0].Device != "c1" {
		t.Fatalf("south %+v", south)
	}
	crit, _ := h.e.Alerts(h.ctx, AlertFilter{Severity: "critical", Facility: "f1"})
	if len(crit) != 2 || crit[0].Rule != RulePowerLoss { // critical: on battery and not running
		t.Fatalf("critical in f1 %+v", crit)
	}
	// Pending alerts are never listed.
	h.read("p1", running(purity(70)))
	if l, _ := h.e.Alerts(h.ctx, AlertFilter{Rule: RuleCriticalPurity}); len(l) != 0 {
		t.Fatalf("pending alert listed: %+v", l)
	}
	// "active" is firing and acknowledged, never resolved.
	h.read("c1", running(state(plant.StateFault), pressure(0.5), flow(5)))
	if _, err := h.e.Ack(h.ctx, all[0].ID, "amos", ""); err != nil {
		t.Fatal(err)
	}
	everything, _ := h.e.Alerts(h.ctx, AlertFilter{})
	var want []int64
	for _, a := range everything {
		if a.State == plant.AlertFiring || a.State == plant.AlertAcknowledged {
			want = append(want, a.ID)
		}
	}
	active, _ := h.e.Alerts(h.ctx, AlertFilter{State: "active"})
	var got []int64
	for _, a := range active {
		got = append(got, a.ID)
	}
	if len(want) == 0 || len(want) == len(everything) || !slices.Equal(got, want) {
		t.Fatalf("active %v, want %v of %+v", got, want, everything)
	}
}

// Resolved alerts older than KeepResolved are deleted; open ones and
// recent ones stay, whatever their age.
func TestPruneResolved(t *testing.T) {
	h := newHarness(t, Rules{}, psa("p1", "f1"), psa("p2", "f1"))
	h.e.opt.KeepResolved = 24 * time.Hour
	h.at(0)
	h.read("p1", running(state(plant.StateFault)))
	h.read("p2", running(state(plant.StateFault)))
	h.at(time.Minute)
	h.read("p1", running()) // p1's fault resolves now; p2's stays open
	for m := 2; m <= 30*60; m += 2 {
		h.at(time.Duration(m) * time.Minute)
		h.read("p1", running())
		h.read("p2", running(state(plant.StateFault)))
	}
	h.read("p1", running(state(plant.StateFault))) // a new one, resolved at once
	h.at(30*time.Hour + time.Minute)
	h.read("p1", running())
	h.sync()
	list := func() (out []string) {
		all, err := h.e.Alerts(h.ctx, AlertFilter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range all {
			out = append(out, string(a.Device)+"/"+a.Rule+"/"+string(a.State))
		}
		return out
	}
	before := list()
	h.e.pruneResolved(h.ctx, h.clk.Now().UnixNano())
	after := list()
	if want := []string{"p1/device_fault/resolved", "p2/device_fault/firing"}; !slices.Equal(after, want) ||
		len(before) != 3 {
		t.Errorf("before pruning %v, after %v; want %v (p1's first fault, resolved 30 h ago, gone)", before, after, want)
	}
}

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	h := newHarness(t, Rules{}, psa("p1", ""))
	e, err := New(h.ctx, Options{DB: h.db, Registerer: reg, Lookup: h.reg.lookup, Now: h.clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	r := running(alarms("high_temp"), purity(70))
	r.Device, r.Time = "p1", t0
	e.ObserveReading(r, true)
	if got := testutil.ToFloat64(e.m.evaluated); got != 1 {
		t.Errorf("readings evaluated %g, want 1", got)
	}
	want := map[string]float64{"device_fault/firing": 1, "critical_purity/pending": 1, "low_purity/pending": 1}
	for k, v := range want {
		rule, st, _ := strings.Cut(k, "/")
		if got := testutil.ToFloat64(e.m.alerts[rule][gaugeIndex(plant.AlertState(st))]); got != v {
			t.Errorf("oxywatch_alerts{%s} = %g, want %g", k, got, v)
		}
	}
	n, err := testutil.GatherAndCount(reg, "oxywatch_alerting_readings_evaluated_total", "oxywatch_alerting_evaluation_seconds", "oxywatch_alerts", "oxywatch_alerting_write_errors_total")
	if err != nil || n == 0 {
		t.Fatalf("gathered %d series, %v", n, err)
	}
}

func gaugeIndex(s plant.AlertState) int {
	for i, g := range gaugeStates {
		if g == s {
			return i
		}
	}
	return -1
}

func TestFacilitySilence(t *testing.T) {
	h := newHarness(t, Rules{}, psa("p1", "mulago"), psa("p2", "mulago"))
	s, err := h.e.CreateSilence(h.ctx, Silence{Facility: "mulago", EndsAt: t0.Add(time.Hour), Comment: "generator swap"})
	if err != nil {
		t.Fatal(err)
	}
	h.at(0)
	h.read("p1", running())
	h.read("p2", running())
	h.at(4 * time.Minute)
	if l, _ := h.e.Alerts(h.ctx, AlertFilter{Rule: RuleFacilityOutage}); len(l) != 1 {
		t.Fatalf("facility alerts %+v, want one", l)
	}
	h.wantTransitions()
	if err := h.e.DeleteSilence(h.ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	// The facility alert is news now; its devices' offline alerts stay muted
	// by it.
	h.wantTransitions("facility_outage//firing")
}

// TestRunFiresTimers lets Run's own ticker, on the real clock, fire an
// offline deadline and flush it to the store.
func TestRunFiresTimers(t *testing.T) {
	dev := psa("p1", "")
	dev.ReportIntervalS = 1
	rules, err := ParseRules([]byte("rules:\n  offline:\n    intervals: 1\n"))
	if err != nil {
		t.Fatal(err)
	}
	reg := registry{"p1": dev}
	rec := &recorder{}
	db := openDB(t, filepath.Join(t.TempDir(), "oxywatch.db"))
	e, err := New(context.Background(), Options{DB: db, Registerer: prometheus.NewRegistry(), Rules: rules,
		Lookup: reg.lookup, Notifier: rec, Tick: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- e.Run(context.Background()) }()
	e.ObserveReading(plant.Reading{Device: "p1", Time: time.Now(), State: plant.StateRunning}, true)
	testenv.Eventually(t, 10*time.Second, "offline announced", func() bool { return len(rec.all()) == 1 })
	e.Stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if tr := rec.all()[0]; tr.Alert.Rule != RuleOffline || tr.To != plant.AlertFiring {
		t.Fatalf("transition %+v, want offline firing", tr)
	}
	if err := e.Run(context.Background()); err == nil {
		t.Fatal("second Run: want an error")
	}
}

// TestDeviceClockBehind: a device whose clock is steadily ten minutes
// behind looks like a backlog on its first reading; the next, a report
// interval later, is paced like a live stream: the engine learns the
// offset, evaluates it, and warns that the clock is wrong. A real backlog
// still fires nothing.
func TestDeviceClockBehind(t *testing.T) {
	h := newHarness(t, Rules{}, psa("p1", ""))
	read := func(at time.Duration, behind time.Duration, mods ...func(*plant.Reading)) {
		h.at(at)
		r := running(mods...)
		r.Device, r.Time = "p1", h.clk.Now().Add(-behind)
		h.e.ObserveReading(r, true)
	}
	read(0, 10*time.Minute, purity(75)) // looks old: not judged yet
	h.wantOpen("p1", RuleCriticalPurity, false)
	read(time.Minute, 10*time.Minute, purity(75)) // paced: live, pending
	h.wantOpen("p1", RuleCriticalPurity, false)
	read(2*time.Minute, 10*time.Minute, purity(75)) // two bad readings, 1 min
	h.wantOpen("p1", RuleCriticalPurity, true)
	if a := h.wantOpen("p1", RuleClockSkew, true); a.Severity != plant.SeverityWarning || !strings.Contains(a.Summary, "10m0s behind") {
		t.Fatalf("clock_skew %s %q, want a warning saying 10m0s behind", a.Severity, a.Summary)
	}
	read(3*time.Minute, 10*time.Minute, purity(93))
	h.wantOpen("p1", RuleCriticalPurity, false)
	h.wantOpen("p1", RuleOffline, false)
	// Silent for an hour, then a backlog in order: nothing fires.
	at := time.Hour + 3*time.Minute
	h.at(at)
	h.wantOpen("p1", RuleOffline, true)
	for back := 50 * time.Minute; back > 5*time.Minute; back -= time.Minute {
		read(at, back+10*time.Minute, state(plant.StateFault))
	}
	h.wantOpen("p1", RuleDeviceFault, false)
	h.wantOpen("p1", RuleOffline, false)
}

// TestClockDriftAndAcceleratedClock: a clock that falls further behind
// reading after reading keeps being evaluated (the skew follows it), and a
// simulation running 60 times faster than the engine's clock is evaluated
// in its own time: `for` and the offline deadline follow its readings.
func TestClockDriftAndAcceleratedClock(t *testing.T) {
	h := newHarness(t, Rules{}, psa("p1", ""), psa("sim", ""))
	behind := time.Duration(0)
	for at := time.Duration(0); at <= 20*time.Minute; at += time.Minute {
		h.at(at)
		r := running(purity(75))
		if at < 10*time.Minute {
			r = running()
		}
		r.Device, r.Time = "p1", h.clk.Now().Add(-behind)
		h.e.ObserveReading(r, true)
		behind += 30 * time.Second // 10 min behind after 20 min
	}
	h.wantOpen("p1", RuleCriticalPurity, true)
	h.wantOpen("p1", RuleClockSkew, true)

	// 60 simulated seconds per engine second, started an hour in the past.
	simStart := t0.Add(time.Hour - 30*time.Minute)
	read := func(i int, mods ...func(*plant.Reading)) {
		at := 30*time.Minute + time.Duration(i)*time.Second
		h.at(at)
		r := running(mods...)
		r.Device, r.Time = "sim", simStart.Add(time.Duration(i)*time.Minute)
		h.e.ObserveReading(r, true)
	}
	for i := range 10 {
		read(i)
	}
	h.wantOpen("sim", RuleOffline, false)
	read(10, pressure(3)) // low_pressure: 2 simulated minutes = 2 s here
	read(11, pressure(3))
	read(12, pressure(3))
	h.wantOpen("sim", RuleLowPressure, true)
	h.wantOpen("sim", RuleClockSkew, false) // a simulation, not a wrong clock
	// Silent for 3 simulated report intervals (3 s): offline.
	h.at(30*time.Minute + 16*time.Second)
	h.wantOpen("sim", RuleOffline, true)
}

// TestRegistryChange: a device whose registry entry changes gets the new
// kind's rules at the next refresh; alerts of rules it no longer has resolve.
func TestRegistryChange(t *testing.T) {
	h := newHarness(t, Rules{}, psa("p1", "f1"))
	for at := time.Duration(0); at <= 2*time.Minute; at += time.Minute {
		h.at(at)
		h.read("p1", running(purity(88)))
	}
	h.wantOpen("p1", RuleLowPurity, true)
	tank := psa("p1", "f2")
	tank.Kind = plant.KindLOXTank // no low_purity rule for tanks
	h.reg["p1"] = tank
	h.at(4 * time.Minute) // past the registry refresh
	h.read("p1", running(purity(88)))
	h.wantOpen("p1", RuleLowPurity, false)
	h.wantTransitions("low_purity/p1/firing", "low_purity/p1/resolved")
}
