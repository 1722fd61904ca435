package api

import (
	"context"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/oxywatch/oxywatch/alerting/notify"
	"github.com/oxywatch/oxywatch/internal/config"
	"github.com/oxywatch/oxywatch/internal/plant"
)

// notifyContacts serves Contacts from a real notify.Service, as
// internal/app's adapter does.
type notifyContacts struct{ s *notify.Service }

func (c notifyContacts) List(ctx context.Context) ([]Contact, error) {
	return c.s.Contacts(ctx, notify.ContactFilter{})
}
func (c notifyContacts) Get(ctx context.Context, id int64) (Contact, error) {
	return c.s.Contact(ctx, id)
}
func (c notifyContacts) Create(ctx context.Context, x Contact) (Contact, error) {
	return c.s.CreateContact(ctx, x)
}
func (c notifyContacts) Update(ctx context.Context, x Contact) (Contact, error) {
	return c.s.UpdateContact(ctx, x)
}
func (c notifyContacts) Delete(ctx context.Context, id int64) error {
	return c.s.DeleteContact(ctx, id)
}

// withRealContacts swaps the fixture's contacts for notify's, on the
// fixture's database (where the audit log is), and rebuilds the handler.
func withRealContacts(t *testing.T, f *fixture) {
	t.Helper()
	svc, err := notify.New(notify.Options{DB: f.db, Config: config.Notify{Language: "en"}, Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []Contact{
		{Name: "Grace (north)", Phone: "+256772000001", Regions: []string{"north"}, Facilities: []string{}},
		{Name: "Peter (south)", Phone: "+256772000002", Regions: []string{"south"}, Facilities: []string{}, Language: "fr", OnCall: "18:00-06:00"},
	} {
		if _, err := svc.CreateContact(context.Background(), c); err != nil {
			t.Fatal(err)
		}
	}
	f.opt.Contacts = notifyContacts{svc}
	f.opt.Gatherer = prometheus.NewRegistry()
	f.h = New(f.opt)
}

func (f *fixture) contactNamed(name string) (Contact, bool) {
	var list List[Contact]
	f.ok("admin", "GET", "/api/v1/contacts", nil, &list)
	i := slices.IndexFunc(list.Items, func(c Contact) bool { return c.Name == name })
	if i < 0 {
		return Contact{}, false
	}
	return list.Items[i], true
}

// TestDashboardContactsEditing: an admin adds a French-speaking contact
// with on-call hours from the dashboard, changes it and deletes it (after
// confirming); each step is what GET /api/v1/contacts then says. An
// engineer sees the list without controls; a north-limited admin is
// offered only north places and cannot make a national contact.
func TestDashboardContactsEditing(t *testing.T) {
	f := newFixture(t)
	withRealContacts(t, f)
	ctx, url := browser(t, f)
	do(t, ctx, "window size", chromedp.EmulateViewport(1366, 900))
	logIn(t, ctx, url, f.tok["admin"])
	do(t, ctx, "add a contact",
		chromedp.Navigate(url+"/#/contacts"),
		chromedp.WaitVisible(chromedp.ID("add-contact")),
		chromedp.Click(chromedp.ID("add-contact")),
		chromedp.WaitVisible(chromedp.ID("contact-dialog")),
		chromedp.SendKeys(chromedp.CSS(`#contact-dialog input[name="cname"]`), "Amélie Diallo"),
		chromedp.SendKeys(chromedp.CSS(`#contact-dialog input[name="phone"]`), "+256 772 000 009"),
		choose(`#contact-dialog select[name="language"]`, "fr"),
		chromedp.SendKeys(chromedp.CSS(`#contact-dialog input[name="onFrom"]`), "7:00"),
		chromedp.SendKeys(chromedp.CSS(`#contact-dialog input[name="onTo"]`), "19:00"),
		chromedp.Click(chromedp.CSS(`#contact-dialog input[name="facilities"][value="f-north"]`)),
	)
	screenshot(t, ctx, "contact-dialog.png")
	do(t, ctx, "save it",
		chromedp.Click(chromedp.CSS(`#contact-dialog button[type="submit"]`)),
		until(`!document.getElementById("contact-dialog") && [...document.querySelectorAll("#contacts td")].some(td => td.textContent.startsWith("Amélie Diallo"))`),
	)
	c, ok := f.contactNamed("Amélie Diallo")
	if !ok || c.Language != "fr" || c.OnCall != "07:00-19:00" || c.Phone != "+256772000009" || strings.Join(c.Facilities, ",") != "f-north" || len(c.Regions) != 0 {
		t.Fatalf("GET /contacts has %+v (found %v), want Amélie in French, on call 07:00-19:00, +256772000009, for f-north", c, ok)
	}
	row := `#contacts tr[data-contact="` + itoa(c.ID) + `"]`
	if lang := run(t, ctx, "language cell", chromedp.Text(chromedp.CSS(row+` td.lang`))); lang != "Français" {
		t.Errorf("the list shows her language as %q, want Français", lang)
	}
	screenshot(t, ctx, "contacts-admin.png")

	do(t, ctx, "change her to Portuguese, always on call, region north",
		chromedp.Click(chromedp.CSS(row+` button.edit`)),
		chromedp.WaitVisible(chromedp.ID("contact-dialog")),
		choose(`#contact-dialog select[name="language"]`, "pt"),
		chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('#contact-dialog input.hhmm').forEach(i => { i.value = ""; })`),
		chromedp.Click(chromedp.CSS(`#contact-dialog input[name="regions"][value="north"]`)),
		chromedp.Click(chromedp.CSS(`#contact-dialog button[type="submit"]`)),
		until(`!document.getElementById("contact-dialog") && document.querySelector('`+row+` td.lang').textContent === "Português"`),
	)
	if c, _ = f.contactNamed("Amélie Diallo"); c.Language != "pt" || c.OnCall != "" || strings.Join(c.Regions, ",") != "north" {
		t.Errorf("after the change GET /contacts has %+v, want Portuguese, always on call, region north", c)
	}

	do(t, ctx, "ask to delete her",
		chromedp.Click(chromedp.CSS(row+` button.delete`)),
		chromedp.WaitVisible(chromedp.ID("delete-contact-dialog")),
	)
	if msg := run(t, ctx, "confirmation", chromedp.Text(chromedp.ID("delete-contact-dialog"))); !strings.Contains(msg, "Amélie Diallo will no longer be told") {
		t.Errorf("the confirmation says %q, want who stops being told", msg)
	}
	if _, ok := f.contactNamed("Amélie Diallo"); !ok {
		t.Fatal("the contact was deleted before the confirmation")
	}
	do(t, ctx, "confirm",
		chromedp.Click(chromedp.CSS(`#delete-contact-dialog button[type="submit"]`)),
		until(`!document.querySelector('`+row+`')`),
	)
	if _, ok := f.contactNamed("Amélie Diallo"); ok {
		t.Error("the contact is still in GET /contacts after the confirmed delete")
	}

	// An engineer reads the list; nothing to change it with.
	logOut(t, ctx)
	logIn(t, ctx, url, f.tok["engineer"])
	do(t, ctx, "contacts as an engineer", chromedp.Navigate(url+"/#/contacts"), chromedp.WaitVisible(chromedp.ID("contacts")))
	if n := run(t, ctx, "controls", chromedp.Evaluate[int](`document.querySelectorAll("#add-contact, #contacts button").length`)); n != 0 {
		t.Errorf("an engineer sees %d contact controls, want none", n)
	}

	// A north admin is offered the north only, and no national contact.
	logOut(t, ctx)
	logIn(t, ctx, url, f.tok["north-admin"])
	do(t, ctx, "add as a north admin",
		chromedp.Navigate(url+"/#/contacts"),
		chromedp.WaitVisible(chromedp.ID("add-contact")),
		chromedp.Click(chromedp.ID("add-contact")),
		chromedp.WaitVisible(chromedp.ID("contact-dialog")))
	offered := texts(t, ctx, "places offered", `[...document.querySelectorAll('#contact-dialog .scope-boxes input')].map(i => i.value)`)
	if strings.Join(offered, ",") != "north,f-north" {
		t.Errorf("a north admin is offered %q, want north and f-north only", offered)
	}
	do(t, ctx, "save without a place",
		chromedp.SendKeys(chromedp.CSS(`#contact-dialog input[name="cname"]`), "Nobody's desk"),
		chromedp.SendKeys(chromedp.CSS(`#contact-dialog input[name="email"]`), "desk@health.example"),
		chromedp.Click(chromedp.CSS(`#contact-dialog button[type="submit"]`)),
		until(`document.querySelector('#contact-dialog p.error').textContent.includes("inside your regions")`))
	if _, ok := f.contactNamed("Nobody's desk"); ok {
		t.Error("a north admin made a national contact")
	}
}

// logOut ends the session as the page's button does.
func logOut(t *testing.T, ctx context.Context) {
	t.Helper()
	do(t, ctx, "log out", chromedp.Evaluate[chromedp.Void](`document.querySelectorAll("dialog").forEach(d => d.remove()); document.getElementById("logout").click()`),
		chromedp.WaitVisible(chromedp.ID("token")))
}

// TestDashboardPhoneHeader: at 390×844 every nav entry (Contacts too) and
// the language switch lie whole inside the viewport, none overlaps
// another, nothing scrolls sideways, and the header takes at most an
// eighth of the screen; in French, Portuguese and English.
func TestDashboardPhoneHeader(t *testing.T) {
	for _, l := range []struct{ code, accept string }{{"fr", "fr-FR,fr"}, {"pt", "pt-MZ,pt"}, {"en", "en-GB,en"}} {
		t.Run(l.code, func(t *testing.T) {
			f := newFixture(t)
			srv := httptest.NewServer(f.h)
			t.Cleanup(srv.Close)
			ctx := browserIn(t, srv, l.accept)
			do(t, ctx, "phone size", chromedp.EmulateViewport(390, 844))
			logIn(t, ctx, srv.URL, f.tok["admin"])
			do(t, ctx, "see the fleet", chromedp.WaitVisible(chromedp.CSS(`#fleet a.device`)), until(`document.documentElement.lang === "`+l.code+`"`))
			type box struct {
				Name                     string
				Left, Right, Top, Bottom float64
			}
			type layout struct {
				Boxes             []box
				Width, Height     float64
				Header            float64
				NavScroll, NavBox float64
			}
			got := run(t, ctx, "header boxes", chromedp.Evaluate[layout](`(() => {
				const els = [...document.querySelectorAll("nav a[data-view]"), document.getElementById("lang-switch")].filter(e => e.checkVisibility());
				const nav = document.getElementById("nav");
				return {
					Boxes: els.map(e => { const r = e.getBoundingClientRect(); return {Name: e.tagName === "SELECT" ? "language switch" : e.textContent.trim(), Left: r.left, Right: r.right, Top: r.top, Bottom: r.bottom}; }),
					Width: innerWidth, Height: innerHeight,
					Header: document.querySelector("body > header").getBoundingClientRect().height,
					NavScroll: nav.scrollWidth, NavBox: nav.clientWidth,
				};
			})()`))
			if len(got.Boxes) != 6 {
				t.Fatalf("%d header entries visible (%+v), want the 5 views and the language switch", len(got.Boxes), got.Boxes)
			}
			for i, b := range got.Boxes {
				if b.Left < 0 || b.Right > got.Width || b.Top < 0 || b.Bottom > got.Height {
					t.Errorf("%q lies at x %.0f–%.0f, y %.0f–%.0f, outside the %.0f×%.0f screen", b.Name, b.Left, b.Right, b.Top, b.Bottom, got.Width, got.Height)
				}
				for _, o := range got.Boxes[:i] {
					if b.Left < o.Right && o.Left < b.Right && b.Top < o.Bottom && o.Top < b.Bottom {
						t.Errorf("%q overlaps %q", b.Name, o.Name)
					}
				}
			}
			if got.NavScroll > got.NavBox+1 {
				t.Errorf("the nav is %.0f px wide in a %.0f px box: it scrolls sideways", got.NavScroll, got.NavBox)
			}
			if got.Header > got.Height/8 {
				t.Errorf("the header is %.0f px high, more than an eighth of the %.0f px screen", got.Header, got.Height)
			}
			screenshot(t, ctx, l.code+"-phone-header.png")

			// The contacts and their form fit the phone too, in the reader's
			// language.
			do(t, ctx, "the contacts on a phone",
				chromedp.Navigate(srv.URL+"/#/contacts"),
				chromedp.WaitVisible(chromedp.ID("contacts")))
			if w := run(t, ctx, "page width", chromedp.Evaluate[float64](`document.documentElement.scrollWidth`)); w > 390 {
				t.Errorf("the contacts page is %.0f px wide on a 390 px phone: it scrolls sideways", w)
			}
			screenshot(t, ctx, l.code+"-phone-contacts-admin.png")
			do(t, ctx, "the contact form on a phone",
				chromedp.Click(chromedp.ID("add-contact")),
				chromedp.WaitVisible(chromedp.ID("contact-dialog")))
			if bad := run(t, ctx, "untranslated text", chromedp.Evaluate[[]string](untranslated, chromedp.EvalAwaitPromise)); len(bad) > 0 {
				t.Errorf("contact form: untranslated text on screen: %q", bad)
			}
			if wide := run(t, ctx, "dialog width", chromedp.Evaluate[bool](`document.getElementById("contact-dialog").getBoundingClientRect().right <= innerWidth`)); !wide {
				t.Error("the contact form is wider than the phone's screen")
			}
			screenshot(t, ctx, l.code+"-phone-contact-dialog.png")
		})
	}
}

// TestDashboardNobodyToldWhy: an alert that reached nobody says why: no
// contact covers its place, or contacts do and no message went out to
// them (no sender set up for their channel).
func TestDashboardNobodyToldWhy(t *testing.T) {
	f := newFixture(t)
	for _, id := range []int64{1, 3} { // Grace (north) and the national desk
		if err := f.contacts.Delete(context.Background(), id); err != nil {
			t.Fatal(err)
		}
	}
	f.alerts.add(plant.Alert{Rule: "critical_purity", Device: "n-con-2", Facility: "f-north", Region: "north", Severity: plant.SeverityCritical,
		State: plant.AlertFiring, StartedAt: testNow.Add(-time.Hour), Value: plant.Float(78)})
	f.alerts.add(plant.Alert{Rule: "low_pressure", Device: "s-psa-1", Facility: "f-south", Region: "south", Severity: plant.SeverityWarning,
		State: plant.AlertFiring, StartedAt: testNow.Add(-time.Hour), Value: plant.Float(3.1)})
	ctx, url := browser(t, f)
	logIn(t, ctx, url, f.tok["engineer"])
	do(t, ctx, "alerts", chromedp.Navigate(url+"/#/alerts"), chromedp.WaitVisible(chromedp.CSS(`#alerts .alert[data-alert="5"] .told`)))
	north := run(t, ctx, "north alert", chromedp.Text(chromedp.CSS(`#alerts .alert[data-alert="4"] .told`)))
	if !strings.Contains(north, "no contact covers North Referral or region north") {
		t.Errorf("the north alert's delivery row says %q, want that no contact covers North Referral", north)
	}
	south := run(t, ctx, "south alert", chromedp.Text(chromedp.CSS(`#alerts .alert[data-alert="5"] .told`)))
	if !strings.Contains(south, "Peter (south)") || !strings.Contains(south, "no SMS or e-mail sender") {
		t.Errorf("the south alert's delivery row says %q, want Peter named and that no message went out (no sender)", south)
	}
	screenshot(t, ctx, "alerts-nobody-told.png")
}
