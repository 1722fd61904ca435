package report

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/oxywatch/oxywatch/internal/i18n"
	"github.com/oxywatch/oxywatch/internal/testenv"
)

// TestMonthlyReportInChromium renders the French and Portuguese monthly
// reports in headless Chromium at A4 width: the page lays out in the
// reader's language with no table wider than the page, and a screenshot
// is kept (OXYWATCH_SCREENSHOT_DIR) for a person to look at.
func TestMonthlyReportInChromium(t *testing.T) {
	exe := testenv.Require(t, "chromium")
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.WindowSize(900, 1200), chromedp.UserDataDir(t.TempDir()))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelA()
	ctx, cancelC := chromedp.NewContext(actx)
	defer cancelC()
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	defer cancelT()
	for _, tc := range []struct {
		lang    i18n.Lang
		heading string
	}{{i18n.French, "Synthèse"}, {i18n.Portuguese, "Resumo"}} {
		path := filepath.Join(t.TempDir(), "monthly."+string(tc.lang)+".html")
		if err := os.WriteFile(path, []byte(monthlyIn(t, tc.lang, "Rapport mensuel")), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(ctx, chromedp.Navigate("file://"+path), chromedp.WaitVisible(chromedp.CSS("h2"))); err != nil {
			t.Fatalf("%s: %v", tc.lang, err)
		}
		lang := get(t, ctx, chromedp.Evaluate[string](`document.documentElement.lang`))
		h2 := get(t, ctx, chromedp.Text(chromedp.CSS("h2")))
		overflow := get(t, ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("table")].filter(t => t.scrollWidth > document.body.clientWidth + 1).map(t => t.closest("section").querySelector("h2").textContent)`))
		png := get(t, ctx, chromedp.FullScreenshot(100))
		if lang != string(tc.lang) || strings.TrimSpace(h2) != tc.heading {
			t.Errorf("%s: <html lang=%q>, first heading %q; want %s and %q", tc.lang, lang, h2, tc.lang, tc.heading)
		}
		if len(overflow) > 0 {
			t.Errorf("%s: tables wider than the page in %q", tc.lang, overflow)
		}
		if dir := os.Getenv("OXYWATCH_SCREENSHOT_DIR"); dir != "" {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, "report-monthly-"+string(tc.lang)+".png")
			if err := os.WriteFile(out, png, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("screenshot: %s", out)
		}
	}
}

// get runs one value-returning browser action or fails the test.
func get[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
