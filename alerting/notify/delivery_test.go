package notify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oxywatch/oxywatch/internal/config"
	"github.com/oxywatch/oxywatch/internal/plant"
)

// oneTier is a route telling everyone in scope at once on channels.
func oneTier(channels ...string) config.Route {
	return config.Route{Name: "all", Tiers: []config.Tier{{Scope: config.ScopeAny, Channels: channels}}}
}

func TestFiringGoesToFacilityEngineerBySMSAndEmail(t *testing.T) {
	sms, mail := &recorder{}, &recorder{}
	h := newHarness(t, testConfig(), map[Channel]Sender{SMS: sms, Email: mail})
	grace := h.contact(Contact{Name: "Grace", Phone: "+256772000111", Email: "grace@mulago.example", Facilities: []string{"mulago"}})
	h.contact(Contact{Name: "Okello", Phone: "+256772000222", Facilities: []string{"gulu"}})
	h.contact(Contact{Name: "Programme", Email: "o2@health.example"}) // national: a later tier

	h.enqueue(firing(7, "mulago", "psa-3", h.clock.Now()))
	h.step()

	if got := sms.got(); len(got) != 1 || got[0].To != grace.Phone {
		t.Fatalf("got SMS %+v, want one to %s", got, grace.Phone)
	}
	want := "CRIT Mulago PSA psa-3 purity 78.2% since 02:14 - reply ACK 4807"
	if got := sms.got()[0].Text; got != want {
		t.Errorf("got SMS text %q, want %q", got, want)
	}
	m := mail.got()
	if len(m) != 1 || m[0].To != grace.Email || !strings.Contains(m[0].Subject, "Mulago") ||
		!strings.Contains(m[0].Text, "ACK 4807") || !strings.Contains(m[0].HTML, "<td>4807</td>") {
		t.Fatalf("got email %+v, want one to Grace with the ack code in text and HTML", m)
	}
	ds := h.deliveries(DeliveryFilter{AlertID: 7})
	if len(ds) != 2 {
		t.Fatalf("got %d deliveries, want 2", len(ds))
	}
	for _, d := range ds {
		if d.State != StateSent || d.Recipient != "Grace" || d.Event != "firing" || d.SentAt.IsZero() || d.Text == "" {
			t.Errorf("got delivery %+v, want sent to Grace with its text", d)
		}
	}
}

func TestEnqueueTwiceSendsOnce(t *testing.T) {
	sms := &recorder{}
	h := newHarness(t, testConfig(), map[Channel]Sender{SMS: sms})
	h.contact(Contact{Name: "Grace", Phone: "+256772000111", Facilities: []string{"mulago"}})
	tr := firing(7, "mulago", "psa-3", h.clock.Now())
	h.enqueue(tr)
	h.enqueue(tr)
	h.step()
	if n := len(sms.got()); n != 1 {
		t.Fatalf("got %d SMS, want 1", n)
	}
}

func TestSMSFitsOneGSM7Segment(t *testing.T) {
	h := newHarness(t, testConfig(), nil)
	long := firing(1, "mulago", "psa-kiruddu-main-plant-oxygen-generator-02", h.clock.Now())
	long.Alert.Summary = "purity 78.2% below 82% while running — sieve beds or compressor; check dryer and filters"
	cases := []struct {
		name string
		ps   []pending
		want []string // must appear
	}{
		{"short", []pending{{id: 1, event: evFiring, e: event{Alert: firing(1, "mulago", "psa-3", h.clock.Now()).Alert, FacilityName: "Mulago", Kind: plant.KindPSA}}},
			[]string{"CRIT", "Mulago", "psa-3", "78.2%", "02:14", "ACK 4801"}},
		{"long names", []pending{{id: 1, event: evFiring, e: event{Alert: long.Alert, FacilityName: "Mulago National Referral Hospital, Kampala — Main Theatre Block", Kind: plant.KindPSA}}},
			[]string{"CRIT", "02:14", "ACK 4801"}},
		{"resolved", []pending{{id: 1, event: evResolved, e: event{Alert: long.Alert, FacilityName: "Gulu Regional Referral Hospital", At: h.clock.Now().Add(time.Hour)}}},
			[]string{"OK", "resolved 03:14"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			text := h.s.smsText(tc.ps)
			if n := Septets(text); n < 0 || n > SMSSegment {
				t.Fatalf("got %d septets in %q, want 1 to %d GSM-7", n, text, SMSSegment)
			}
			for _, w := range tc.want {
				if !strings.Contains(text, w) {
					t.Errorf("got %q, want it to hold %q", text, w)
				}
			}
		})
	}
}

func TestGSM7(t *testing.T) {
	if got := ToGSM7("purity ≥ 82 % — “ok” é"); got != "purity ? 82 % - \"ok\" é" {
		t.Errorf("got %q", got)
	}
	if Septets("a{b") != 4 || Septets("€") != 2 || Septets("ж") != -1 {
		t.Errorf("got septets %d %d %d, want 4 2 -1", Septets("a{b"), Septets("€"), Septets("ж"))
	}
	if got := cutSeptets("abcdefghij", 6); got != "abcd.." {
		t.Errorf("got %q, want abcd..", got)
	}
}

func TestTenAlertsAtOneFacilityGoAsOneSMS(t *testing.T) {
	cfg := testConfig()
	cfg.GroupWindow = 30 * time.Second
	sms := &recorder{}
	h := newHarness(t, cfg, map[Channel]Sender{SMS: sms})
	h.contact(Contact{Name: "Grace", Phone: "+256772000111", Facilities: []string{"mulago", "gulu"}})
	for i := range 10 {
		h.enqueue(firing(int64(i+1), "mulago", fmt.Sprintf("conc-%02d", i+1), h.clock.Now()))
		h.clock.Add(2 * time.Second)
	}
	h.enqueue(firing(99, "gulu", "psa-1", h.clock.Now())) // another facility: its own message
	h.step()
	if n := len(sms.got()); n != 0 {
		t.Fatalf("got %d SMS inside the group window, want 0", n)
	}
	h.clock.Add(12 * time.Second) // 30 s after the first
	h.step()
	got := sms.got()
	if len(got) != 1 {
		t.Fatalf("got %d SMS, want 1: %+v", len(got), got)
	}
	text := got[0].Text
	if !strings.HasPrefix(text, "Mulago 10 alerts:") || Septets(text) > SMSSegment || !strings.Contains(text, "more") {
		t.Errorf("got %q (%d septets), want one segment starting 'Mulago 10 alerts:'", text, Septets(text))
	}
	sent := h.deliveries(DeliveryFilter{Facility: "mulago", State: StateSent})
	if len(sent) != 10 {
		t.Fatalf("got %d sent rows at mulago, want 10", len(sent))
	}
	for _, d := range sent {
		if d.SentKey != got[0].Key {
			t.Errorf("row %d went out under key %q, want the group's %q", d.ID, d.SentKey, got[0].Key)
		}
	}
	h.clock.Add(20 * time.Second)
	h.step()
	if got := sms.got(); len(got) != 2 || !strings.Contains(got[1].Text, "Gulu") {
		t.Fatalf("got %+v, want a second SMS for Gulu", got)
	}
}

// TestProviderFailsThreeTimes: the gateway answers 500 three times and then
// 200; the message goes out once, under one idempotency key.
func TestProviderFailsThreeTimes(t *testing.T) {
	var mu sync.Mutex
	var keys []string
	var statuses []int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		mu.Lock()
		defer mu.Unlock()
		keys = append(keys, r.Header.Get("Idempotency-Key"))
		status := http.StatusOK
		if len(keys) <= 3 {
			status = http.StatusInternalServerError
		}
		statuses = append(statuses, status)
		w.WriteHeader(status)
	}))
	defer srv.Close()
	cfg := testConfig()
	cfg.SMS.Provider, cfg.SMS.HTTP.URL = "http", srv.URL
	senders, err := SendersFromConfig(cfg, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, cfg, senders)
	h.contact(Contact{Name: "Grace", Phone: "+256772000111", Facilities: []string{"mulago"}})
	h.enqueue(firing(7, "mulago", "psa-3", h.clock.Now()))

	waits := []time.Duration{0, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 8 * time.Second}
	for i, w := range waits {
		h.clock.Add(w)
		h.step()
		if i == 0 {
			h.step() // not due again before the backoff
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(keys) != 4 {
		t.Fatalf("provider got %d requests %v, want 4 (3 failures, 1 success)", len(keys), statuses)
	}
	for _, k := range keys {
		if k != keys[0] || k == "" {
			t.Errorf("got keys %q, want one stable key", keys)
		}
	}
	ds := h.deliveries(DeliveryFilter{AlertID: 7})
	if len(ds) != 1 || ds[0].State != StateSent || ds[0].Attempts != 4 {
		t.Fatalf("got %+v, want one row sent after 4 attempts", ds)
	}
	if v := metric(t, h.reg, "oxywatch_notify_send_errors_total", "channel=sms"); v != 3 {
		t.Errorf("got send_errors_total %v, want 3", v)
	}
}

func TestPermanentRefusalIsNotRetried(t *testing.T) {
	sms := &recorder{fail: func(int, Message) error { return Permanent(errors.New("invalid number")) }}
	h := newHarness(t, testConfig(), map[Channel]Sender{SMS: sms})
	h.contact(Contact{Name: "Grace", Phone: "+256772000111", Facilities: []string{"mulago"}})
	h.enqueue(firing(7, "mulago", "psa-3", h.clock.Now()))
	h.step()
	h.clock.Add(time.Hour)
	h.step()
	ds := h.deliveries(DeliveryFilter{AlertID: 7})
	if len(ds) != 1 || ds[0].State != StateFailed || ds[0].Attempts != 1 || !strings.Contains(ds[0].LastError, "invalid number") {
		t.Fatalf("got %+v, want one failed row after one attempt", ds)
	}
}

func TestRateLimitPerRecipient(t *testing.T) {
	cfg := testConfig()
	cfg.RateLimit = 2
	sms := &recorder{}
	h := newHarness(t, cfg, map[Channel]Sender{SMS: sms})
	h.s.cfg.Routes = []config.Route{oneTier("sms")}
	h.contact(Contact{Name: "Grace", Phone: "+256772000111", Regions: []string{"northern", "central"}})
	h.contact(Contact{Name: "Okello", Phone: "+256772000222", Facilities: []string{"lira"}})
	for i, f := range []string{"mulago", "gulu"} {
		h.enqueue(firing(int64(i+1), f, "psa-1", h.clock.Now()))
		h.step()
		h.clock.Add(time.Minute)
	}
	h.enqueue(firing(3, "mulago", "psa-2", h.clock.Now()))
	h.enqueue(firing(4, "lira", "psa-1", h.clock.Now())) // Grace is limited, Okello is not
	h.step()
	toGrace := func() int {
		n := 0
		for _, m := range sms.got() {
			if m.To == "+256772000111" {
				n++
			}
		}
		return n
	}
	if n := toGrace(); n != 2 {
		t.Fatalf("got %d SMS to Grace within the hour, want 2", n)
	}
	if n := len(sms.got()); n != 3 {
		t.Fatalf("got %d SMS in all, want 3 (Okello's too)", n)
	}
	if ds := h.deliveries(DeliveryFilter{State: StatePending}); len(ds) != 2 {
		t.Fatalf("got %d rows waiting, want Grace's 2", len(ds))
	}
	if v := metric(t, h.reg, "oxywatch_notify_rate_limited_total", "channel=sms"); v < 1 {
		t.Errorf("got rate_limited_total %v, want at least 1", v)
	}
	h.clock.Add(58 * time.Minute) // an hour after the first
	h.step()
	if n := toGrace(); n != 3 {
		t.Fatalf("got %d SMS to Grace after the hour, want 3 (the oldest left the window; both waiting go as one)", n)
	}
}

// TestDailySMSBudget: past the budget, SMS stop, the contact is emailed
// instead, and the metrics say so.
func TestDailySMSBudget(t *testing.T) {
	cfg := testConfig()
	cfg.SMSDailyBudget = 2
	sms, mail := &recorder{}, &recorder{}
	h := newHarness(t, cfg, map[Channel]Sender{SMS: sms, Email: mail})
	h.s.cfg.Routes = []config.Route{oneTier("sms")}
	h.contact(Contact{Name: "Grace", Phone: "+256772000111", Email: "grace@mulago.example", Regions: []string{"central", "northern"}})
	for i, f := range []string{"mulago", "gulu", "lira"} {
		h.enqueue(firing(int64(i+1), f, "psa-1", h.clock.Now()))
		h.step()
	}
	if n := len(sms.got()); n != 2 {
		t.Fatalf("got %d SMS, want 2 (the budget)", n)
	}
	m := mail.got()
	if len(m) != 1 || !strings.Contains(m[0].Text, "Lira") {
		t.Fatalf("got email %+v, want one about Lira instead of the SMS", m)
	}
	if v := metric(t, h.reg, "oxywatch_notify_sms_budget_exhausted", ""); v != 1 {
		t.Errorf("got sms_budget_exhausted %v, want 1", v)
	}
	if v := metric(t, h.reg, "oxywatch_notify_sms_over_budget_total", ""); v != 1 {
		t.Errorf("got sms_over_budget_total %v, want 1", v)
	}
	sup := h.deliveries(DeliveryFilter{State: StateSuppressed})
	if len(sup) != 1 || sup[0].Channel != SMS || sup[0].LastError != budgetReason {
		t.Errorf("got suppressed %+v, want the Lira SMS marked %q", sup, budgetReason)
	}
	// Next local day: the budget is back.
	h.clock.Add(24 * time.Hour)
	h.enqueue(firing(4, "mulago", "psa-2", h.clock.Now()))
	h.step()
	if n := len(sms.got()); n != 3 {
		t.Errorf("got %d SMS the next day, want 3", n)
	}
	if v := metric(t, h.reg, "oxywatch_notify_sms_budget_exhausted", ""); v != 0 {
		t.Errorf("got sms_budget_exhausted %v the next day, want 0", v)
	}
}

func TestWebhookGetsEveryTransition(t *testing.T) {
	hook := &recorder{}
	h := newHarness(t, testConfig(), map[Channel]Sender{Webhook: hook})
	tr := firing(7, "mulago", "psa-3", h.clock.Now())
	h.enqueue(tr)
	h.clock.Add(time.Minute)
	h.enqueue(then(tr, plant.AlertResolved, h.clock.Now(), ""))
	never := firing(8, "mulago", "psa-4", h.clock.Now())
	never.From, never.To = plant.AlertPending, plant.AlertResolved // cleared before it fired
	h.enqueue(never)
	h.step()
	got := hook.got()
	if len(got) != 2 {
		t.Fatalf("got %d webhook posts, want 2", len(got))
	}
	if !strings.Contains(string(got[0].JSON), `"event":"firing"`) || !strings.Contains(string(got[1].JSON), `"event":"resolved"`) ||
		got[0].Key == got[1].Key {
		t.Errorf("got %s and %s, want firing then resolved under distinct keys", got[0].JSON, got[1].JSON)
	}
}

func TestContactValidation(t *testing.T) {
	h := newHarness(t, testConfig(), nil)
	ctx := context.Background()
	for _, c := range []Contact{
		{Name: "", Phone: "+256772000111"},
		{Name: "x", Phone: "0772000111"},
		{Name: "x", Email: "not an address"},
		{Name: "x"},
		{Name: "x", Phone: "+256772000111", OnCall: "25:00-06:00"},
	} {
		if _, err := h.s.CreateContact(ctx, c); !errors.Is(err, ErrInvalid) {
			t.Errorf("CreateContact(%+v) got %v, want ErrInvalid", c, err)
		}
	}
	c := h.contact(Contact{Name: "Grace", Phone: "+256 772 000111"})
	if c.Phone != "+256772000111" {
		t.Errorf("got phone %q, want spaces removed", c.Phone)
	}
	if _, err := h.s.CreateContact(ctx, Contact{Name: "Other", Phone: "+256772000111"}); !errors.Is(err, ErrConflict) {
		t.Errorf("duplicate phone got %v, want ErrConflict", err)
	}
	c.Role = "facility_engineer"
	if u, err := h.s.UpdateContact(ctx, c); err != nil || u.Role != "facility_engineer" {
		t.Errorf("UpdateContact got %+v %v", u, err)
	}
	if err := h.s.DeleteContact(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := h.s.Contact(ctx, c.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted contact got %v, want ErrNotFound", err)
	}
}

func TestGiveUpAfterMaxAge(t *testing.T) {
	cfg := testConfig()
	cfg.MaxAge = time.Minute
	sms := &recorder{fail: func(int, Message) error { return errors.New("gateway down") }}
	h := newHarness(t, cfg, map[Channel]Sender{SMS: sms})
	h.contact(Contact{Name: "Grace", Phone: "+256772000111", Facilities: []string{"mulago"}})
	h.enqueue(firing(7, "mulago", "psa-3", h.clock.Now()))
	for range 12 {
		h.step()
		h.clock.Add(8 * time.Second)
	}
	ds := h.deliveries(DeliveryFilter{AlertID: 7})
	if len(ds) != 1 || ds[0].State != StateFailed || !strings.Contains(ds[0].LastError, "gave up") {
		t.Fatalf("got %+v, want the row failed after max_age", ds)
	}
	if v := metric(t, h.reg, "oxywatch_notify_failed_total", "channel=sms"); v != 1 {
		t.Errorf("got failed_total %v, want 1", v)
	}
}

func TestRunAndStop(t *testing.T) {
	sms := &recorder{}
	h := newHarness(t, testConfig(), map[Channel]Sender{SMS: sms})
	h.s.now = time.Now
	h.contact(Contact{Name: "Grace", Phone: "+256772000111", Facilities: []string{"mulago"}})
	done := make(chan error, 1)
	go func() { done <- h.s.Run(context.Background()) }()
	h.enqueue(firing(7, "mulago", "psa-3", time.Now()))
	poll(t, 5*time.Second, "the SMS", func() bool { return len(sms.got()) == 1 })
	h.s.Stop()
	h.s.Stop()
	if err := wait(t, done, "Run to return after Stop"); err != nil {
		t.Errorf("Run: %v", err)
	}
	if err := h.s.Run(context.Background()); err == nil {
		t.Error("second Run got no error")
	}
}

func TestDeliveryLogRetention(t *testing.T) {
	sms := &recorder{}
	h := newHarness(t, testConfig(), map[Channel]Sender{SMS: sms})
	h.s.retention = 30 * 24 * time.Hour
	h.contact(Contact{Name: "Grace", Phone: "+256772000111", Facilities: []string{"mulago"}})
	over := firing(1, "mulago", "psa-1", h.clock.Now())
	h.enqueue(over, firing(2, "mulago", "psa-2", h.clock.Now()))
	h.step()
	h.clock.Add(time.Minute)
	h.enqueue(then(over, plant.AlertResolved, h.clock.Now(), ""))
	h.step()
	h.clock.Add(31 * 24 * time.Hour)
	h.step()
	left := h.deliveries(DeliveryFilter{})
	if len(left) != 1 || left[0].AlertID != 2 {
		t.Fatalf("got %+v, want only the row of alert 2, which still escalates", left)
	}
}
