package api

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/oxywatch/oxywatch/internal/plant"
	"github.com/oxywatch/oxywatch/internal/testenv"
)

// browser starts headless Chromium against the fixture's server.
func browser(t *testing.T, f *fixture) (context.Context, string) {
	t.Helper()
	srv := httptest.NewServer(f.h)
	t.Cleanup(srv.Close)
	return browserFor(t, srv), srv.URL
}

// browserFor starts headless Chromium for a server the test may stop.
func browserFor(t *testing.T, srv *httptest.Server) context.Context {
	t.Helper()
	exe := testenv.Require(t, "chromium")
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.WindowSize(1100, 900), chromedp.UserDataDir(t.TempDir()))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelT(); cancelC(); cancelA() })
	// Start the browser on the long-lived context, so steps run under
	// shorter timeouts do not own it.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// screenshot saves a PNG under the test's temp dir (and, when
// OXYWATCH_SCREENSHOT_DIR is set, there too, to look at after the run; CI
// keeps that folder as an artifact, see api/README.md).
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	if dir := os.Getenv("OXYWATCH_SCREENSHOT_DIR"); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		path = filepath.Join(dir, name)
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("screenshot: %s (%d bytes)", path, len(png))
}

// run runs one value-returning action or fails the test.
func run[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// do runs steps with a 20 s bound; on failure it logs the page's text and
// keeps a screenshot, so a failing run shows what the browser saw.
func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(sctx, steps...); err != nil {
		body, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
		screenshot(t, ctx, "failure.png")
		t.Fatalf("%s: %v; the page says: %q", what, err, body)
	}
}

func logIn(t *testing.T, ctx context.Context, url, token string) {
	t.Helper()
	do(t, ctx, "log in",
		chromedp.Navigate(url+"/"),
		chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), token),
		chromedp.Click(chromedp.CSS(`#login-form button[type="submit"]`)),
	)
}

func TestDashboardInChromium(t *testing.T) {
	f := newFixture(t)
	ctx, url := browser(t, f)
	const faultCard = `#fleet a.device[data-device="n-psa-1"]`
	logIn(t, ctx, url, f.tok["engineer"])
	do(t, ctx, "see the fleet", chromedp.WaitVisible(chromedp.CSS(faultCard)))
	status := run(t, ctx, "status", chromedp.AttributeValue(chromedp.CSS(faultCard), "data-status"))
	cls := run(t, ctx, "class", chromedp.AttributeValue(chromedp.CSS(faultCard), "class"))
	border := run(t, ctx, "colour", chromedp.Evaluate[string](`getComputedStyle(document.querySelector('`+faultCard+`')).borderLeftColor`))
	fleetText := run(t, ctx, "fleet text", chromedp.Text(chromedp.CSS("#fleet")))
	if status.Value != string(plant.StatusDown) || !strings.Contains(cls.Value, "s-down") {
		t.Errorf("faulted device: got status %q class %q, want down", status.Value, cls.Value)
	}
	if border != "rgb(197, 48, 48)" {
		t.Errorf("faulted device border: got %s, want red rgb(197, 48, 48)", border)
	}
	for _, id := range []string{"n-psa-1", "n-con-2", "s-psa-1"} {
		if !strings.Contains(fleetText, id) {
			t.Errorf("the fleet does not show %s: %q", id, fleetText)
		}
	}
	screenshot(t, ctx, "fleet.png")

	const ack = `#alerts button.ack[data-alert="1"]`
	do(t, ctx, "acknowledge the alert in a person's name",
		chromedp.Click(chromedp.CSS(`nav a[data-view="alerts"]`)),
		chromedp.WaitVisible(chromedp.CSS(ack)),
		chromedp.Click(chromedp.CSS(ack)),
		chromedp.WaitVisible(chromedp.CSS(`#ack-dialog input[name="person"]`)),
		chromedp.SendKeys(chromedp.CSS(`#ack-dialog input[name="person"]`), "Grace Achieng"),
		chromedp.SendKeys(chromedp.CSS(`#ack-dialog input[name="note"]`), "on my way"),
		chromedp.Click(chromedp.CSS(`#ack-dialog button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#alerts .alert[data-alert="1"][data-state="acknowledged"]`)),
	)
	acked := run(t, ctx, "alert text", chromedp.Text(chromedp.CSS(`#alerts .alert[data-alert="1"]`)))
	if !strings.Contains(acked, "Acknowledged by engineer") || !strings.Contains(acked, "Grace Achieng: on my way") {
		t.Errorf("the alert card says %q, want who acknowledged it and their note", acked)
	}
	if a, _ := f.alerts.Get(context.Background(), 1); a.State != plant.AlertAcknowledged || a.AckNote != "Grace Achieng: on my way" {
		t.Errorf("the engine's alert is %s with note %q, want acknowledged in Grace's name", a.State, a.AckNote)
	}
	screenshot(t, ctx, "alerts.png")

	do(t, ctx, "silence the other alert (the name is asked once per session)",
		chromedp.Click(chromedp.CSS(`#alerts button.silence[data-alert="2"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#silence-dialog input[name="reason"]`)),
		chromedp.SendKeys(chromedp.CSS(`#silence-dialog input[name="reason"]`), "dryer being replaced"),
		chromedp.Click(chromedp.CSS(`#silence-dialog button[type="submit"]`)),
		chromedp.WaitNotPresent(chromedp.CSS(`#silence-dialog`)),
	)
	silences, _ := f.silences.List(context.Background())
	if last := silences[len(silences)-1]; last.Device != "s-psa-1" || last.Rule != "low_purity" || !last.EndsAt.After(time.Now()) ||
		last.Comment != "Grace Achieng: dryer being replaced" {
		t.Errorf("silence from the dashboard: got %+v", last)
	}

	do(t, ctx, "maintenance due",
		chromedp.Click(chromedp.CSS(`nav a[data-view="maintenance"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#unrecorded summary`)),
		chromedp.Click(chromedp.CSS(`#unrecorded summary`)),
		chromedp.WaitVisible(chromedp.CSS(`#unrecorded-table`)),
	)
	// The fixture's parts have no service on record: they are listed as
	// such, apart from services overdue.
	due := run(t, ctx, "due table", chromedp.Text(chromedp.CSS(`#unrecorded-table`)))
	if !strings.Contains(due, "n-psa-1") || !strings.Contains(due, "filter") || !strings.Contains(due, "compressor") {
		t.Errorf("maintenance due shows %q", due)
	}

	do(t, ctx, "device page",
		chromedp.Navigate(url+"/#/device/n-psa-1"),
		chromedp.WaitVisible(chromedp.CSS(`.chart[data-field="purity_pct"] polyline`)),
	)
	charts := run(t, ctx, "charts", chromedp.Evaluate[int](`document.querySelectorAll('.chart polyline').length`))
	if charts < 3 {
		t.Errorf("device page draws %d chart lines, want 3", charts)
	}
	screenshot(t, ctx, "device.png")
}

// TestDashboardShowsOnlyWhatTheTokenMaySee: a north viewer on a phone sees
// no south device and no acknowledge button.
func TestDashboardShowsOnlyWhatTheTokenMaySee(t *testing.T) {
	f := newFixture(t)
	ctx, url := browser(t, f)
	do(t, ctx, "phone viewport", chromedp.EmulateViewport(390, 844))
	logIn(t, ctx, url, f.tok["north-viewer"])
	do(t, ctx, "see the fleet", chromedp.WaitVisible(chromedp.CSS(`#fleet a.device[data-device="n-psa-1"]`)))
	fleetText := run(t, ctx, "fleet text", chromedp.Text(chromedp.CSS("#fleet")))
	screenshot(t, ctx, "phone-north-viewer.png")
	do(t, ctx, "alerts",
		chromedp.Click(chromedp.CSS(`nav a[data-view="alerts"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#alerts .alert[data-alert="1"]`)),
	)
	buttons := run(t, ctx, "buttons", chromedp.Evaluate[int](`document.querySelectorAll('button.ack, button.silence').length`))
	if strings.Contains(fleetText, "s-psa-1") {
		t.Errorf("a north token's fleet shows the south device: %q", fleetText)
	}
	if buttons != 0 {
		t.Errorf("a viewer sees %d action buttons, want none", buttons)
	}
	if contacts := run(t, ctx, "contacts link", chromedp.Evaluate[bool](`document.getElementById("nav-contacts").hidden`)); !contacts {
		t.Error("a viewer is offered the contacts view, which is for engineers")
	}
	// A phone keeps its screen for the board: one slim header row, nothing
	// wider than the screen.
	header := run(t, ctx, "header height", chromedp.Evaluate[float64](`document.querySelector("body > header").getBoundingClientRect().height`))
	width := run(t, ctx, "page width", chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
	if header > 56 {
		t.Errorf("the phone header is %.0f px high, want at most 56", header)
	}
	if width > 390 {
		t.Errorf("the page is %d px wide on a 390 px phone, want no sideways scrolling", width)
	}
	screenshot(t, ctx, "phone-alerts.png")
}
