package api

import (
	"context"
	"database/sql"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/oxywatch/oxywatch/alerting"
	"github.com/oxywatch/oxywatch/internal/plant"
)

// fixtureRules is the fixture engine's rules file: a model whose plants
// run at higher pressure, so their low_pressure limit is raised.
const fixtureRules = `
overrides:
  - model: OX-500
    rules:
      low_pressure: {below: 4.2, clear: 4.4, severity: critical}
`

// engineLimits is a real alerting engine on the fixture's database, with
// fixtureRules, serving LimitsSource as internal/app's adapter does.
func engineLimits(t testing.TB, db *sql.DB) LimitsSource {
	t.Helper()
	rules, err := alerting.ParseRules([]byte(fixtureRules))
	if err != nil {
		t.Fatal(err)
	}
	e, err := alerting.New(context.Background(), alerting.Options{DB: db, Registerer: prometheus.NewRegistry(), Rules: rules})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Stop)
	return engineLimitsSource{e}
}

type engineLimitsSource struct{ e *alerting.Engine }

func (s engineLimitsSource) Limits(_ context.Context, d plant.Device) (DeviceLimits, error) {
	dl := s.e.Limits(d)
	out := DeviceLimits{Device: dl.Device, OfflineIntervals: dl.OfflineIntervals, Maintenance: dl.Maintenance,
		MaintenanceWarnPct: 100 * dl.MaintenanceWarn}
	for _, l := range dl.Limits {
		out.Limits = append(out.Limits, Limit{Rule: l.Rule, Field: l.Field, Above: l.Above, Level: l.Level, Clear: l.Clear,
			Unit: l.Unit, Severity: l.Severity, ForS: l.For.Seconds(), ForReadings: l.ForReadings, WarmUpS: l.WarmUp.Seconds()})
	}
	for _, c := range dl.Service {
		out.Service = append(out.Service, ServiceInterval{Component: c.Component, Hours: c.Hours, Months: c.Months, Days: c.Days})
	}
	return out, nil
}

func findLimit(list []Limit, rule string) (Limit, bool) {
	i := slices.IndexFunc(list, func(l Limit) bool { return l.Rule == rule })
	if i < 0 {
		return Limit{}, false
	}
	return list[i], true
}

// TestLimitsAPI: GET /devices/{id}/limits answers the engine's limits for
// the device (a model override included), to viewers, and to region-limited
// tokens only inside their regions.
func TestLimitsAPI(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.reg.Put(ctx, plant.Device{ID: "n-psa-ox", Kind: plant.KindPSA, Model: "OX-500", Facility: "f-north", Region: "north", Country: "UG", RatedFlowLPM: 500}); err != nil {
		t.Fatal(err)
	}
	var ox, plain DeviceLimits
	f.ok("viewer", "GET", "/api/v1/devices/n-psa-ox/limits", nil, &ox)
	f.ok("north-viewer", "GET", "/api/v1/devices/n-psa-1/limits", nil, &plain)
	if l, ok := findLimit(ox.Limits, "low_pressure"); !ok || l.Level != 4.2 || l.Clear != 4.4 || l.Severity != plant.SeverityCritical || l.Above || l.Field != "pressure_bar" {
		t.Errorf("OX-500 low_pressure %+v (found %v), want the model override's 4.2 / 4.4 critical", l, ok)
	}
	if l, _ := findLimit(plain.Limits, "low_pressure"); l.Level != 3.5 || l.Severity != plant.SeverityWarning || l.ForS != 120 {
		t.Errorf("a plain PSA's low_pressure %+v, want the default 3.5 bar warning for 120 s", l)
	}
	if l, _ := findLimit(plain.Limits, "overload"); l.Level != 110 || l.Unit != "% of rated flow" || !l.Above {
		t.Errorf("overload %+v, want above 110 %% of rated flow", l)
	}
	if len(plain.Service) != 3 || plain.Service[0].Component != "filter_elements" || plain.Service[0].Months != 6 || !plain.Maintenance {
		t.Errorf("service intervals %+v, want the PSA's three with filter elements every 6 months", plain.Service)
	}
	wantProblem(t, f.do("north-viewer", "GET", "/api/v1/devices/s-psa-1/limits", nil), http.StatusForbidden)
	wantProblem(t, f.do("viewer", "GET", "/api/v1/devices/no-such/limits", nil), http.StatusNotFound)
	wantProblem(t, f.do("", "GET", "/api/v1/devices/n-psa-1/limits", nil), http.StatusUnauthorized)

	off := newFixture(t, func(o *Options) { o.Limits = nil })
	wantProblem(t, off.do("viewer", "GET", "/api/v1/devices/n-psa-1/limits", nil), http.StatusNotImplemented)
}

// TestDashboardLimitsOnCharts: a plant whose model has a low_pressure
// override shows the override's line on its pressure chart, not the
// built-in 3.5 bar; a plant of another model shows the default.
func TestDashboardLimitsOnCharts(t *testing.T) {
	f := newFixture(t)
	seed(t, f, plant.Device{ID: "n-psa-ox", Kind: plant.KindPSA, Model: "OX-500", Facility: "f-north", Region: "north", RatedFlowLPM: 500}, plant.StateRunning, 94)
	ctx, url := browser(t, f)
	do(t, ctx, "window size", chromedp.EmulateViewport(1366, 900))
	logIn(t, ctx, url, f.tok["viewer"])
	const labels = `[...document.querySelectorAll('.chart[data-field="pressure_bar"] text.tlabel')].map(e => e.textContent)`
	do(t, ctx, "the OX-500's page",
		chromedp.Navigate(url+"/#/device/n-psa-ox"),
		chromedp.WaitVisible(chromedp.CSS(`.chart[data-field="pressure_bar"] polyline`)))
	ox := texts(t, ctx, "pressure lines", labels)
	if !slices.Contains(ox, "4.2 bar low") || slices.Contains(ox, "3.5 bar low") {
		t.Errorf("the OX-500's pressure chart marks %q, want its model override's 4.2 bar low line and not the default 3.5", ox)
	}
	do(t, ctx, "open the limits in words", chromedp.Click(chromedp.CSS(`#limits summary`)), chromedp.WaitVisible(chromedp.CSS(`#limits li[data-rule="low_pressure"]`)))
	words := run(t, ctx, "low_pressure in words", chromedp.Text(chromedp.CSS(`#limits li[data-rule="low_pressure"]`)))
	if !strings.Contains(words, "below 4.2 bar for 2 min") || !strings.Contains(words, "4.4 bar") || !strings.Contains(words, "Critical") {
		t.Errorf("the limits list says %q, want below 4.2 bar for 2 min, clearing at 4.4 bar, critical", words)
	}
	screenshot(t, ctx, "device-limits-override.png")
	do(t, ctx, "another plant's page",
		chromedp.Navigate(url+"/#/device/n-psa-1"),
		chromedp.WaitVisible(chromedp.CSS(`.device-page h2`)),
		until(`document.querySelector('.device-page h2').textContent.startsWith("n-psa-1") && document.querySelector('.chart[data-field="pressure_bar"] text.tlabel')`))
	plain := texts(t, ctx, "pressure lines", labels)
	if !slices.Contains(plain, "3.5 bar low") || !slices.Contains(plain, "7 bar high") {
		t.Errorf("a plain PSA's pressure chart marks %q, want the default 3.5 bar low and 7 bar high", plain)
	}
	purity := texts(t, ctx, "purity lines", `[...document.querySelectorAll('.chart[data-field="purity_pct"] text.tlabel')].map(e => e.textContent)`)
	if strings.Join(purity, ", ") != "90 % standard, 82 % unsafe" {
		t.Errorf("purity lines %q, want the PSA's 90 %% standard and 82 %% unsafe", purity)
	}
}
