package api

import (
	"context"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// fleetWords are what a reader must see on the fleet cards in each language.
var fleetWords = map[string]struct {
	accept, status, reported, none, badge, old, noTelemetry, never, south string
}{
	"en": {"en-GB,en", "Non-functional", "reported 20 Nov 2026, not measured", "No status recorded on site yet", "Work order open",
		"Under repair reported 1 Sept 2026, not measured · may be out of date", "No telemetry: its status is what was recorded on site", "Has never sent data",
		"south · 1 device"},
	"fr": {"fr-FR,fr", "Non fonctionnel", "signalé le 20 nov. 2026, non mesuré", "Aucun état relevé sur place", "Ordre de travail ouvert",
		"En réparation signalé le 1 sept. 2026, non mesuré · peut-être dépassé", "Pas de télémesure\u00a0: son état est celui relevé sur place", "N’a jamais envoyé de données",
		"south · 1 appareil"},
}

// TestDashboardFleetReportedAndRepairs (issue 17): on the fleet board, a
// concentrator that sends nothing shows the functional status last
// recorded on site with its day, said to be reported, not measured; one
// with no record says so; a device with fresh readings shows none (its
// record is not even read); a record of months ago may be out of date;
// one that never sent data but has a record is said to have no telemetry,
// without the GSM step; devices with an open work order carry a
// badge, a card and a chip alike. Among equals, a device reported broken
// comes first. English and French, laptop and phone.
func TestDashboardFleetReportedAndRepairs(t *testing.T) {
	for _, l := range []string{"en", "fr"} {
		for _, sc := range screens {
			t.Run(l+"-"+sc.name, func(t *testing.T) { fleetReported(t, l, sc) })
		}
	}
}

func fleetReported(t *testing.T, l string, sc screen) {
	w := fleetWords[l]
	f := newFixture(t)
	for _, d := range []plant.Device{
		{ID: "n-con-9", Kind: plant.KindConcentrator, Facility: "f-north", Region: "north", Country: "UG", RatedFlowLPM: 5},
		{ID: "n-con-8", Kind: plant.KindConcentrator, Facility: "f-north", Region: "north", Country: "UG", RatedFlowLPM: 5},
		{ID: "n-con-7", Kind: plant.KindConcentrator, Facility: "f-north", Region: "north", Country: "UG", RatedFlowLPM: 5},
	} {
		if _, err := f.reg.Put(context.Background(), d); err != nil {
			t.Fatal(err)
		}
	}
	f.ok("engineer", "POST", "/api/v1/devices/n-con-9/functional", FunctionalRequest{Status: "non_functional", At: "2026-11-20", Note: "sieve beds worn"}, nil)
	f.ok("engineer", "POST", "/api/v1/devices/n-con-7/functional", FunctionalRequest{Status: "under_repair", At: "2026-09-01"}, nil)
	// n-psa-1 reports by itself: a record by hand is not what its card shows.
	f.ok("engineer", "POST", "/api/v1/devices/n-psa-1/functional", FunctionalRequest{Status: "functional", At: "2026-11-01"}, nil)
	for _, wo := range []OpenWorkOrderRequest{
		{DeviceID: "n-psa-1", OpenedAt: "2026-11-22T06:00:00Z", Fault: "compressor_fault"},
		{DeviceID: "n-con-9", OpenedAt: "2026-11-20", Fault: "sieve_fault"},
		{DeviceID: "n-con-2", OpenedAt: "2026-11-21", Fault: "other"},
	} {
		f.ok("engineer", "POST", "/api/v1/work-orders", wo, nil)
	}

	srv := httptest.NewServer(f.h)
	t.Cleanup(srv.Close)
	ctx := browserIn(t, srv, w.accept)
	do(t, ctx, "window size", chromedp.EmulateViewport(sc.w, sc.h))
	logIn(t, ctx, srv.URL, f.tok["viewer"])
	do(t, ctx, "the fleet board", chromedp.WaitVisible(chromedp.CSS(`#fleet .device[data-device="n-con-9"] .reported`)))

	card := run(t, ctx, "n-con-9", chromedp.Text(chromedp.CSS(`#fleet .device[data-device="n-con-9"]`)))
	for _, want := range []string{w.status, w.reported, w.badge, w.noTelemetry} {
		if !strings.Contains(card, want) {
			t.Errorf("the card of n-con-9 (no readings, recorded non-functional) says %q, want %q in it", card, want)
		}
	}
	// equipment without telemetry has no network link to check
	if strings.Contains(card, "GSM") || strings.Contains(card, w.never) {
		t.Errorf("the card of n-con-9 (no telemetry, status recorded on site) says %q: it should not ask to check a GSM link it has not", card)
	}
	if got := run(t, ctx, "n-con-8", chromedp.Text(chromedp.CSS(`#fleet .device[data-device="n-con-8"]`))); !strings.Contains(got, w.none) ||
		strings.Contains(got, w.badge) || !strings.Contains(got, w.never) || !strings.Contains(got, "GSM") {
		t.Errorf("the card of n-con-8 (no readings, nothing recorded, no repair) says %q, want %q, %q, the GSM step and no badge", got, w.none, w.never)
	}
	order := texts(t, ctx, "card order", `[...document.querySelectorAll('#fleet section[data-facility="f-north"] .grid .device')].map((e) => e.dataset.device)`)
	if want := []string{"n-psa-1", "n-con-9", "n-con-7", "n-con-8"}; !slices.Equal(order, want) {
		t.Errorf("the north cards come in the order %q, want %q: among devices without data, one reported broken first, then under repair", order, want)
	}
	if got := run(t, ctx, "n-con-7", chromedp.Text(chromedp.CSS(`#fleet .device[data-device="n-con-7"] .reported`))); got != w.old {
		t.Errorf("the card of n-con-7 (recorded under repair in September) says %q, want %q", got, w.old)
	}
	psa := run(t, ctx, "n-psa-1", chromedp.Text(chromedp.CSS(`#fleet .device[data-device="n-psa-1"]`)))
	if !strings.Contains(psa, w.badge) {
		t.Errorf("the card of n-psa-1 (open work order) says %q, want %q in it", psa, w.badge)
	}
	if n := run(t, ctx, "reported on n-psa-1", chromedp.Evaluate[int](`document.querySelectorAll('#fleet .device[data-device="n-psa-1"] .reported').length`)); n != 0 {
		t.Error("n-psa-1 sends readings, yet its card shows a status reported by hand")
	}
	if chip := run(t, ctx, "n-con-2", chromedp.Text(chromedp.CSS(`#fleet .chip[data-device="n-con-2"]`))); !strings.Contains(chip, w.badge) {
		t.Errorf("the chip of n-con-2 (operational, open work order) says %q, want %q in it", chip, w.badge)
	}
	if got := run(t, ctx, "the south facility's count", chromedp.Text(chromedp.CSS(`#fleet section[data-facility="f-south"] .fac-meta`))); got != w.south {
		t.Errorf("the south facility (one device) says %q, want %q", got, w.south)
	}
	read := texts(t, ctx, "functional reads", `performance.getEntriesByType("resource").map((e) => e.name).filter((n) => n.includes("/functional"))
		.map((n) => decodeURIComponent(n.split("/devices/")[1].split("/")[0]))`)
	slices.Sort(read)
	if read = slices.Compact(read); !slices.Equal(read, []string{"n-con-7", "n-con-8", "n-con-9"}) {
		t.Errorf("the board read the functional records of %q, want only those of the devices without readings", read)
	}
	if bad := run(t, ctx, "untranslated text", chromedp.Evaluate[[]string](untranslated, chromedp.EvalAwaitPromise)); len(bad) > 0 {
		t.Errorf("fleet: untranslated text on screen: %q", bad)
	}
	wide(t, ctx, sc)
	screenshot(t, ctx, "fleet-"+l+"-"+sc.name+".png")
}
