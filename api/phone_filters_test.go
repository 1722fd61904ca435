package api

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestDashboardPhoneFilters (issue 18): at 390×844 the fleet's and the
// alert list's filters show their whole text in French and Portuguese
// ("Tous les établissements" was cut), and the page does not scroll
// sideways. Screenshots: phone-filters-{fr,pt}-{fleet,alerts}.png.
func TestDashboardPhoneFilters(t *testing.T) {
	for _, l := range []struct{ code, accept string }{{"fr", "fr-FR,fr"}, {"pt", "pt-PT,pt"}, {"en", "en-GB,en"}} {
		t.Run(l.code, func(t *testing.T) {
			f := newFixture(t)
			srv := httptest.NewServer(f.h)
			t.Cleanup(srv.Close)
			ctx := browserIn(t, srv, l.accept)
			do(t, ctx, "phone size", chromedp.EmulateViewport(390, 844))
			logIn(t, ctx, srv.URL, f.tok["engineer"])
			do(t, ctx, "see the fleet", chromedp.WaitVisible(chromedp.CSS(`#fleet a.device`)), until(`document.documentElement.lang === "`+l.code+`"`))
			checkFilters(t, ctx, "fleet")
			screenshot(t, ctx, "phone-filters-"+l.code+"-fleet.png")
			do(t, ctx, "the alert list",
				chromedp.Click(chromedp.CSS(`nav a[data-view="alerts"]`)),
				chromedp.WaitVisible(chromedp.ID("alert-filter-facility")))
			checkFilters(t, ctx, "alerts")
			screenshot(t, ctx, "phone-filters-"+l.code+"-alerts.png")
		})
	}
}

// checkFilters measures each visible filter's chosen text in the select's
// own font against the room the select gives it (its width less padding
// and the arrow).
func checkFilters(t *testing.T, ctx context.Context, view string) {
	t.Helper()
	type fit struct {
		ID, Text    string
		Need, Avail float64
	}
	type page struct {
		Fits  []fit
		Width float64
	}
	got := run(t, ctx, view+" filters", chromedp.Evaluate[page](`(() => {
	  const c = document.createElement("canvas").getContext("2d");
	  const fits = [...document.querySelectorAll(".filters select")].filter(s => s.offsetParent !== null).map(s => {
	    const cs = getComputedStyle(s);
	    c.font = cs.font;
	    const text = s.options[s.selectedIndex].text;
	    const avail = s.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight) - 18; // 18 px: the arrow
	    return {ID: s.id, Text: text, Need: c.measureText(text).width, Avail: avail};
	  });
	  return {Fits: fits, Width: document.documentElement.scrollWidth};
	})()`))
	if len(got.Fits) == 0 {
		t.Fatalf("%s: no filter on screen", view)
	}
	for _, f := range got.Fits {
		if f.Need > f.Avail {
			t.Errorf("%s: filter %s shows %q in %.0f px, needs %.0f px: cut", view, f.ID, f.Text, f.Avail, f.Need)
		}
	}
	if got.Width > 390 {
		t.Errorf("%s: the page is %.0f px wide on a 390 px phone", view, got.Width)
	}
}
