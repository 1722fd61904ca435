package api

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// Browser tests of what an engineer records by hand on a device page
// (issue 17): a functional status for equipment without telemetry and the
// stock of a LOX tank, filled in and saved in Chromium and read back
// through the API, in English and French, on a laptop and a phone.

// recordWords are what a reader must see in each language.
var recordWords = map[string]struct {
	accept, none, saved, future, day, typed, stock, by string
}{
	"en": {"en-GB,en", "No status recorded yet", "Non-functional as found on 20 Nov 2026",
		"Not saved: the date is later than the server's clock allows", "Friday|20 November 2026",
		"12.5", "85,000 L of gas (12.5 large-cylinder equivalents) counted on 21 Nov 2026", "Recorded by engineer"},
	"fr": {"fr-FR,fr", "Aucun état relevé", "Non fonctionnel constaté le 20 nov. 2026",
		"Non enregistré\u00a0: la date est postérieure à l’horloge du serveur", "vendredi|20 novembre 2026",
		"12,5", "85\u202f000 L de gaz (12,5 équivalents grandes bouteilles) compté le 21 nov. 2026", "Relevé par engineer"},
}

// setValue sets a form input as a user would (input and change events):
// a date input's typing order follows the browser's locale, its value not.
func setValue(sel, value string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => { const e = document.querySelector(%q); e.value = %q;
		e.dispatchEvent(new Event("input", {bubbles: true})); e.dispatchEvent(new Event("change", {bubbles: true})); })()`, sel, value))
}

// TestDashboardRecordsByHand: on a concentrator that sends nothing, an
// engineer records it non-functional; a date the server finds in the
// future is refused in words and the dialog stays open; the record saved
// is the one the API gives back, and the page shows it with its day, note
// and author. On a LOX tank, the stock in cylinders. A viewer reads the
// same without the buttons.
func TestDashboardRecordsByHand(t *testing.T) {
	for _, l := range []string{"en", "fr"} {
		for _, sc := range screens {
			t.Run(l+"-"+sc.name, func(t *testing.T) { recordsByHand(t, l, sc) })
		}
	}
}

func recordsByHand(t *testing.T, l string, sc screen) {
	w := recordWords[l]
	f := newFixture(t) // the server's clock is testNow, 2026-11-23: the browser's today is after it
	for _, d := range []plant.Device{
		{ID: "n-con-9", Kind: plant.KindConcentrator, Facility: "f-north", Region: "north", Country: "UG", RatedFlowLPM: 5},
		{ID: "n-lox-1", Kind: plant.KindLOXTank, Facility: "f-north", Region: "north", Country: "UG"},
	} {
		if _, err := f.reg.Put(context.Background(), d); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(f.h)
	t.Cleanup(srv.Close)
	ctx := browserIn(t, srv, w.accept)
	do(t, ctx, "window size", chromedp.EmulateViewport(sc.w, sc.h))
	logIn(t, ctx, srv.URL, f.tok["engineer"])
	shot := func(name string) { screenshot(t, ctx, "records-"+l+"-"+sc.name+"-"+name+".png") }

	do(t, ctx, "the concentrator's page", chromedp.Navigate(srv.URL+"/#/device/n-con-9"), chromedp.WaitVisible(chromedp.ID("functional")))
	if none := run(t, ctx, "no record yet", chromedp.Text(chromedp.ID("functional"))); !strings.Contains(none, w.none) {
		t.Errorf("before any record the functional part says %q, want %q", none, w.none)
	}
	shot("functional-none")

	const dlg = `#functional-dialog `
	do(t, ctx, "fill the form with today's date",
		chromedp.Click(chromedp.ID("record-functional")),
		chromedp.WaitVisible(chromedp.CSS(dlg+`input[name="status"][value="non_functional"]`)),
		chromedp.Click(chromedp.CSS(dlg+`input[name="status"][value="non_functional"]`)),
		chromedp.SendKeys(chromedp.CSS(dlg+`textarea[name="note"]`), "sieve beds worn, purity 70 %"),
		chromedp.SendKeys(chromedp.CSS(dlg+`input[name="person"]`), "Jane Banda"),
	)
	shot("functional-dialog")
	do(t, ctx, "save: the server's clock says today is in the future",
		chromedp.Click(chromedp.CSS(dlg+`button[type="submit"]`)),
		until(`document.querySelector("#functional-dialog .error").textContent !== ""`),
	)
	msg := run(t, ctx, "refusal", chromedp.Text(chromedp.CSS(dlg+`.error`)))
	if !strings.Contains(msg, w.future) || strings.Contains(msg, "at is") {
		t.Errorf("the refusal says %q, want %q in the reader's words", msg, w.future)
	}
	shot("functional-refused")
	if list := f.functional(t, "n-con-9"); len(list) != 0 {
		t.Fatalf("a refused form stored %+v", list)
	}
	do(t, ctx, "choose an earlier day", setValue(dlg+`input[name="at"]`, "2026-11-20"))
	// ICU versions differ on a comma after the weekday.
	weekday, date, _ := strings.Cut(w.day, "|")
	if got := run(t, ctx, "day in words", chromedp.Text(chromedp.CSS(dlg+`.date-words`))); !strings.HasPrefix(got, weekday) || !strings.HasSuffix(got, date) {
		t.Errorf("the chosen day reads %q beside the date input, want %s %s", got, weekday, date)
	}
	do(t, ctx, "save",
		chromedp.Click(chromedp.CSS(dlg+`button[type="submit"]`)),
		chromedp.WaitNotPresent(chromedp.CSS(`#functional-dialog`)),
		chromedp.WaitVisible(chromedp.CSS(`#functional-last[data-status="non_functional"]`)),
	)
	list := f.functional(t, "n-con-9")
	if len(list) != 1 || list[0].Status != plant.FunctionalBroken || list[0].At.Format("2006-01-02T15:04") != "2026-11-20T00:00" ||
		list[0].Note != "Jane Banda: sieve beds worn, purity 70 %" || !strings.Contains(list[0].RecordedBy, "engineer") {
		t.Fatalf("the API gives back %+v, want one non-functional record on 2026-11-20 with Jane's note", list)
	}
	last := run(t, ctx, "last record", chromedp.Text(chromedp.ID("functional-last")))
	for _, want := range []string{w.saved, "Jane Banda: sieve beds worn", w.by} {
		if !strings.Contains(last, want) {
			t.Errorf("the functional part says %q, want %q in it", last, want)
		}
	}
	if bad := run(t, ctx, "untranslated text", chromedp.Evaluate[[]string](untranslated, chromedp.EvalAwaitPromise)); len(bad) > 0 {
		t.Errorf("device page: untranslated text on screen: %q", bad)
	}
	wide(t, ctx, sc)
	shot("functional-saved")

	const sdlg = `#stock-dialog `
	do(t, ctx, "record the LOX tank's stock in cylinders",
		chromedp.Navigate(srv.URL+"/#/device/n-lox-1"),
		chromedp.WaitVisible(chromedp.ID("record-stock")),
		chromedp.Click(chromedp.ID("record-stock")),
		chromedp.WaitVisible(chromedp.CSS(sdlg+`input[name="amount"]`)),
		chromedp.SendKeys(chromedp.CSS(sdlg+`input[name="amount"]`), w.typed),
		chromedp.Click(chromedp.CSS(sdlg+`input[name="unit"][value="cylinders"]`)),
		setValue(sdlg+`input[name="at"]`, "2026-11-21"),
		chromedp.SendKeys(chromedp.CSS(sdlg+`textarea[name="note"]`), "delivery Friday"),
	)
	shot("stock-dialog")
	do(t, ctx, "save the stock",
		chromedp.Click(chromedp.CSS(sdlg+`button[type="submit"]`)),
		chromedp.WaitNotPresent(chromedp.CSS(`#stock-dialog`)),
		chromedp.WaitVisible(chromedp.ID("stock-last")),
	)
	var stock List[plant.StockRecord]
	f.ok("viewer", "GET", "/api/v1/devices/n-lox-1/stock", nil, &stock)
	if len(stock.Items) != 1 || stock.Items[0].Litres != 85000 || stock.Items[0].At.Format("2006-01-02") != "2026-11-21" || stock.Items[0].Note != "Jane Banda: delivery Friday" {
		t.Fatalf("the API gives back %+v, want 85,000 L (%s cylinders) on 2026-11-21 in Jane's name", stock.Items, w.typed)
	}
	if got := run(t, ctx, "stock", chromedp.Text(chromedp.ID("stock-last"))); !strings.Contains(got, w.stock) {
		t.Errorf("the stock part says %q, want %q", got, w.stock)
	}
	if bad := run(t, ctx, "untranslated text", chromedp.Evaluate[[]string](untranslated, chromedp.EvalAwaitPromise)); len(bad) > 0 {
		t.Errorf("LOX tank page: untranslated text on screen: %q", bad)
	}
	wide(t, ctx, sc)
	shot("stock-saved")

	if l != "en" || sc.name != "desktop" {
		return
	}
	logOut(t, ctx)
	logIn(t, ctx, srv.URL, f.tok["viewer"])
	do(t, ctx, "a viewer reads the records", chromedp.Navigate(srv.URL+"/#/device/n-lox-1"), chromedp.WaitVisible(chromedp.ID("stock-last")))
	if n := run(t, ctx, "buttons", chromedp.Evaluate[int](`document.querySelectorAll("#record-stock, #record-functional").length`)); n != 0 {
		t.Errorf("a viewer is offered %d record buttons, want none", n)
	}
}

// functional reads a device's functional records through the API.
func (f *fixture) functional(t *testing.T, id string) []plant.FunctionalRecord {
	t.Helper()
	var list List[plant.FunctionalRecord]
	f.ok("viewer", "GET", "/api/v1/devices/"+id+"/functional", nil, &list)
	return list.Items
}

// wide fails when the page is wider than the screen (sideways scrolling).
func wide(t *testing.T, ctx context.Context, sc screen) {
	t.Helper()
	if w := run(t, ctx, "page width", chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); int64(w) > sc.w {
		t.Errorf("the page is %d px wide on a %d px screen, want no sideways scrolling", w, sc.w)
	}
}
