package notify

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/oxywatch/oxywatch/internal/i18n"
	"github.com/oxywatch/oxywatch/internal/plant"
)

// everyRule is each rule an alert may carry, with a worst-case value.
var everyRule = map[string]float64{
	"offline": 180, "critical_purity": -12345.678, "low_purity": 89.96, "low_pressure": 0.01,
	"high_pressure": 123456.789, "no_flow": 0.004, "overload": 99999.9, "device_fault": 0,
	"power_loss": 0, "purity_declining": -0.73, "maintenance_due": 1234567,
	"facility_outage": 0, "clock_skew": -86400, "sensor_stuck": 100, "rule_from_the_future": 7,
}

var everyEvent = []string{evFiring, evEscalation, evRepeat, evAcked, evResolved}

func alertRow(rule string, v float64, ev, facility, device string, kind plant.Kind) pending {
	at := time.Date(2026, 3, 10, 2, 14, 0, 0, time.UTC)
	summary := "purity 78.2%"
	if rule == "maintenance_due" {
		summary = "inlet_filter_clean: 4100 h since service, interval 168 h"
	}
	a := plant.Alert{ID: 7, Rule: rule, Device: plant.DeviceID(device), Facility: "f", Severity: plant.SeverityCritical,
		State: plant.AlertFiring, StartedAt: at, Value: &v, Summary: summary, AckCode: "48071234", AckedBy: "Maria da Conceição Gonçalves"}
	return pending{id: 1, key: "k", event: ev, e: event{Alert: a, FacilityName: facility, Kind: kind, At: at.Add(time.Hour)}}
}

// TestSMSEveryTemplateFitsOneSegment: every SMS template, in every language,
// for every rule and event, with the longest fields, is GSM-7 in one segment
// and keeps its ack code.
func TestSMSEveryTemplateFitsOneSegment(t *testing.T) {
	h := newHarness(t, testConfig(), nil)
	long := strings.Repeat("Hôpital régional de Thiès — bloc ", 4)
	dev := strings.Repeat("conc-çã", 9)
	for _, l := range i18n.Langs {
		tr := i18n.New(l)
		for rule, v := range everyRule {
			for _, ev := range everyEvent {
				one := alertRow(rule, v, ev, long, dev, plant.KindCylinderBank)
				group := make([]pending, 50)
				for i := range group {
					group[i] = alertRow(rule, v, everyEvent[i%len(everyEvent)], long, dev, plant.KindConcentrator)
					group[i].id = int64(i + 1)
				}
				for name, ps := range map[string][]pending{"single": {one}, "group": group} {
					text := h.s.smsTextIn(tr, ps)
					if n := Septets(text); n < 0 || n > SMSSegment {
						t.Errorf("%s %s %s %s: got %d septets: %q", l, rule, ev, name, n, text)
					}
					if isFiring(ps[0].event) && !strings.Contains(text, "48071234") {
						t.Errorf("%s %s %s %s: lost the ack code: %q", l, rule, ev, name, text)
					}
				}
			}
		}
	}
}

// TestSMSTypicalNamesAreNotCut: with a facility and device named as they
// usually are, no part of any template is shortened.
func TestSMSTypicalNamesAreNotCut(t *testing.T) {
	h := newHarness(t, testConfig(), nil)
	for _, l := range i18n.Langs {
		for rule := range everyRule {
			for _, ev := range everyEvent {
				p := alertRow(rule, 78.2, ev, "Hôpital régional de Thiès", "conc-012", plant.KindConcentrator)
				p.e.Alert.AckCode, p.e.Alert.AckedBy = "4821", "Aïssatou Ndiaye"
				text := h.s.smsTextIn(i18n.New(l), []pending{p})
				if strings.Contains(text, "..") || Septets(text) > SMSSegment {
					t.Errorf("%s %s %s: cut: %q (%d septets)", l, rule, ev, text, Septets(text))
				}
			}
		}
	}
}

// TestSMSSamples pins one SMS per language for a critical purity alert, an
// outage and a resolution; run with -v to read them.
func TestSMSSamples(t *testing.T) {
	h := newHarness(t, testConfig(), nil)
	purity := alertRow("critical_purity", 78.2, evFiring, "Hôpital régional de Thiès", "psa-003", plant.KindPSA)
	purity.e.Alert.AckCode = "4821"
	outage := alertRow("offline", 180, evEscalation, "Hôpital régional de Thiès", "psa-003", plant.KindPSA)
	outage.e.Alert.AckCode, outage.e.Alert.Summary = "4822", "no telemetry from psa-003 for 3m0s"
	resolved := purity
	resolved.event = evResolved
	want := map[i18n.Lang][3]string{
		i18n.English: {
			"CRIT Hopital régional de Thiès PSA psa-003 purity 78.2% since 02:14 - reply ACK 4821",
			"CRIT Hopital régional de Thiès PSA psa-003 no telemetry from psa-003 for 3m0s since 02:14, not acked - reply ACK 4822",
			"OK Hopital régional de Thiès PSA psa-003 purity 78.2% resolved 03:14",
		},
		i18n.French: {
			"CRITIQUE Hopital régional de Thiès PSA psa-003 pureté O2 78,2 % depuis 02:14 - répondez REÇU 4821",
			"CRITIQUE Hopital régional de Thiès PSA psa-003 aucune donnée (hors ligne) depuis 02:14, sans réponse - répondez REÇU 4822",
			"RÉSOLU Hopital régional de Thiès PSA psa-003 pureté O2 78,2 % résolu à 03:14",
		},
		i18n.Portuguese: {
			"CRITICO Hopital régional de Thiès PSA psa-003 pureza O2 78,2% desde 02:14 - responda CIENTE 4821",
			"CRITICO Hopital régional de Thiès PSA psa-003 sem dados (sem comunicacao) desde 02:14, sem resposta - responda CIENTE 4822",
			"RESOLVIDO Hopital régional de Thiès PSA psa-003 pureza O2 78,2% resolvido às 03:14",
		},
	}
	for _, l := range i18n.Langs {
		for i, p := range []pending{purity, outage, resolved} {
			got := h.s.smsTextIn(i18n.New(l), []pending{p})
			t.Logf("%s [%d septets] %s", l, Septets(got), got)
			if got != want[l][i] {
				t.Errorf("%s:\n got %q\nwant %q", l, got, want[l][i])
			}
		}
	}
}

// TestContactLanguage: a contact's language is stored in its canonical form,
// an unknown one is refused, and the contact's messages are in it.
func TestContactLanguage(t *testing.T) {
	sms, mail := &recorder{}, &recorder{}
	h := newHarness(t, testConfig(), map[Channel]Sender{SMS: sms, Email: mail})
	c := h.contact(Contact{Name: "Aïssatou", Phone: "+221770000111", Email: "a@thies.example", Facilities: []string{"mulago"}})
	c.Language = "fr-SN"
	if _, err := h.s.UpdateContact(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	if got, err := h.s.Contact(t.Context(), c.ID); err != nil || got.Language != string(i18n.French) {
		t.Fatalf("got %q, %v; want fr", got.Language, err)
	}
	c.Language = "klingon"
	if _, err := h.s.UpdateContact(t.Context(), c); !errors.Is(err, ErrInvalid) {
		t.Errorf("an unknown language: got %v, want ErrInvalid", err)
	}
	h.enqueue(firing(7, "mulago", "psa-3", h.clock.Now()))
	h.step()
	s, m := sms.got(), mail.got()
	if len(s) != 1 || !strings.Contains(s[0].Text, "pureté O2 78,2 %") || !strings.Contains(s[0].Text, "REÇU 4807") {
		t.Fatalf("got SMS %q, want it in French", s)
	}
	if len(m) != 1 || !strings.Contains(m[0].Subject, "pureté O2 78,2 %") || !strings.Contains(m[0].Text, "règle pureté critique") ||
		!strings.Contains(m[0].HTML, `lang="fr"`) || !strings.Contains(m[0].HTML, "Établissement") {
		t.Fatalf("got e-mail %+v, want it in French", m)
	}
}

// TestAckInEveryLanguage: a reply with any language's keyword acknowledges,
// whatever language the contact was told in.
func TestAckInEveryLanguage(t *testing.T) {
	for i, reply := range []string{"Reçu 4807", "RECU 4807", "recu: #4807", "ciente 4807", "OK 4807", "Vu 4807 merci", "recebido 4807"} {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			_, a, u := inboundHarness(t, "in-secret", "")
			if got := post(t, u+"?token=in-secret", atReply("+256772000111", reply), nil); got != 200 {
				t.Fatalf("got status %d", got)
			}
			if got := a.got(); len(got) != 1 || got[0] != "4807 Grace" {
				t.Errorf("%q: got acks %q, want [4807 Grace]", reply, got)
			}
		})
	}
	for _, text := range []string{"recusado 4807", "okay", "vu", "ciente"} {
		if ackText.MatchString(text) {
			t.Errorf("%q read as an ack", text)
		}
	}
}

// TestGroupedSMSKeepsEveryAckCode: a grouped SMS about alerts with very
// long facility and device names shortens the names, never an ack code:
// each listed item ends with its whole code, in every language.
func TestGroupedSMSKeepsEveryAckCode(t *testing.T) {
	h := newHarness(t, testConfig(), nil)
	facility := strings.Repeat("Centre hospitalier universitaire de Brazzaville ", 3)
	for _, l := range i18n.Langs {
		var ps []pending
		for i, rule := range []string{"critical_purity", "device_fault", "power_loss"} {
			p := alertRow(rule, 78.2, evFiring, facility, strings.Repeat("concentrateur-bloc-operatoire-", 3)+fmt.Sprint(i), plant.KindConcentrator)
			p.id, p.e.Alert.AckCode = int64(i+1), fmt.Sprintf("9%07d", 1234567+i)
			ps = append(ps, p)
		}
		text := h.s.smsTextIn(i18n.New(l), ps)
		t.Logf("%s [%d septets] %s", l, Septets(text), text)
		if Septets(text) > SMSSegment {
			t.Errorf("%s: %d septets", l, Septets(text))
		}
		if !strings.Contains(text, "#91234567") {
			t.Errorf("%s: the first alert's ack code is missing or cut: %q", l, text)
		}
		for _, item := range strings.Split(text, "; ") {
			if i := strings.LastIndex(item, "#"); i >= 0 {
				code := strings.TrimRight(strings.Fields(item[i+1:])[0], ".")
				if len(code) != 8 {
					t.Errorf("%s: cut ack code %q in %q", l, code, text)
				}
			}
		}
	}
}

// TestFrenchSMSNoBreakSpaces: French texts set a no-break space (U+00A0)
// before ":" (i18n's TestFrenchSpaceBeforeHighPunctuation), which is not in
// GSM-7 and would send the SMS as UCS-2 (70 characters a segment). The SMS
// says it as a plain space: a grouped French SMS ("alertes :") and a
// maintenance one ("filtre d’entrée : entretien dû") stay GSM-7 in one
// segment.
func TestFrenchSMSNoBreakSpaces(t *testing.T) {
	h := newHarness(t, testConfig(), nil)
	tr := i18n.New(i18n.French)
	if head := tr.T("sms.group_head", "X", 2); !strings.Contains(head, "\u00a0:") {
		t.Fatalf("the French group head %q has no U+00A0 before its colon: this test tests nothing", head)
	}
	maint := alertRow("maintenance_due", 4100, evFiring, "Hôpital régional de Thiès", "psa-003", plant.KindPSA)
	maint.e.Alert.AckCode = "4821"
	var group []pending
	for i, rule := range []string{"critical_purity", "maintenance_due", "power_loss"} {
		p := alertRow(rule, 78.2, evFiring, "Hôpital régional de Thiès", fmt.Sprintf("conc-%03d", i), plant.KindConcentrator)
		p.id, p.e.Alert.AckCode = int64(i+1), fmt.Sprint(4821+i)
		group = append(group, p)
	}
	for name, tc := range map[string]struct {
		ps   []pending
		want string
	}{
		"maintenance": {[]pending{maint}, "filtre d'entrée : entretien du"},
		"group":       {group, "Hopital régional de Thiès 3 alertes : "},
	} {
		text := h.s.smsTextIn(tr, tc.ps)
		t.Logf("%s [%d septets] %s", name, Septets(text), text)
		if n := Septets(text); n < 0 || n > SMSSegment {
			t.Errorf("%s: %d septets (-1: not GSM-7, sent as UCS-2): %q", name, n, text)
		}
		if !strings.Contains(text, tc.want) {
			t.Errorf("%s: got %q, want it to say %q", name, text, tc.want)
		}
	}
}
