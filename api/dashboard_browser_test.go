package api

import (
	"context"
	"fmt"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// Browser tests of what the dashboard must show an engineer (issue 16).

// seed registers a device with one reading taken 30 s before the
// fixture's now.
func seed(t *testing.T, f *fixture, d plant.Device, state plant.State, purity float64, alarms ...string) {
	t.Helper()
	if d.Country == "" {
		d.Country = "UG"
	}
	if _, err := f.reg.Put(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	r := plant.Reading{Device: d.ID, Time: testNow.Add(-30 * time.Second), State: state, Power: plant.PowerMains, Alarms: alarms,
		Values: plant.Values{Purity: plant.Float(purity), Pressure: plant.Float(4.6), Flow: plant.Float(d.RatedFlowLPM * 0.8)}}
	f.fleet.Reading(&r, r.Time)
}

// until polls a JavaScript condition every 100 ms for up to 20 s.
func until(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(20*time.Second))
}

// choose picks an option of a select as a user does (the change event).
func choose(sel, value string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(
		`(() => { const e = document.querySelector(%q); e.value = %q; e.dispatchEvent(new Event("change", {bubbles: true})); })()`, sel, value))
}

func texts(t *testing.T, ctx context.Context, what, js string) []string {
	t.Helper()
	return run(t, ctx, what, chromedp.Evaluate[[]string](js))
}

// TestDashboardFleetGroupsByFacility: facilities by name, the one with the
// most oxygen at risk first; in each, the worst devices first and plants
// before concentrators; a faulted plant's card names its fault and the
// next step. Changing view starts at the top of the page.
func TestDashboardFleetGroupsByFacility(t *testing.T) {
	for _, sc := range screens {
		t.Run(sc.name, func(t *testing.T) { fleetGroupsByFacility(t, sc) })
	}
}

// screen is a window size the dashboard must work at.
type screen struct {
	name string
	w, h int64
}

// screens: a district engineer's laptop and phone.
var screens = []screen{{"desktop", 1366, 900}, {"phone", 390, 844}}

func fleetGroupsByFacility(t *testing.T, sc screen) {
	f := newFixture(t)
	ctx := context.Background()
	seed(t, f, plant.Device{ID: "n-psa-1", Kind: plant.KindPSA, Facility: "f-north", Region: "north", RatedFlowLPM: 500}, plant.StateFault, 71, "compressor_fault")
	seed(t, f, plant.Device{ID: "n-con-3", Kind: plant.KindConcentrator, Facility: "f-north", Region: "north", RatedFlowLPM: 10}, plant.StateFault, 60, "E12")
	seed(t, f, plant.Device{ID: "s-con-9", Kind: plant.KindConcentrator, Facility: "f-south", Region: "south", RatedFlowLPM: 10}, plant.StateFault, 60, "E12")
	if err := f.reg.PutFacility(ctx, plant.Facility{ID: "f-east", Name: "East Health Centre", Region: "east", Country: "UG"}); err != nil {
		t.Fatal(err)
	}
	for i := range 8 {
		seed(t, f, plant.Device{ID: plant.DeviceID(fmt.Sprintf("e-psa-%d", i)), Kind: plant.KindPSA, Facility: "f-east", Region: "east", RatedFlowLPM: 900}, plant.StateRunning, 94)
	}
	bctx, url := browser(t, f)
	do(t, bctx, "window size", chromedp.EmulateViewport(sc.w, sc.h))
	logIn(t, bctx, url, f.tok["engineer"])
	do(t, bctx, "see the fleet", chromedp.WaitVisible(chromedp.CSS(`#fleet section.facility[data-facility="f-north"] a.device`)))

	order := texts(t, bctx, "facility order", `[...document.querySelectorAll("#fleet section.facility")].map(s => s.dataset.facility)`)
	if want := []string{"f-north", "f-south", "f-east"}; strings.Join(order, " ") != strings.Join(want, " ") {
		t.Errorf("facilities in order %v, want %v (most capacity at risk first, healthy last)", order, want)
	}
	names := texts(t, bctx, "facility names", `[...document.querySelectorAll("#fleet section.facility h2")].map(h => h.textContent)`)
	if len(names) == 0 || names[0] != "North Referral" {
		t.Errorf("facility headings %q, want the registry's names, North Referral first", names)
	}
	cards := texts(t, bctx, "north cards", `[...document.querySelectorAll('#fleet section[data-facility="f-north"] .grid a.device')].map(a => a.dataset.device)`)
	if len(cards) < 2 || cards[0] != "n-psa-1" || cards[1] != "n-con-3" {
		t.Errorf("north cards in order %v, want the faulted plant n-psa-1 first, then the faulted concentrator", cards)
	}
	first := run(t, bctx, "plant card", chromedp.Text(chromedp.CSS(`#fleet a.device[data-device="n-psa-1"]`)))
	for _, want := range []string{"Compressor fault", "What to do:", "Check the compressor", "PSA plant"} {
		if !strings.Contains(first, want) {
			t.Errorf("the faulted plant's card says %q, want %q in it", first, want)
		}
	}
	screenshot(t, bctx, sc.name+"-fleet-grouped.png")

	do(t, bctx, "scroll down, then change view",
		chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 600)`),
		until(`window.scrollY > 0`),
		chromedp.Click(chromedp.CSS(`nav a[data-view="alerts"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#alerts`)),
	)
	if y := run(t, bctx, "scroll position", chromedp.Evaluate[float64](`window.scrollY`)); y != 0 {
		t.Errorf("the alert list opens scrolled to %.0f px, want the top", y)
	}
}

// TestDashboardStaleBanner: when the server stops answering, a banner says
// so within one refresh, with the age of what is shown, and the page greys.
func TestDashboardStaleBanner(t *testing.T) {
	f := newFixture(t)
	srv := httptest.NewServer(f.h)
	t.Cleanup(srv.Close)
	ctx := browserFor(t, srv)
	logIn(t, ctx, srv.URL, f.tok["viewer"])
	do(t, ctx, "see the fleet", chromedp.WaitVisible(chromedp.CSS(`#fleet a.device[data-device="n-psa-1"]`)))
	if visible := run(t, ctx, "banner", chromedp.Evaluate[bool](`!document.getElementById("conn-banner").hidden`)); visible {
		t.Fatal("the no-answer banner shows while the server answers")
	}
	stopped := time.Now()
	srv.CloseClientConnections()
	srv.Close()
	do(t, ctx, "the banner appears", chromedp.WaitVisible(chromedp.ID("conn-banner")))
	if took := time.Since(stopped); took > 10*time.Second+5*time.Second {
		t.Errorf("the banner took %s, want it within one 10 s refresh", took)
	}
	banner := run(t, ctx, "banner text", chromedp.Text(chromedp.ID("conn-banner")))
	if !strings.Contains(banner, "No answer from the server") || !regexp.MustCompile(`from \d\d:\d\d, \d+ s ago`).MatchString(banner) {
		t.Errorf("the banner says %q, want that the server does not answer and the age of the data", banner)
	}
	grey := run(t, ctx, "greyed", chromedp.Evaluate[string](`document.body.classList.contains("stale") && getComputedStyle(document.getElementById("view")).filter`))
	if !strings.Contains(grey, "grayscale") {
		t.Errorf("the stale page's filter is %q, want it greyed", grey)
	}
	screenshot(t, ctx, "stale-banner.png")
}

// TestDashboardAlertsSortedFilteredExplained: critical first and the oldest
// first, in words with the next step and the facility's name, who was told
// (or that nobody was), service reminders apart, and a facility filter.
func TestDashboardAlertsSortedFilteredExplained(t *testing.T) {
	f := newFixture(t)
	f.alerts.add(plant.Alert{Rule: "critical_purity", Device: "n-con-2", Facility: "f-north", Region: "north", Severity: plant.SeverityCritical,
		State: plant.AlertFiring, StartedAt: testNow.Add(-3 * time.Hour), Value: plant.Float(78.4), Summary: "oxygen purity 78.4 % below 82.0 % for 1m0s"})
	f.alerts.add(plant.Alert{Rule: "maintenance_due", Device: "s-psa-1", Facility: "f-south", Region: "south", Severity: plant.SeverityInfo,
		State: plant.AlertFiring, StartedAt: testNow.Add(-5 * time.Hour), Value: plant.Float(4100), Summary: "air_compressor: 4100 running hours since service, interval 4000 h"})
	ctx, url := browser(t, f)
	logIn(t, ctx, url, f.tok["engineer"])
	do(t, ctx, "alerts", chromedp.Navigate(url+"/#/alerts"), chromedp.WaitVisible(chromedp.CSS(`#alerts .alert[data-alert="2"]`)))

	order := texts(t, ctx, "order", `[...document.querySelectorAll("#alerts .alert")].map(a => a.dataset.alert)`)
	if got, want := strings.Join(order, " "), "4 1 2"; got != want {
		t.Errorf("alerts in order %s, want %s (critical before warning, the oldest first, service reminders apart)", got, want)
	}
	service := run(t, ctx, "service", chromedp.Evaluate[string](`document.querySelector("#service-due").textContent`))
	if !strings.Contains(service, "Service reminders (1)") || !strings.Contains(service, "air compressor") {
		t.Errorf("the service reminders say %q", service)
	}
	purity := run(t, ctx, "purity alert", chromedp.Text(chromedp.CSS(`#alerts .alert[data-alert="4"]`)))
	for _, want := range []string{"Oxygen purity 78.4 %: unsafe for patients", "Switch patients to cylinders", "North Referral", "Nobody was told"} {
		if !strings.Contains(purity, want) {
			t.Errorf("the purity alert says %q, want %q in it", purity, want)
		}
	}
	fault := run(t, ctx, "fault alert", chromedp.Text(chromedp.CSS(`#alerts .alert[data-alert="1"]`)))
	if !strings.Contains(fault, "Told: Grace by SMS") || strings.Contains(fault, "Nobody was told") {
		t.Errorf("the fault alert says %q, want who was told", fault)
	}
	screenshot(t, ctx, "alerts-explained.png")

	do(t, ctx, "filter to one facility",
		choose("#alert-filter-facility", "f-south"),
		until(`document.querySelectorAll("#alerts .alert").length === 1`),
	)
	if only := texts(t, ctx, "filtered", `[...document.querySelectorAll("#alerts .alert")].map(a => a.dataset.alert)`); len(only) != 1 || only[0] != "2" {
		t.Errorf("filtered to South District: alerts %v, want [2]", only)
	}
	label := run(t, ctx, "filter label", chromedp.Evaluate[string](`document.querySelector("#alert-filter-facility").selectedOptions[0].textContent`))
	if label != "South District" {
		t.Errorf("the facility filter shows %q, want the facility's name", label)
	}
}

// TestDashboardSilencesAndMaintenance: silence an alert for a chosen time
// with a reason, find it in the list and end it; plan maintenance of a
// device and end it early without erasing it from history.
func TestDashboardSilencesAndMaintenance(t *testing.T) {
	for _, sc := range screens {
		t.Run(sc.name, func(t *testing.T) { silencesAndMaintenance(t, sc) })
	}
}

func silencesAndMaintenance(t *testing.T, sc screen) {
	// The server's clock is the browser's: ending maintenance keeps the
	// part that ran before the server's now.
	f := newFixture(t, func(o *Options) { o.Now = time.Now })
	ctx, url := browser(t, f)
	do(t, ctx, "window size", chromedp.EmulateViewport(sc.w, sc.h))
	logIn(t, ctx, url, f.tok["engineer"])
	do(t, ctx, "silence alert 2 for 4 hours",
		chromedp.Navigate(url+"/#/alerts"),
		chromedp.WaitVisible(chromedp.CSS(`#alerts button.silence[data-alert="2"]`)),
		chromedp.Click(chromedp.CSS(`#alerts button.silence[data-alert="2"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#silence-dialog select[name="minutes"]`)),
		choose(`#silence-dialog select[name="minutes"]`, "240"),
		chromedp.SendKeys(chromedp.CSS(`#silence-dialog input[name="reason"]`), "generator being repaired"),
		chromedp.SendKeys(chromedp.CSS(`#silence-dialog input[name="person"]`), "Jane Banda"),
		chromedp.Click(chromedp.CSS(`#silence-dialog button[type="submit"]`)),
		chromedp.WaitNotPresent(chromedp.CSS(`#silence-dialog`)),
	)
	list, _ := f.silences.List(context.Background())
	s := list[len(list)-1]
	if s.Device != "s-psa-1" || s.Rule != "low_purity" || s.Comment != "Jane Banda: generator being repaired" || s.EndsAt.Sub(s.StartsAt) != 4*time.Hour || s.Maintenance {
		t.Fatalf("silence from the dashboard: got %+v, want s-psa-1 low_purity for 4 h with the reason and the name", s)
	}
	do(t, ctx, "the alert shows it is silenced", chromedp.WaitVisible(chromedp.CSS(`#alerts .alert[data-alert="2"] .muted-mark`)))

	row := fmt.Sprintf(`#silences li[data-silence="%d"]`, s.ID)
	do(t, ctx, "the silence is listed",
		chromedp.Click(chromedp.CSS(`nav a[data-view="silences"]`)),
		chromedp.WaitVisible(chromedp.CSS(row)),
	)
	if text := run(t, ctx, "silence row", chromedp.Text(chromedp.CSS(row))); !strings.Contains(text, "generator being repaired") || !strings.Contains(text, "left") {
		t.Errorf("the silence row says %q, want the reason and the time left", text)
	}
	screenshot(t, ctx, sc.name+"-silences.png")
	do(t, ctx, "end the silence",
		chromedp.Click(chromedp.CSS(row+` button.end-silence`)),
		chromedp.WaitNotPresent(chromedp.CSS(row)),
	)
	if list, _ := f.silences.List(context.Background()); runningSilence(list, s.ID) {
		t.Errorf("silence %d still runs after End silence", s.ID)
	}

	do(t, ctx, "plan maintenance of n-psa-1",
		chromedp.Navigate(url+"/#/device/n-psa-1"),
		chromedp.WaitVisible(chromedp.ID("plan-maintenance")),
		chromedp.Click(chromedp.ID("plan-maintenance")),
		chromedp.WaitVisible(chromedp.CSS(`#silence-dialog input[name="reason"]`)),
		chromedp.SendKeys(chromedp.CSS(`#silence-dialog input[name="reason"]`), "sieve bed change"),
		chromedp.Click(chromedp.CSS(`#silence-dialog button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#device-silences li.maint`)),
	)
	list, _ = f.silences.List(context.Background())
	m := list[len(list)-1]
	if m.Device != "n-psa-1" || !m.Maintenance || m.Rule != "" || m.Comment != "Jane Banda: sieve bed change" || m.EndsAt.Sub(m.StartsAt) != 4*time.Hour {
		t.Fatalf("maintenance from the dashboard: got %+v, want n-psa-1, maintenance, 4 h, with the reason", m)
	}
	screenshot(t, ctx, sc.name+"-device-maintenance.png")
	do(t, ctx, "end the maintenance early",
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`#device-silences li[data-silence="%d"] button.end-silence`, m.ID))),
		chromedp.WaitNotPresent(chromedp.CSS(fmt.Sprintf(`#device-silences li[data-silence="%d"]`, m.ID))),
	)
	list, _ = f.silences.List(context.Background())
	if runningSilence(list, m.ID) {
		t.Fatalf("maintenance %d still runs after End maintenance", m.ID)
	}
	cut := list[slices.IndexFunc(list, func(x Silence) bool { return x.ID == m.ID })]
	if !cut.Maintenance || cut.Device != "n-psa-1" || !cut.StartsAt.Equal(m.StartsAt) || cut.EndsAt.After(time.Now()) {
		t.Errorf("ended maintenance: got %+v, want it kept from %s and ending now, so the service done stays maintenance in reports", cut, m.StartsAt)
	}
}

// runningSilence reports whether silence id is stored and not yet ended.
func runningSilence(list []Silence, id int64) bool {
	i := slices.IndexFunc(list, func(x Silence) bool { return x.ID == id })
	return i >= 0 && list[i].EndsAt.After(time.Now())
}

func containsSilence(list []Silence, id int64) bool {
	for _, s := range list {
		if s.ID == id {
			return true
		}
	}
	return false
}

// TestDashboardChartRanges: 1 hour to 30 days, threshold lines, a value
// under the pointer, text drawn at its real size, times in the
// deployment's zone.
func TestDashboardChartRanges(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.TimeZone = "Africa/Kampala" })
	f.alerts.add(plant.Alert{Rule: "low_pressure", Device: "n-con-2", Facility: "f-north", Region: "north", Severity: plant.SeverityWarning,
		State: plant.AlertFiring, StartedAt: time.Now().Add(-5 * time.Minute), Value: plant.Float(0.21)})
	ctx, url := browser(t, f)
	logIn(t, ctx, url, f.tok["viewer"])
	const purity = `.history[data-range="%s"] .chart[data-field="purity_pct"] polyline`
	// A problem 5 minutes old is shown over the last hour, not as a
	// sliver of a day.
	do(t, ctx, "a device with a fresh alert",
		chromedp.Navigate(url+"/#/device/n-con-2"),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(purity, "1h"))),
	)
	do(t, ctx, "choose 1 h on another device",
		chromedp.Navigate(url+"/#/device/n-psa-1"),
		chromedp.WaitVisible(chromedp.CSS(`.history .chart[data-field="purity_pct"] polyline`)),
		chromedp.Click(chromedp.CSS(`button.range[data-range="6h"]`)),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(purity, "6h"))),
		chromedp.Click(chromedp.CSS(`button.range[data-range="1h"]`)),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(purity, "1h"))),
	)
	if q := f.lastReadings(); q.To.Sub(q.From) != time.Hour {
		t.Errorf("the 1 h range asked for %s of history", q.To.Sub(q.From))
	}
	lines := texts(t, ctx, "thresholds", `[...document.querySelectorAll('.chart[data-field="purity_pct"] text.tlabel')].map(e => e.textContent)`)
	if strings.Join(lines, ", ") != "90 % standard, 82 % unsafe" {
		t.Errorf("purity threshold lines %q, want the PSA standard and the unsafe limit", lines)
	}
	// One SVG unit must be one CSS pixel: no stretched or squashed text.
	scale := run(t, ctx, "svg scale", chromedp.Evaluate[float64](`(() => {
		const s = document.querySelector('.chart[data-field="purity_pct"] svg');
		return s.getBoundingClientRect().width / s.viewBox.baseVal.width; })()`))
	if scale < 0.99 || scale > 1.01 {
		t.Errorf("the chart is drawn at %.2f of its size, want 1", scale)
	}
	tip := run(t, ctx, "hover", chromedp.Evaluate[string](`(() => {
		const layer = document.querySelector('.chart[data-field="purity_pct"] rect.hover-layer');
		const r = layer.getBoundingClientRect();
		layer.dispatchEvent(new PointerEvent("pointermove", {clientX: r.left + r.width / 2, clientY: r.top + 10, bubbles: true}));
		const t = layer.ownerSVGElement.querySelector("text.tip");
		return t.getAttribute("visibility") + " " + t.textContent; })()`))
	if !regexp.MustCompile(`^visible \w{3} \d+ \d\d:\d\d · \d+\.\d %$`).MatchString(tip) {
		t.Errorf("hovering the purity chart shows %q, want the time and the value", tip)
	}
	status := run(t, ctx, "status line", chromedp.Text(chromedp.ID("status-line")))
	if !strings.Contains(status, "Africa/Kampala") {
		t.Errorf("the status line says %q, want the deployment's time zone", status)
	}
	screenshot(t, ctx, "device-1h.png")
	do(t, ctx, "30 days",
		chromedp.Click(chromedp.CSS(`button.range[data-range="30d"]`)),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(purity, "30d"))),
	)
	if q := f.lastReadings(); q.To.Sub(q.From) != 30*24*time.Hour {
		t.Errorf("the 30 d range asked for %s of history", q.To.Sub(q.From))
	}
}

func (f *fixture) lastReadings() ReadingsQuery {
	f.readings.mu.Lock()
	defer f.readings.mu.Unlock()
	if len(f.readings.seen) == 0 {
		return ReadingsQuery{}
	}
	return f.readings.seen[len(f.readings.seen)-1]
}

// TestDashboardHistoryUnavailable: with InfluxDB down the device page says
// so, that live values are still current, and the request id to look up,
// instead of "no data in this period".
func TestDashboardHistoryUnavailable(t *testing.T) {
	f := newFixture(t)
	f.readings.err = errBoom
	ctx, url := browser(t, f)
	logIn(t, ctx, url, f.tok["viewer"])
	do(t, ctx, "device page", chromedp.Navigate(url+"/#/device/n-psa-1"), chromedp.WaitVisible(chromedp.ID("history-error")))
	msg := run(t, ctx, "history error", chromedp.Text(chromedp.ID("history-error")))
	if !strings.Contains(msg, "InfluxDB") || !regexp.MustCompile(`request id \S+/\S+`).MatchString(msg) || !strings.Contains(msg, "live values") {
		t.Errorf("with InfluxDB down the device page says %q, want the cause, the request id and that live values are current", msg)
	}
	if n := run(t, ctx, "charts", chromedp.Evaluate[int](`document.querySelectorAll(".chart").length`)); n != 0 {
		t.Errorf("%d empty charts drawn while history is unavailable, want none", n)
	}
	screenshot(t, ctx, "history-unavailable.png")
}

// TestDashboardSiteOutageIsOneCard: every device of a facility without
// power is one facility card, not a card per device.
func TestDashboardSiteOutageIsOneCard(t *testing.T) {
	f := newFixture(t)
	for _, id := range []string{"s-con-1", "s-con-2", "s-con-3"} {
		seed(t, f, plant.Device{ID: plant.DeviceID(id), Kind: plant.KindConcentrator, Facility: "f-south", Region: "south", RatedFlowLPM: 10}, plant.StateOff, 21)
	}
	f.alerts.add(plant.Alert{Rule: "facility_outage", Facility: "f-south", Region: "south", Severity: plant.SeverityCritical,
		State: plant.AlertFiring, StartedAt: testNow.Add(-10 * time.Minute), Summary: "all 4 devices of facility South District are offline, on battery or without power"})
	ctx, url := browser(t, f)
	logIn(t, ctx, url, f.tok["viewer"])
	const south = `#fleet section[data-facility="f-south"]`
	do(t, ctx, "see the fleet", chromedp.WaitVisible(chromedp.CSS(south+` .outage`)))
	card := run(t, ctx, "outage card", chromedp.Text(chromedp.CSS(south+` .outage`)))
	if !strings.Contains(card, "Site-wide outage at South District") || !strings.Contains(card, "Phone the site") {
		t.Errorf("the outage card says %q, want the facility's name and what to do", card)
	}
	cards := run(t, ctx, "device cards", chromedp.Evaluate[int](`document.querySelectorAll('`+south+` .grid a.device').length`))
	chips := run(t, ctx, "device chips", chromedp.Evaluate[int](`document.querySelectorAll('`+south+` .chips a.device').length`))
	if cards != 0 || chips != 4 {
		t.Errorf("South District shows %d device cards and %d chips, want one outage card and its 4 devices as chips", cards, chips)
	}
}

// TestDashboardContacts: engineers see who is told, the facilities nobody
// is told about, and the latest messages.
func TestDashboardContacts(t *testing.T) {
	f := newFixture(t)
	if err := f.contacts.Delete(context.Background(), 3); err != nil { // the national desk
		t.Fatal(err)
	}
	if err := f.reg.PutFacility(context.Background(), plant.Facility{ID: "f-east", Name: "East Health Centre", Region: "east", Country: "UG"}); err != nil {
		t.Fatal(err)
	}
	ctx, url := browser(t, f)
	logIn(t, ctx, url, f.tok["engineer"])
	do(t, ctx, "contacts", chromedp.Click(chromedp.ID("nav-contacts")), chromedp.WaitVisible(chromedp.ID("contacts")))
	warn := run(t, ctx, "uncovered", chromedp.Text(chromedp.ID("uncovered")))
	if !strings.Contains(warn, "East Health Centre") || strings.Contains(warn, "North Referral") {
		t.Errorf("the uncovered facilities warning says %q, want East Health Centre only", warn)
	}
	log := run(t, ctx, "deliveries", chromedp.Text(chromedp.ID("deliveries")))
	if !strings.Contains(log, "Grace") || !strings.Contains(log, "failed") {
		t.Errorf("the latest messages say %q, want Grace's SMS and the failed e-mail", log)
	}
	screenshot(t, ctx, "contacts.png")
}
