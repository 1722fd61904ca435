package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/oxywatch/oxywatch/ingest"
	"github.com/oxywatch/oxywatch/internal/i18n"
	"github.com/oxywatch/oxywatch/internal/plant"
	"github.com/oxywatch/oxywatch/internal/testenv"
	"github.com/oxywatch/oxywatch/report"
)

// TestWebCatalogue: /ui/i18n/{lang}.json serves the catalogue's dashboard
// texts without a token; "auto" follows Accept-Language, else the
// deployment's language.
func TestWebCatalogue(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.Language = "fr" })
	srv := httptest.NewServer(f.h)
	t.Cleanup(srv.Close)
	get := func(path, accept string) (int, WebCatalogue) {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		if accept != "" {
			req.Header.Set("Accept-Language", accept)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var c WebCatalogue
		_ = json.NewDecoder(res.Body).Decode(&c)
		return res.StatusCode, c
	}
	for _, tc := range []struct{ path, accept, lang, navAlerts string }{
		{"/ui/i18n/fr.json", "", "fr", "Alertes"},
		{"/ui/i18n/pt.json", "fr", "pt", "Alertas"},
		{"/ui/i18n/en.json", "", "en", "Alerts"},
		{"/ui/i18n/auto.json", "pt-MZ,pt;q=0.9,en;q=0.5", "pt", "Alertas"},
		{"/ui/i18n/auto.json", "en-US,en;q=0.9", "en", "Alerts"},
		{"/ui/i18n/auto.json", "de-DE,de;q=0.9", "fr", "Alertes"}, // the deployment's language
	} {
		code, c := get(tc.path, tc.accept)
		if code != 200 || c.Lang != tc.lang || c.Messages["nav.alerts"] != tc.navAlerts || c.Default != "fr" {
			t.Errorf("%s (%s): %d lang %q nav.alerts %q default %q; want %s %q", tc.path, tc.accept, code, c.Lang, c.Messages["nav.alerts"], c.Default, tc.lang, tc.navAlerts)
		}
	}
	if code, _ := get("/ui/i18n/sw.json", ""); code != 404 {
		t.Errorf("an unknown language: got %d, want 404", code)
	}
}

// browserIn starts headless Chromium whose language is accept (what
// navigator.languages and Accept-Language say).
func browserIn(t *testing.T, srv *httptest.Server, accept string) context.Context {
	t.Helper()
	exe := testenv.Require(t, "chromium")
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.WindowSize(1100, 900), chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("lang", strings.Split(accept, ",")[0]), chromedp.Flag("accept-lang", accept))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 120*time.Second)
	t.Cleanup(func() { cancelT(); cancelC(); cancelA() })
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// untranslated lists the visible text nodes that are a catalogue id
// ("nav.fleet"), look like one, or hold a raw code of the domain
// ("device_fault", "state:off"), which a reader must never see.
const untranslated = `(async () => {
  const ids = new Set(Object.keys((await (await fetch("/ui/i18n/en.json")).json()).messages));
  const bad = [];
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walk.nextNode(); n; n = walk.nextNode()) {
    const s = n.textContent.trim(), e = n.parentElement;
    if (!s || !e || !e.checkVisibility() || e.closest("details:not([open])")) continue;
    if (ids.has(s) || /^[a-z_]+(\.[a-z0-9_]+)+$/.test(s) || /\b[a-z]+_[a-z_]+\b/.test(s) || /\b(state|power|alarm):[a-z]/.test(s)) bad.push(s);
  }
  for (const e of document.querySelectorAll("[aria-label],[title]")) {
    for (const v of [e.getAttribute("aria-label"), e.getAttribute("title")]) if (v && ids.has(v)) bad.push(v);
  }
  return bad;
})()`

// frenchWords and portugueseWords are what a reader must see in each.
var dashboardWords = map[string]struct {
	accept, nav, card, next, alerts, rule, inputError string
}{
	"fr": {"fr-FR,fr", "Parc", "Panne du compresseur", "Que faire\u00a0:", "Alertes ouvertes", "Panne de l’appareil", "vérifiez l’horloge de l’appareil"},
	"pt": {"pt-MZ,pt", "Equipamentos", "Avaria do compressor", "O que fazer:", "Alertas abertos", "Avaria do equipamento", "verifique o relógio do equipamento"},
}

// TestDashboardInFrenchAndPortuguese: with the browser in French (or
// Portuguese) the dashboard is in it: <html lang>, headings, status words,
// alert texts, numbers with a decimal comma, and no catalogue id or raw code
// shows, on every view; on a desktop and a phone. Screenshots are kept for
// a look.
func TestDashboardInFrenchAndPortuguese(t *testing.T) {
	for _, l := range []string{"fr", "pt"} {
		for _, sc := range screens {
			t.Run(l+"-"+sc.name, func(t *testing.T) { dashboardIn(t, l, sc) })
		}
	}
}

func dashboardIn(t *testing.T, l string, sc screen) {
	w := dashboardWords[l]
	f := newFixture(t)
	seed(t, f, plant.Device{ID: "n-psa-1", Kind: plant.KindPSA, Facility: "f-north", Region: "north", RatedFlowLPM: 500}, plant.StateFault, 71.4, "compressor_fault")
	// its last bad message: said by its reason, the English detail folded away
	f.fleet.Error("n-psa-1", string(ingest.ReasonFutureTS), "reading 0: future_ts: ts 2031-01-01T00:00:00Z is ahead of the server's clock", testNow)
	srv := httptest.NewServer(f.h)
	t.Cleanup(srv.Close)
	ctx := browserIn(t, srv, w.accept)
	do(t, ctx, "window size", chromedp.EmulateViewport(sc.w, sc.h))
	logIn(t, ctx, srv.URL, f.tok["engineer"])
	do(t, ctx, "see the fleet", chromedp.WaitVisible(chromedp.CSS(`#fleet a.device[data-device="n-psa-1"]`)))
	if got := run(t, ctx, "html lang", chromedp.Evaluate[string](`document.documentElement.lang`)); got != l {
		t.Errorf("<html lang=%q>, want %q", got, l)
	}
	nav := run(t, ctx, "nav", chromedp.Text(chromedp.CSS(`nav a[data-view="fleet"]`)))
	card := run(t, ctx, "plant card", chromedp.Text(chromedp.CSS(`#fleet a.device[data-device="n-psa-1"]`)))
	if nav != w.nav {
		t.Errorf("nav says %q, want %q", nav, w.nav)
	}
	for _, want := range []string{w.card, w.next, "71,4", w.inputError} {
		if !strings.Contains(card, want) {
			t.Errorf("the plant card says %q, want %q in it", card, want)
		}
	}
	if bad := run(t, ctx, "untranslated text", chromedp.Evaluate[[]string](untranslated, chromedp.EvalAwaitPromise)); len(bad) > 0 {
		t.Errorf("fleet: untranslated text on screen: %q", bad)
	}
	screenshot(t, ctx, l+"-"+sc.name+"-fleet.png")

	do(t, ctx, "open the alerts", chromedp.Click(chromedp.CSS(`nav a[data-view="alerts"]`)), chromedp.WaitVisible(chromedp.CSS(`#alerts`)))
	alerts := run(t, ctx, "alert list", chromedp.Text(chromedp.ID("view")))
	for _, want := range []string{w.alerts, w.rule} {
		if !strings.Contains(alerts, want) {
			t.Errorf("the alert list says %q, want %q in it", alerts, want)
		}
	}
	if bad := run(t, ctx, "untranslated text", chromedp.Evaluate[[]string](untranslated, chromedp.EvalAwaitPromise)); len(bad) > 0 {
		t.Errorf("alerts: untranslated text on screen: %q", bad)
	}
	screenshot(t, ctx, l+"-"+sc.name+"-alerts.png")

	do(t, ctx, "open the plant's page", chromedp.Navigate(srv.URL+"/#/device/n-psa-1"), chromedp.WaitVisible(chromedp.CSS(`.charts`)))
	if facts := run(t, ctx, "device facts", chromedp.Text(chromedp.CSS(`table.facts`))); !strings.Contains(facts, w.inputError) {
		t.Errorf("the plant's page says %q, want its last bad message as %q", facts, w.inputError)
	}
	if bad := run(t, ctx, "untranslated text", chromedp.Evaluate[[]string](untranslated, chromedp.EvalAwaitPromise)); len(bad) > 0 {
		t.Errorf("device page: untranslated text on screen: %q", bad)
	}
	screenshot(t, ctx, l+"-"+sc.name+"-device.png")

	for _, view := range []string{"silences", "maintenance", "contacts"} {
		do(t, ctx, "open "+view, chromedp.Navigate(srv.URL+"/#/"+view),
			until(`document.querySelector('nav a[data-view="`+view+`"].active') && !document.querySelector("#view > p.muted")`))
		if bad := run(t, ctx, "untranslated text", chromedp.Evaluate[[]string](untranslated, chromedp.EvalAwaitPromise)); len(bad) > 0 {
			t.Errorf("%s: untranslated text on screen: %q", view, bad)
		}
		screenshot(t, ctx, l+"-"+sc.name+"-"+view+".png")
	}
}

// TestDashboardLanguageSwitch: a browser in English switches to French with
// the switch; the page changes at once and stays French after a reload.
func TestDashboardLanguageSwitch(t *testing.T) {
	f := newFixture(t)
	srv := httptest.NewServer(f.h)
	t.Cleanup(srv.Close)
	ctx := browserIn(t, srv, "en-US,en")
	logIn(t, ctx, srv.URL, f.tok["viewer"])
	do(t, ctx, "see the fleet in English", chromedp.WaitVisible(chromedp.CSS(`#fleet a.device`)),
		until(`document.querySelector('nav a[data-view="fleet"]').textContent === "Fleet"`))
	do(t, ctx, "switch to French", choose("#lang-switch", "fr"),
		until(`document.documentElement.lang === "fr" && document.querySelector('nav a[data-view="fleet"]').textContent === "Parc"`),
		until(`document.getElementById("fleet") && /Centrale PSA/.test(document.getElementById("view").innerText)`))
	do(t, ctx, "reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`#fleet a.device`)),
		until(`document.documentElement.lang === "fr" && document.getElementById("lang-switch").value === "fr"`))
	status := run(t, ctx, "status line", chromedp.Text(chromedp.ID("status-line")))
	if !regexp.MustCompile(`^Mis à jour à \d\d:\d\d:\d\d`).MatchString(status) {
		t.Errorf("status line %q, want it in French", status)
	}
	if bad := run(t, ctx, "untranslated text", chromedp.Evaluate[[]string](untranslated, chromedp.EvalAwaitPromise)); len(bad) > 0 {
		t.Errorf("untranslated text on screen: %q", bad)
	}
	if l := i18n.Match(run(t, ctx, "navigator", chromedp.Evaluate[string](`navigator.languages.join(",")`))); l != i18n.English {
		t.Errorf("the browser's languages are %q, want English for this test", l)
	}
}

// langReports answer reports that write their HTML in the language asked.
type langReports struct{ *fakeReports }

type langReport struct{ fakeReport }

func (r langReport) WriteHTMLIn(w io.Writer, l i18n.Lang) error {
	_, err := fmt.Fprintf(w, `<html lang="%s">`, l)
	return err
}

func (f langReports) Uptime(ctx context.Context, q ReportQuery) (Report, error) {
	r, err := f.fakeReports.Uptime(ctx, q)
	return langReport{r.(fakeReport)}, err
}

// TestReportLanguage: an HTML report is in ?lang=, else the best of
// Accept-Language, else the deployment's language; a bad lang is a 400.
func TestReportLanguage(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.Reports = langReports{&fakeReports{}}; o.Language = "pt" })
	for _, tc := range []struct{ query, accept, want string }{
		{"&lang=fr", "", `<html lang="fr">`},
		{"&lang=fr-SN", "pt", `<html lang="fr">`},
		{"", "fr-FR,fr;q=0.9", `<html lang="fr">`},
		{"", "en-GB", `<html lang="en">`},
		{"", "", `<html lang="pt">`},
		{"", "de", `<html lang="pt">`},
	} {
		req := httptest.NewRequest("GET", "/api/v1/reports/uptime?format=html"+tc.query, nil)
		req.Header.Set("Authorization", "Bearer "+f.tok["viewer"])
		if tc.accept != "" {
			req.Header.Set("Accept-Language", tc.accept)
		}
		rec := httptest.NewRecorder()
		f.h.ServeHTTP(rec, req)
		if rec.Code != 200 || rec.Body.String() != tc.want {
			t.Errorf("%q (Accept-Language %q): %d %q, want %q", tc.query, tc.accept, rec.Code, rec.Body.String(), tc.want)
		}
	}
	req := httptest.NewRequest("GET", "/api/v1/reports/uptime?format=html&lang=sw", nil)
	req.Header.Set("Authorization", "Bearer "+f.tok["viewer"])
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	if rec.Code != 400 || !strings.Contains(rec.Body.String(), "en, fr, pt") {
		t.Errorf("lang=sw: %d %s, want 400 naming en, fr, pt", rec.Code, rec.Body.String())
	}
}

// TestEndSilence: POST /silences/{id}/end ends a silence in one call;
// started planned maintenance keeps the time it ran (reports count it as
// maintenance), anything else is removed; an ended one is a 409; a viewer
// or an engineer of another region may not.
func TestEndSilence(t *testing.T) {
	f := newFixture(t)
	f.silences.list = append(f.silences.list,
		Silence{ID: 4, Device: "n-psa-1", Maintenance: true, Comment: "sieve change", CreatedBy: "Jane", StartsAt: testNow.Add(-2 * time.Hour), EndsAt: testNow.Add(2 * time.Hour)},
		Silence{ID: 5, Device: "n-psa-1", Maintenance: true, Comment: "next week", StartsAt: testNow.Add(7 * 24 * time.Hour), EndsAt: testNow.Add(8 * 24 * time.Hour)},
		Silence{ID: 6, Device: "n-psa-1", Comment: "old", StartsAt: testNow.Add(-3 * time.Hour), EndsAt: testNow.Add(-time.Hour)},
	)
	wantProblem(t, f.do("viewer", "POST", "/api/v1/silences/4/end", nil), http.StatusForbidden)
	wantProblem(t, f.do("north-engineer", "POST", "/api/v1/silences/2/end", nil), http.StatusForbidden) // s-psa-1 is south
	var kept Silence
	f.ok("engineer", "POST", "/api/v1/silences/4/end", nil, &kept)
	if kept.ID != 4 || !kept.Maintenance || !kept.StartsAt.Equal(testNow.Add(-2*time.Hour)) || !kept.EndsAt.Equal(testNow) || kept.Comment != "sieve change" || kept.CreatedBy != "Jane" {
		t.Errorf("ended maintenance: got %+v, want it kept from its start to now", kept)
	}
	f.ok("engineer", "POST", "/api/v1/silences/1/end", nil, &kept) // a running silence: kept, ended now
	if kept.ID != 1 || !kept.EndsAt.Equal(testNow) {
		t.Errorf("ended silence: got %+v, want it ending now", kept)
	}
	if rec := f.do("engineer", "POST", "/api/v1/silences/5/end", nil); rec.Code != http.StatusNoContent { // not begun
		t.Errorf("end silence 5: got %d %s, want 204", rec.Code, rec.Body)
	}
	list, _ := f.silences.List(context.Background())
	if containsSilence(list, 5) || !containsSilence(list, 4) {
		t.Errorf("after /end: %+v, want 5 gone and 4 kept", list)
	}
	wantProblem(t, f.do("engineer", "POST", "/api/v1/silences/6/end", nil), http.StatusConflict)
	wantProblem(t, f.do("engineer", "POST", "/api/v1/silences/99/end", nil), http.StatusNotFound)
}

// TestReportCSVHeaders: csv_headers=human names a real uptime report's
// columns in the reader's words; machine (the default) keeps the stable
// names; anything else is a 400.
func TestReportCSVHeaders(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.Reports = realReports{&fakeReports{}} })
	get := func(query, accept string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", "/api/v1/reports/uptime?format=csv"+query, nil)
		req.Header.Set("Authorization", "Bearer "+f.tok["viewer"])
		req.Header.Set("Accept-Language", accept)
		rec := httptest.NewRecorder()
		f.h.ServeHTTP(rec, req)
		return rec
	}
	for _, tc := range []struct{ query, accept, head string }{
		{"", "fr", "group,key,name,"},
		{"&csv_headers=machine", "fr", "group,key,name,"},
		{"&csv_headers=human", "fr", "regroupement;clé;nom;"},
		{"&csv_headers=human&lang=pt", "fr", "agrupamento;chave;nome;"},
		{"&csv_headers=human", "en", "group,key,name,facility,region,country,devices,hours in period,"},
	} {
		if rec := get(tc.query, tc.accept); rec.Code != 200 || !strings.HasPrefix(rec.Body.String(), tc.head) {
			t.Errorf("%q (%s): %d %.80q, want it to start %q", tc.query, tc.accept, rec.Code, rec.Body.String(), tc.head)
		}
	}
	wantProblem(t, get("&csv_headers=pretty", ""), http.StatusBadRequest)
}

// realReports answers an empty report.UptimeReport, as report.Reporter
// does for a fleet of no devices.
type realReports struct{ *fakeReports }

func (realReports) Uptime(context.Context, ReportQuery) (Report, error) {
	return &report.UptimeReport{TimeZone: "UTC"}, nil
}
