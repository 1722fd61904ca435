package alerting

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// A component with a calendar interval falls due by date even when its
// running hours are far from the interval (a plant run 8 hours a day), and
// without runtime_h at all; a service record resets it.
func TestCalendarMaintenance(t *testing.T) {
	h := newHarness(t, Rules{}, psa("p1", "f1"), psa("p2", "f1"))
	h.at(0)
	h.read("p1", running(runtime(1000)))
	h.read("p2", running()) // a monitor without runtime_h
	for _, dev := range []plant.DeviceID{"p1", "p2"} {
		for _, c := range []string{"filter_elements", "air_compressor", "zeolite"} {
			if _, err := h.e.RecordService(h.ctx, plant.ServiceRecord{Device: dev, Component: c,
				DoneAt: t0.AddDate(0, -5, 0), RuntimeH: 100}); err != nil {
				t.Fatal(err)
			}
		}
	}
	h.read("p1", running(runtime(1000)))
	h.read("p2", running())
	h.wantOpen("p1", RuleMaintenanceDue, false)
	h.wantOpen("p2", RuleMaintenanceDue, false)

	// One month later the filter elements are six months old: 900 h of
	// 4,380 h run, due by the calendar.
	h.at(31 * 24 * time.Hour)
	h.read("p1", running(runtime(1200)))
	h.read("p2", running())
	for _, dev := range []string{"p1", "p2"} {
		a := h.wantOpen(dev, RuleMaintenanceDue, true)
		if !strings.Contains(a.Summary, "filter_elements") || !strings.Contains(a.Summary, "calendar") || a.Severity != plant.SeverityInfo {
			t.Errorf("%s: %s %q, want an info item naming filter_elements due by the calendar", dev, a.Severity, a.Summary)
		}
	}
	items, err := h.e.MaintenanceDue(h.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		wantDue := it.Component == "filter_elements"
		if it.Due != wantDue || (wantDue && (it.DueBy != DueByCalendar || it.DueAt.IsZero() || it.IntervalMonths != 6)) {
			t.Errorf("%s/%s: due %v by %q at %s, months %d", it.Device, it.Component, it.Due, it.DueBy, it.DueAt, it.IntervalMonths)
		}
	}

	// 10 % past the interval (about 18 days) it warns; a service ends it.
	h.at(50 * 24 * time.Hour)
	h.read("p1", running(runtime(1400)))
	if a := h.wantOpen("p1", RuleMaintenanceDue, true); a.Severity != plant.SeverityWarning {
		t.Errorf("19 days past the calendar interval: %s, want warning", a.Severity)
	}
	if _, err := h.e.RecordService(h.ctx, plant.ServiceRecord{Device: "p1", Component: "filter_elements"}); err != nil {
		t.Fatal(err)
	}
	h.wantOpen("p1", RuleMaintenanceDue, false)
}

// The rules file takes an interval as hours or as a mapping with calendar
// time, and names a bad one.
func TestRulesCalendarIntervals(t *testing.T) {
	r, err := ParseRules([]byte(`
maintenance:
  psa:
    filter_elements: {hours: 2000, days: 45}
    dryer_service: {months: 3}
  concentrator:
    inlet_filter: 3000
`))
	if err != nil {
		t.Fatal(err)
	}
	c := newCompiler(r)
	comps := map[string]component{}
	for _, x := range c.forDevice(psa("p1", "")).comps {
		comps[x.name] = x
	}
	if f := comps["filter_elements"]; f.hours != 2000 || f.days != 45 || f.months != 0 {
		t.Errorf("filter_elements %+v, want 2000 h or 45 days", f)
	}
	if d := comps["dryer_service"]; d.hours != 0 || d.months != 3 {
		t.Errorf("dryer_service %+v, want every 3 months", d)
	}
	for _, x := range c.forDevice(concentrator("c1", "")).comps {
		if x.name == "inlet_filter" && (x.hours != 3000 || x.months != 0) {
			t.Errorf("inlet_filter %+v, want 3000 h", x)
		}
	}
	if _, err := ParseRules([]byte("maintenance:\n  psa:\n    filter_elements: {months: -1}\n")); err == nil ||
		!strings.Contains(err.Error(), "maintenance.psa.filter_elements.months") {
		t.Errorf("negative months: got %v, want an error naming maintenance.psa.filter_elements.months", err)
	}
}

// EndSilence: a running silence ends now and stays (its time counts as
// maintenance), one not begun is deleted, an ended one is a conflict; the
// alert it kept quiet is announced at once.
func TestEndSilence(t *testing.T) {
	h := newHarness(t, Rules{}, psa("p1", "f1"))
	h.at(0)
	run, err := h.e.CreateSilence(h.ctx, Silence{Device: "p1", Maintenance: true, EndsAt: t0.Add(4 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	later, err := h.e.CreateSilence(h.ctx, Silence{Device: "p1", StartsAt: t0.Add(24 * time.Hour), EndsAt: t0.Add(25 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	h.read("p1", running(state(plant.StateFault)))
	h.sync()
	if len(h.rec.all()) != 0 {
		t.Fatalf("announced under a silence: %v", h.rec.keys())
	}
	h.at(30 * time.Minute)
	h.read("p1", running(state(plant.StateFault)))
	s, kept, err := h.e.EndSilence(h.ctx, run.ID)
	if err != nil || !kept || !s.EndsAt.Equal(t0.Add(30*time.Minute)) || !s.StartsAt.Equal(t0) {
		t.Fatalf("end a running silence: %+v kept %v, %v; want it kept from t0 to now", s, kept, err)
	}
	h.sync()
	h.wantTransitions("device_fault/p1/firing")
	if _, kept, err := h.e.EndSilence(h.ctx, later.ID); err != nil || kept {
		t.Errorf("end a silence not begun: kept %v, %v; want it deleted", kept, err)
	}
	if _, _, err := h.e.EndSilence(h.ctx, run.ID); !errors.Is(err, ErrConflict) {
		t.Errorf("end an ended silence: %v, want ErrConflict", err)
	}
	list, _ := h.e.Silences(h.ctx)
	if len(list) != 1 || list[0].ID != run.ID || !list[0].EndsAt.Equal(t0.Add(30*time.Minute)) {
		t.Errorf("stored silences %+v, want the first, ending at 30 min", list)
	}
}

// A service without runtime_h on a device that never reported its hours is
// refused with what to give: counting from 0 h would make all its past
// running look like hours since this service.
func TestServiceNeedsRuntimeWhenUnknown(t *testing.T) {
	h := newHarness(t, Rules{}, psa("p1", "f1"))
	h.at(0)
	h.read("p1", running()) // no runtime_h
	_, err := h.e.RecordService(h.ctx, plant.ServiceRecord{Device: "p1", Component: "air_compressor"})
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "runtime_h is needed") {
		t.Fatalf("got %v, want ErrInvalid asking for runtime_h", err)
	}
	if _, err := h.e.RecordService(h.ctx, plant.ServiceRecord{Device: "p1", Component: "air_compressor", RuntimeH: 5100}); err != nil {
		t.Fatal(err)
	}
	if rt, known := h.e.Runtime("p1"); known {
		t.Errorf("Runtime = %g, known; want unknown (p1 sends no runtime_h)", rt)
	}
	h.read("p1", running(runtime(5120)))
	if rt, known := h.e.Runtime("p1"); !known || rt != 5120 {
		t.Errorf("Runtime = %g, %v; want 5120", rt, known)
	}
}
