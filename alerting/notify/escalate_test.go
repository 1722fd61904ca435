package notify

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oxywatch/oxywatch/internal/config"
	"github.com/oxywatch/oxywatch/internal/plant"
)

// escalationHarness has a facility engineer, a regional biomedical engineer
// and the national programme, and the default tiers (0, 15 min, 1 h).
func escalationHarness(t *testing.T) (*harness, *recorder) {
	sms := &recorder{}
	h := newHarness(t, testConfig(), map[Channel]Sender{SMS: sms})
	h.contact(Contact{Name: "Grace", Phone: "+256772000111", Facilities: []string{"mulago"}})
	h.contact(Contact{Name: "Moses", Phone: "+256772000222", Regions: []string{"central"}})
	h.contact(Contact{Name: "Programme", Phone: "+256772000333"})
	return h, sms
}

func recipients(ms []Message) string {
	var to []string
	for _, m := range ms {
		to = append(to, m.To[len(m.To)-3:])
	}
	return strings.Join(to, ",")
}

func TestEscalationAfterAckTimeout(t *testing.T) {
	h, sms := escalationHarness(t)
	tr := firing(7, "mulago", "psa-3", h.clock.Now())
	h.enqueue(tr)
	h.step()
	if got := recipients(sms.got()); got != "111" {
		t.Fatalf("at firing got SMS to %q, want the facility engineer (111)", got)
	}
	h.clock.Add(14*time.Minute + 59*time.Second)
	h.step()
	if got := recipients(sms.got()); got != "111" {
		t.Fatalf("before 15 min got SMS to %q, want no escalation yet", got)
	}
	h.clock.Add(time.Second)
	h.step()
	got := sms.got()
	if recipients(got) != "111,222" || !strings.Contains(got[1].Text, "not acked") || !strings.Contains(got[1].Text, "ACK 4807") {
		t.Fatalf("at 15 min got %+v, want the regional engineer told it is not acked, with the code", got)
	}
	h.clock.Add(45 * time.Minute)
	h.step()
	if got := recipients(sms.got()); got != "111,222,333" {
		t.Fatalf("at 1 h got SMS to %q, want the national programme too", got)
	}
	if v := metric(t, h.reg, "oxywatch_notify_escalations_total", ""); v != 2 {
		t.Errorf("got escalations_total %v, want 2", v)
	}
	// Resolved: everyone who was told hears it is over.
	h.clock.Add(time.Minute)
	h.enqueue(then(tr, plant.AlertResolved, h.clock.Now(), ""))
	h.step()
	got = sms.got()
	if len(got) != 6 {
		t.Fatalf("after resolve got %d SMS, want 3 more", len(got))
	}
	told := map[string]bool{}
	for _, m := range got[3:] {
		told[m.To[len(m.To)-3:]] = true
	}
	if !told["111"] || !told["222"] || !told["333"] {
		t.Errorf("resolved went to %v, want 111, 222 and 333", told)
	}
	for _, m := range got[3:] {
		if !strings.HasPrefix(m.Text, "OK ") || !strings.Contains(m.Text, "resolved") {
			t.Errorf("got %q, want a resolved message", m.Text)
		}
	}
}

func TestNoEscalationAfterAck(t *testing.T) {
	h, sms := escalationHarness(t)
	tr := firing(7, "mulago", "psa-3", h.clock.Now())
	h.enqueue(tr)
	h.step()
	h.clock.Add(5 * time.Minute)
	h.enqueue(then(tr, plant.AlertAcknowledged, h.clock.Now(), "Grace"))
	for range 8 {
		h.clock.Add(15 * time.Minute)
		h.step()
	}
	if got := recipients(sms.got()); got != "111" {
		t.Fatalf("got SMS to %q, want only the facility engineer, who acknowledged", got)
	}
	if v := metric(t, h.reg, "oxywatch_notify_escalations_total", ""); v != 0 {
		t.Errorf("got escalations_total %v, want 0", v)
	}
}

// An escalation queued inside the group window is dropped when the alert is
// acknowledged before it goes out.
func TestAckDropsQueuedEscalation(t *testing.T) {
	h, sms := escalationHarness(t)
	h.s.cfg.GroupWindow = time.Minute
	tr := firing(7, "mulago", "psa-3", h.clock.Now())
	h.enqueue(tr)
	h.clock.Add(time.Minute)
	h.step()
	h.clock.Add(14 * time.Minute) // 15 min after firing: escalation queued, due in a minute
	h.step()
	h.enqueue(then(tr, plant.AlertAcknowledged, h.clock.Now(), "Grace"))
	h.clock.Add(2 * time.Minute)
	h.step()
	if got := recipients(sms.got()); got != "111" {
		t.Fatalf("got SMS to %q, want no escalation after the ack", got)
	}
	sup := h.deliveries(DeliveryFilter{State: StateSuppressed})
	if len(sup) != 1 || sup[0].Event != evEscalation {
		t.Fatalf("got suppressed %+v, want the queued escalation", sup)
	}
}

func TestRepeatWhileUnacknowledged(t *testing.T) {
	h, sms := escalationHarness(t)
	h.s.cfg.Routes = []config.Route{{Name: "mulago", Facilities: []string{"mulago"}, Repeat: 30 * time.Minute,
		Tiers: []config.Tier{{Scope: config.ScopeFacility}}}}
	h.enqueue(firing(7, "mulago", "psa-3", h.clock.Now()))
	h.step()
	for range 2 {
		h.clock.Add(30 * time.Minute)
		h.step()
	}
	got := sms.got()
	if recipients(got) != "111,111,111" {
		t.Fatalf("got SMS to %q, want the facility engineer three times", recipients(got))
	}
	if got[0].Key == got[1].Key || got[1].Key == got[2].Key {
		t.Errorf("repeats share a key with the first message: %q %q %q", got[0].Key, got[1].Key, got[2].Key)
	}
}

func TestRoutesByRegionAndSeverity(t *testing.T) {
	sms := &recorder{}
	h := newHarness(t, testConfig(), map[Channel]Sender{SMS: sms})
	h.s.cfg.Routes = []config.Route{
		{Name: "north-critical", Regions: []string{"northern"}, Severities: []string{"critical"},
			Tiers: []config.Tier{{Scope: config.ScopeRegion, Roles: []string{"biomed"}}}},
	}
	h.contact(Contact{Name: "Okello", Phone: "+256772000111", Facilities: []string{"gulu"}})
	h.contact(Contact{Name: "Akello", Phone: "+256772000222", Role: "biomed", Regions: []string{"northern"}})
	h.enqueue(firing(1, "gulu", "psa-1", h.clock.Now()))
	warn := firing(2, "gulu", "psa-2", h.clock.Now())
	warn.Alert.Severity = plant.SeverityWarning
	h.enqueue(warn) // default route: the facility engineer
	h.step()
	for _, m := range sms.got() {
		switch {
		case strings.Contains(m.Text, "psa-1") && m.To != "+256772000222":
			t.Errorf("critical northern alert went to %s, want the regional biomed", m.To)
		case strings.Contains(m.Text, "psa-2") && m.To != "+256772000111":
			t.Errorf("warning went to %s, want the facility engineer by the default route", m.To)
		}
	}
	if n := len(sms.got()); n != 2 {
		t.Fatalf("got %d SMS, want 2", n)
	}
}

func TestOnCallHours(t *testing.T) {
	sms := &recorder{}
	h := newHarness(t, testConfig(), map[Channel]Sender{SMS: sms})
	h.contact(Contact{Name: "Day", Phone: "+256772000111", Facilities: []string{"mulago"}, OnCall: "07:00-19:00"})
	h.contact(Contact{Name: "Night", Phone: "+256772000222", Facilities: []string{"mulago"}, OnCall: "19:00-07:00"})
	h.enqueue(firing(1, "mulago", "psa-1", h.clock.Now())) // 02:14
	h.step()
	if got := recipients(sms.got()); got != "222" {
		t.Fatalf("at 02:14 got SMS to %q, want the night engineer", got)
	}
}

// With no route configured, only critical alerts climb to the national
// programme; a warning stops at the region (by e-mail) and an info alert,
// such as maintenance coming due, is an e-mail to the facility and no SMS.
func TestDefaultRouteBySeverity(t *testing.T) {
	sms, mail := &recorder{}, &recorder{}
	h := newHarness(t, testConfig(), map[Channel]Sender{SMS: sms, Email: mail})
	h.contact(Contact{Name: "Facility", Phone: "+256772000111", Email: "fac@moh.example", Facilities: []string{"gulu"}})
	h.contact(Contact{Name: "Region", Phone: "+256772000222", Email: "reg@moh.example", Regions: []string{"northern"}})
	h.contact(Contact{Name: "National", Phone: "+256772000333", Email: "nat@moh.example"})
	at := h.clock.Now()
	crit := firing(1, "gulu", "psa-1", at)
	warn := firing(2, "gulu", "psa-2", at)
	warn.Alert.Severity = plant.SeverityWarning
	info := firing(3, "gulu", "conc-3", at)
	info.Alert.Severity, info.Alert.Rule = plant.SeverityInfo, "maintenance_due"
	for _, tr := range []plant.Transition{crit, warn, info} {
		tr.Alert.Region = "northern"
		h.enqueue(tr)
	}
	for range 4 { // two hours, nobody acknowledges
		h.clock.Add(30 * time.Minute)
		h.step()
	}
	told := func(r *recorder, device string) string {
		var to []string
		for _, m := range r.got() {
			if strings.Contains(m.Text, device) || strings.Contains(m.Subject, device) {
				to = append(to, m.To)
			}
		}
		slices.Sort(to)
		return strings.Join(slices.Compact(to), " ")
	}
	for _, c := range []struct{ what, got, want string }{
		{"critical by SMS", told(sms, "psa-1"), "+256772000111 +256772000222 +256772000333"},
		{"warning by SMS", told(sms, "psa-2"), "+256772000111"},
		{"warning by e-mail", told(mail, "psa-2"), "fac@moh.example reg@moh.example"},
		{"info by SMS", told(sms, "conc-3"), ""},
		{"info by e-mail", told(mail, "conc-3"), "fac@moh.example"},
	} {
		if c.got != c.want {
			t.Errorf("%s: told %q, want %q", c.what, c.got, c.want)
		}
	}
}
