package app

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/oxywatch/oxywatch/internal/testenv"
)

// TestDashboardFedByFirmwareSim is issue 16's test on the real thing: the
// server on its default path (embedded broker), a facility's fleet
// registered through the API and played by firmware-sim with a compressor
// fault, and headless Chromium reading the dashboard: the plant in fault
// is the first card of its facility and says why in words.
func TestDashboardFedByFirmwareSim(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test; run without -short (make test does)")
	}
	bin, err := buildSim()
	if err != nil {
		t.Fatal(err)
	}
	chromium := testenv.Require(t, "chromium")
	in := testenv.StartInfluxd(t, "")
	block, mqttURL := embedded(t)
	p := newProcess(t, in.URL, block+"admin_token: "+degradedToken+"\n")
	p.startWithin(30 * time.Second)

	fleet := "id,kind,model,facility,region,country,rated_flow_lpm,report_interval_s\n" +
		"conc-1,concentrator,Nuvo 8,zomba-dh,south,MW,8,5\n" +
		"conc-2,concentrator,Nuvo 8,zomba-dh,south,MW,8,5\n" +
		"zomba-psa,psa,PSA-40,zomba-dh,south,MW,500,5\n"
	if code, body := p.do("POST", "/api/v1/devices/import", fleet); code != 200 {
		t.Fatalf("import fleet: %d %s", code, body)
	}
	if code, body := p.do("PUT", "/api/v1/facilities/zomba-dh", `{"name":"Zomba District Hospital","region":"south","country":"MW"}`); code/100 != 2 {
		t.Fatalf("facility: %d %s", code, body)
	}
	dir := t.TempDir()
	fleetFile, scenarioFile := filepath.Join(dir, "fleet.csv"), filepath.Join(dir, "fault.yaml")
	scenario := "random_faults_per_day: 0\ngsm_drops_per_day: 0\nevents:\n  - {at: 10s, kind: psa, pick: 1, fault: compressor, for: 30m}\n"
	for f, body := range map[string]string{fleetFile: fleet, scenarioFile: scenario} {
		if err := os.WriteFile(f, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	sim := exec.Command(bin, "--broker", mqttURL, "--fleet", fleetFile, "--scenario", scenarioFile,
		"--interval", "5s", "--duration", "3m", "--progress", "1h")
	sim.Stdout, sim.Stderr = os.Stderr, os.Stderr
	if err := sim.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Process.Kill(); _ = sim.Wait() })

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.WindowSize(1366, 900), chromedp.UserDataDir(t.TempDir()))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 150*time.Second)
	t.Cleanup(func() { cancelT(); cancelC(); cancelA() })
	if err := chromedp.Do(ctx,
		chromedp.Navigate(p.httpURL+"/"),
		chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), degradedToken),
		chromedp.Click(chromedp.CSS(`#login-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#fleet section.facility[data-facility="zomba-dh"] a.device`)),
	); err != nil {
		t.Fatalf("log in and see the fleet: %v", err)
	}
	const firstCard = `document.querySelector('#fleet section.facility[data-facility="zomba-dh"] .grid a.device')`
	var id, text, heading string
	eval := func(expr string) string {
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
		if err != nil {
			return ""
		}
		return v
	}
	testenv.Eventually(t, 120*time.Second, "the plant in fault first in its facility, naming its fault", func() bool {
		id = eval(firstCard + `?.dataset.device ?? ""`)
		text = eval(firstCard + `?.innerText ?? ""`)
		heading = eval(`document.querySelector('#fleet section.facility[data-facility="zomba-dh"] h2')?.textContent ?? ""`)
		return id == "zomba-psa" && strings.Contains(text, "Compressor fault")
	})
	if heading != "Zomba District Hospital" {
		t.Errorf("facility heading %q, want the registry's name", heading)
	}
	for _, want := range []string{"What to do:", "PSA plant"} {
		if !strings.Contains(text, want) {
			t.Errorf("the plant's card says %q, want %q in it", text, want)
		}
	}
	if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
		if dir := os.Getenv("OXYWATCH_SCREENSHOT_DIR"); dir != "" && os.MkdirAll(dir, 0o755) == nil {
			_ = os.WriteFile(filepath.Join(dir, "live-fleet-firmware-sim.png"), png, 0o644)
		}
		t.Logf("screenshot: %d bytes", len(png))
	}
}
