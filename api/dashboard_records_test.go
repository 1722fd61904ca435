package api

import (
	"context"
	"fmt"
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
		"12.5", "85,000 L of gas (12.5 large-cylinder equivalents) counted on 21 Nov 2026", "Recorded by engineer (token "},
	"fr": {"fr-FR,fr", "Aucun état relevé", "Non fonctionnel constaté le 20 nov. 2026",
		"Non enregistré\u00a0: la date est postérieure à l’horloge du serveur", "vendredi|20 novembre 2026",
		"12,5", "85\u202f000 L de gaz (12,5 équivalents grandes bouteilles) compté le 21 nov. 2026", "Relevé par engineer (jeton "},
}

// viewShot saves what the screen shows (a dialog as a phone shows it; a
// full-page capture moves it).
func viewShot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	for _, dir := range []string{t.TempDir(), os.Getenv("OXYWATCH_SCREENSHOT_DIR")} {
		if dir == "" {
			continue
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
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
	dshot := func(name string) { viewShot(t, ctx, "records-"+l+"-"+sc.name+"-"+name+".png") }

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
	dshot("functional-dialog")
	do(t, ctx, "save: the server's clock says today is in the future",
		chromedp.Click(chromedp.CSS(dlg+`button[type="submit"]`)),
		until(`document.querySelector("#functional-dialog .error").textContent !== ""`),
	)
	msg := run(t, ctx, "refusal", chromedp.Text(chromedp.CSS(dlg+`.error`)))
	if !strings.Contains(msg, w.future) || strings.Contains(msg, "at is") {
		t.Errorf("the refusal says %q, want %q in the reader's words", msg, w.future)
	}
	dshot("functional-refused")
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
	dshot("stock-dialog")
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

// woWords are what a reader must see of work orders in each language.
var woWords = map[string]struct {
	accept, qty, mark, beforeOpen, closed, parts, cause, failed, by, told string
}{
	"en": {"en-GB,en", "1.5", "Work order 1 open since", "Not saved: that time is before the work order was opened.",
		"40 min to repair", "2 × piston ring set, 1.5 × gasket", "Cause: Compressor fault: worn piston rings",
		"Not saved: the server failed; nothing was recorded. Try again, or tell the administrator. (request id ",
		"Opened by engineer (token ", "Grace by SMS (sent); Grace by e-mail (failed)"},
	"fr": {"fr-FR,fr", "1,5", "Ordre de travail 1 ouvert depuis", "Non enregistré\u00a0: cette heure est avant l’ouverture de l’ordre de travail.",
		"40 min de réparation", "2 × piston ring set, 1,5 × gasket", "Cause\u00a0: Panne du compresseur\u00a0: worn piston rings",
		"Non enregistré\u00a0: le serveur a échoué\u00a0; rien n’a été enregistré. Réessayez, ou prévenez l’administrateur. (identifiant de requête ",
		"Ouvert par engineer (jeton ", "Grace par SMS (envoyé)\u00a0; Grace par e-mail (échec)"},
}

// TestDashboardWorkOrders: an engineer opens a work order from an alert
// (the alert then says so), closes it on the device page with a cause
// from the list and words, two parts and the time it worked again (a time
// before it was opened is refused in words), and opens another by hand;
// each is read back through the API. Times are typed in the deployment's
// zone (Kampala, UTC+3).
func TestDashboardWorkOrders(t *testing.T) {
	for _, l := range []string{"en", "fr"} {
		for _, sc := range screens {
			t.Run(l+"-"+sc.name, func(t *testing.T) { workOrders(t, l, sc) })
		}
	}
}

func workOrders(t *testing.T, l string, sc screen) {
	w := woWords[l]
	f := newFixture(t, func(o *Options) { o.TimeZone = "Africa/Kampala" })
	srv := httptest.NewServer(f.h)
	t.Cleanup(srv.Close)
	ctx := browserIn(t, srv, w.accept)
	do(t, ctx, "window size", chromedp.EmulateViewport(sc.w, sc.h))
	logIn(t, ctx, srv.URL, f.tok["engineer"])
	shot := func(name string) { screenshot(t, ctx, "wo-"+l+"-"+sc.name+"-"+name+".png") }
	dshot := func(name string) { viewShot(t, ctx, "wo-"+l+"-"+sc.name+"-"+name+".png") }

	do(t, ctx, "open a work order from the compressor alert",
		chromedp.Navigate(srv.URL+"/#/alerts"),
		chromedp.WaitVisible(chromedp.CSS(`#alerts button.open-wo[data-alert="1"]`)),
		chromedp.Click(chromedp.CSS(`#alerts button.open-wo[data-alert="1"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#wo-dialog textarea[name="note"]`)),
		chromedp.SendKeys(chromedp.CSS(`#wo-dialog textarea[name="note"]`), "compressor noisy"),
		chromedp.SendKeys(chromedp.CSS(`#wo-dialog input[name="person"]`), "Jane Banda"),
	)
	dshot("alert-open-dialog")
	do(t, ctx, "save",
		chromedp.Click(chromedp.CSS(`#wo-dialog button[type="submit"]`)),
		chromedp.WaitNotPresent(chromedp.CSS(`#wo-dialog`)),
		chromedp.WaitVisible(chromedp.CSS(`#alerts .alert[data-alert="1"] .wo-mark`)),
	)
	var list List[WorkOrderJSON]
	f.ok("viewer", "GET", "/api/v1/work-orders?device=n-psa-1", nil, &list)
	if len(list.Items) != 1 || list.Items[0].Status != "open" || list.Items[0].AlertID == nil || *list.Items[0].AlertID != 1 ||
		list.Items[0].Fault != "device_fault" || list.Items[0].Note != "Jane Banda: compressor noisy" {
		t.Fatalf("the API gives back %+v, want one open work order from alert 1 with Jane's note", list.Items)
	}
	wo := list.Items[0]
	if mark := run(t, ctx, "alert mark", chromedp.Text(chromedp.CSS(`#alerts .alert[data-alert="1"]`))); !strings.Contains(mark, w.mark) {
		t.Errorf("the alert card says %q, want %q", mark, w.mark)
	}
	if told := run(t, ctx, "who was told", chromedp.Text(chromedp.CSS(`#alerts .alert[data-alert="1"] .told`))); !strings.Contains(told, w.told) {
		t.Errorf("the alert card says %q, want %q (the language's list separator)", told, w.told)
	}
	if n := run(t, ctx, "button gone", chromedp.Evaluate[int](`document.querySelectorAll('#alerts button.open-wo[data-alert="1"]').length`)); n != 0 {
		t.Error("the alert still offers to open a work order while one is open")
	}
	if bad := run(t, ctx, "untranslated text", chromedp.Evaluate[[]string](untranslated, chromedp.EvalAwaitPromise)); len(bad) > 0 {
		t.Errorf("alerts: untranslated text on screen: %q", bad)
	}
	wide(t, ctx, sc)
	shot("alerts")

	const dlg = `#wo-close-dialog `
	do(t, ctx, "close it on the device page",
		chromedp.Navigate(srv.URL+"/#/device/n-psa-1"),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#wo-open .wo[data-wo="%d"] button.close-wo`, wo.ID))),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`#wo-open .wo[data-wo="%d"] button.close-wo`, wo.ID))),
		chromedp.WaitVisible(chromedp.CSS(dlg+`select[name="cause"]`)),
		choose(dlg+`select[name="cause"]`, "compressor_fault"),
		chromedp.SendKeys(chromedp.CSS(dlg+`input[name="other"]`), "worn piston rings"),
		chromedp.SendKeys(chromedp.CSS(dlg+`.part-line:nth-child(1) .part-name`), "piston ring set"),
		setValue(dlg+`.part-line:nth-child(1) .part-qty`, "2"),
		chromedp.Click(chromedp.CSS(dlg+`button.add-part`)),
		chromedp.SendKeys(chromedp.CSS(dlg+`.part-line:nth-child(2) .part-name`), "gasket"),
		setValue(dlg+`.part-line:nth-child(2) .part-qty`, w.qty),
		setValue(dlg+`input[name="restored"]`, "2026-11-23T11:30"), // 08:30 UTC, before the alert began
		chromedp.SendKeys(chromedp.CSS(dlg+`textarea[name="note"]`), "rings replaced"),
		chromedp.Click(chromedp.CSS(dlg+`button[type="submit"]`)),
		until(`document.querySelector("#wo-close-dialog .error").textContent !== ""`),
	)
	if msg := run(t, ctx, "refusal", chromedp.Text(chromedp.CSS(dlg+`.error`))); msg != w.beforeOpen {
		t.Errorf("the refusal says %q, want %q", msg, w.beforeOpen)
	}
	dshot("close-refused")
	do(t, ctx, "the time it worked again, and save",
		setValue(dlg+`input[name="restored"]`, "2026-11-23T12:40"), // 09:40 UTC
		chromedp.Click(chromedp.CSS(dlg+`button[type="submit"]`)),
		chromedp.WaitNotPresent(chromedp.CSS(`#wo-close-dialog`)),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#wo-closed .wo[data-wo="%d"]`, wo.ID))),
	)
	var done WorkOrderJSON
	f.ok("viewer", "GET", "/api/v1/work-orders/"+itoa(wo.ID), nil, &done)
	if done.Status != "closed" || done.Cause != "compressor_fault: worn piston rings" || done.RestoredAt == nil ||
		done.RestoredAt.Format(time.RFC3339) != "2026-11-23T09:40:00Z" || len(done.Parts) != 2 ||
		done.Parts[0] != (plant.Part{Name: "piston ring set", Quantity: 2}) || done.Parts[1] != (plant.Part{Name: "gasket", Quantity: 1.5}) ||
		!strings.Contains(done.Note, "Jane Banda: rings replaced") {
		t.Fatalf("the API gives back %+v, want it closed with the cause, two parts and 09:40 UTC", done)
	}
	card := run(t, ctx, "closed card", chromedp.Text(chromedp.CSS(fmt.Sprintf(`#wo-closed .wo[data-wo="%d"]`, wo.ID))))
	for _, want := range []string{w.closed, w.parts, w.cause, w.by} {
		if !strings.Contains(card, want) {
			t.Errorf("the closed work order says %q, want %q in it", card, want)
		}
	}
	// The alert goes on (the fixture never resolves it): its card says its
	// work order is closed instead of offering to open one, which the
	// server would answer with the closed one.
	do(t, ctx, "the alert's work order is shown closed", chromedp.WaitVisible(chromedp.CSS(`#alerts .alert[data-alert="1"] .wo-mark-closed`)))
	if n := run(t, ctx, "no button", chromedp.Evaluate[int](`document.querySelectorAll('#alerts button.open-wo[data-alert="1"]').length`)); n != 0 {
		t.Error("the alert offers to open a work order while its own one is closed")
	}
	wide(t, ctx, sc)
	shot("device-closed")

	do(t, ctx, "open one by hand on the concentrator",
		chromedp.Navigate(srv.URL+"/#/device/n-con-2"),
		chromedp.WaitVisible(chromedp.ID("open-work-order")),
		chromedp.Click(chromedp.ID("open-work-order")),
		chromedp.WaitVisible(chromedp.CSS(`#wo-dialog select[name="fault"]`)),
		choose(`#wo-dialog select[name="fault"]`, "sieve_fault"),
		setValue(`#wo-dialog input[name="opened"]`, "2026-11-22T17:00"), // 14:00 UTC
		chromedp.SendKeys(chromedp.CSS(`#wo-dialog textarea[name="note"]`), "purity 70 %"),
	)
	dshot("device-open-dialog")
	do(t, ctx, "save",
		chromedp.Click(chromedp.CSS(`#wo-dialog button[type="submit"]`)),
		chromedp.WaitNotPresent(chromedp.CSS(`#wo-dialog`)),
		chromedp.WaitVisible(chromedp.CSS(`#wo-open .wo[data-status="open"]`)),
	)
	f.ok("viewer", "GET", "/api/v1/work-orders?device=n-con-2&status=open", nil, &list)
	if len(list.Items) != 1 || list.Items[0].Fault != "sieve_fault" || list.Items[0].AlertID != nil ||
		list.Items[0].OpenedAt.Format(time.RFC3339) != "2026-11-22T14:00:00Z" || list.Items[0].Note != "Jane Banda: purity 70 %" {
		t.Fatalf("the API gives back %+v, want a sieve fault opened 2026-11-22 14:00 UTC by hand", list.Items)
	}
	if bad := run(t, ctx, "untranslated text", chromedp.Evaluate[[]string](untranslated, chromedp.EvalAwaitPromise)); len(bad) > 0 {
		t.Errorf("device page: untranslated text on screen: %q", bad)
	}
	wide(t, ctx, sc)
	shot("device-open")

	// A server failure (the audit log cannot be written, so nothing is)
	// is said in words with the request id to find it in the log.
	testenv.BreakAuditLog(t, f.db)
	id := list.Items[0].ID
	do(t, ctx, "close it while the server fails",
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`#wo-open .wo[data-wo="%d"] button.close-wo`, id))),
		chromedp.WaitVisible(chromedp.CSS(dlg+`select[name="cause"]`)),
		choose(dlg+`select[name="cause"]`, "mains_loss"),
		setValue(dlg+`input[name="restored"]`, "2026-11-23T12:00"),
		chromedp.Click(chromedp.CSS(dlg+`button[type="submit"]`)),
		until(`document.querySelector("#wo-close-dialog .error").textContent !== ""`),
	)
	if msg := run(t, ctx, "failure", chromedp.Text(chromedp.CSS(dlg+`.error`))); !strings.HasPrefix(msg, w.failed) {
		t.Errorf("a server failure reads %q, want it to start %q", msg, w.failed)
	}
	dshot("close-failed")
	var still WorkOrderJSON
	f.ok("viewer", "GET", "/api/v1/work-orders/"+itoa(id), nil, &still)
	if still.Status != "open" {
		t.Errorf("work order %d is %s after a failed close, want open", id, still.Status)
	}

	if l != "en" || sc.name != "desktop" {
		return
	}
	logOut(t, ctx)
	logIn(t, ctx, srv.URL, f.tok["viewer"])
	do(t, ctx, "a viewer reads the work orders", chromedp.Navigate(srv.URL+"/#/device/n-psa-1"), chromedp.WaitVisible(chromedp.ID("wo-closed")))
	if n := run(t, ctx, "buttons", chromedp.Evaluate[int](`document.querySelectorAll("button.close-wo, button.open-wo, #open-work-order").length`)); n != 0 {
		t.Errorf("a viewer is offered %d work-order buttons, want none", n)
	}
}
