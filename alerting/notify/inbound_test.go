package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// acker records acks the way the alerting engine would take them.
type acker struct {
	mu   sync.Mutex
	acks []string // "code by"
}

func (a *acker) AckByCode(_ context.Context, code, by string) (plant.Alert, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if code != "4807" && code != "4808" {
		return plant.Alert{}, errors.New("no open alert with that code")
	}
	a.acks = append(a.acks, code+" "+by)
	return plant.Alert{ID: 7, AckCode: code, AckedBy: by, State: plant.AlertAcknowledged}, nil
}

func (a *acker) got() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.acks...)
}

// inboundHarness has Grace told about alert 7 (code 4807) and an inbound
// webhook on loopback.
func inboundHarness(t *testing.T, token, twilioToken string) (*harness, *acker, string) {
	cfg := testConfig()
	cfg.SMS.InboundToken = token
	cfg.SMS.Twilio.AuthToken = twilioToken
	h := newHarness(t, cfg, map[Channel]Sender{SMS: &recorder{}})
	h.contact(Contact{Name: "Grace", Phone: "+256772000111", Facilities: []string{"mulago"}})
	h.contact(Contact{Name: "Moses", Phone: "+256772000222", Regions: []string{"central"}}) // not told yet
	h.enqueue(firing(7, "mulago", "psa-3", h.clock.Now()))
	h.step()
	a := &acker{}
	srv := httptest.NewServer(h.s.InboundSMS(a))
	t.Cleanup(srv.Close)
	return h, a, srv.URL + "/sms/inbound"
}

func post(t *testing.T, u string, form url.Values, header http.Header) int {
	t.Helper()
	req, err := http.NewRequest("POST", u, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// atReply is Africa's Talking's incoming-message callback.
func atReply(from, text string) url.Values {
	return url.Values{"from": {from}, "to": {"20880"}, "text": {text}, "id": {"abc-1"}, "date": {"2026-03-10 02:20:00"}, "linkId": {"l-1"}}
}

func TestAckBySMSReply(t *testing.T) {
	h, a, u := inboundHarness(t, "in-secret", "")
	cases := []struct {
		name       string
		url        string
		form       url.Values
		wantStatus int
		wantResult string
		wantAcks   int
	}{
		{"no token", u, atReply("+256772000111", "ACK 4807"), 403, "bad_token", 0},
		{"wrong token", u + "?token=nope", atReply("+256772000111", "ACK 4807"), 403, "bad_token", 0},
		{"unknown number", u + "?token=in-secret", atReply("+256700999999", "ACK 4807"), 200, "unknown_sender", 0},
		{"contact not told", u + "?token=in-secret", atReply("+256772000222", "ACK 4807"), 200, "not_told", 0},
		{"not an ack", u + "?token=in-secret", atReply("+256772000111", "on my way"), 200, "not_ack", 0},
		{"unknown code", u + "?token=in-secret", atReply("+256772000111", "ACK 1234"), 200, "not_told", 0},
		{"ack", u + "?token=in-secret", atReply("256772000111", " ack #4807 going now"), 200, "acked", 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := metric(t, h.reg, "oxywatch_notify_inbound_sms_total", "result="+tc.wantResult)
			if got := post(t, tc.url, tc.form, nil); got != tc.wantStatus {
				t.Errorf("got status %d, want %d", got, tc.wantStatus)
			}
			if after := metric(t, h.reg, "oxywatch_notify_inbound_sms_total", "result="+tc.wantResult); after != before+1 {
				t.Errorf("inbound_sms_total{result=%q} went from %v to %v, want +1", tc.wantResult, before, after)
			}
			if got := a.got(); len(got) != tc.wantAcks {
				t.Errorf("got acks %q, want %d", got, tc.wantAcks)
			}
		})
	}
	if got := a.got(); len(got) != 1 || got[0] != "4807 Grace" {
		t.Errorf("got acks %q, want [4807 Grace]", got)
	}
}

func TestInboundRefusedWithoutAuthConfigured(t *testing.T) {
	_, a, u := inboundHarness(t, "", "")
	if got := post(t, u, atReply("+256772000111", "ACK 4807"), nil); got != http.StatusForbidden {
		t.Errorf("got status %d, want 403 when no inbound auth is configured", got)
	}
	if len(a.got()) != 0 {
		t.Error("acked without authentication")
	}
}

// twilioSign computes X-Twilio-Signature as Twilio documents it.
func twilioSign(token, u string, form url.Values) string {
	s := u
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	for i := range keys { // insertion sort keeps this independent of the code under test
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	for _, k := range keys {
		s += k + form.Get(k)
	}
	m := hmac.New(sha1.New, []byte(token))
	m.Write([]byte(s))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func TestAckByTwilioReply(t *testing.T) {
	_, a, u := inboundHarness(t, "", "tw-secret")
	form := url.Values{"MessageSid": {"SM1"}, "AccountSid": {"AC1"}, "From": {"+256772000111"}, "To": {"+15005550006"}, "Body": {"ACK 4807"}, "NumMedia": {"0"}}
	bad := http.Header{"X-Twilio-Signature": {twilioSign("other", u, form)}}
	if got := post(t, u, form, bad); got != http.StatusForbidden {
		t.Fatalf("bad signature got %d, want 403", got)
	}
	if got := post(t, u, form, nil); got != http.StatusForbidden {
		t.Fatalf("no signature got %d, want 403", got)
	}
	if len(a.got()) != 0 {
		t.Fatal("acked with a bad signature")
	}
	good := http.Header{"X-Twilio-Signature": {twilioSign("tw-secret", u, form)}}
	if got := post(t, u, form, good); got != http.StatusOK {
		t.Fatalf("good signature got %d, want 200", got)
	}
	if got := a.got(); len(got) != 1 || got[0] != "4807 Grace" {
		t.Fatalf("got acks %q, want [4807 Grace]", got)
	}
	form.Set("From", "+256700999999")
	if got := post(t, u, form, http.Header{"X-Twilio-Signature": {twilioSign("tw-secret", u, form)}}); got != http.StatusOK {
		t.Fatalf("unknown number got %d, want 200", got)
	}
	if got := a.got(); len(got) != 1 {
		t.Fatalf("unknown number acked: %q", got)
	}
}

// When the engine acknowledges the alert (after an SMS ack, say), everyone
// told it fired hears who took it, except the one who did.
func TestAckTellsTheOthers(t *testing.T) {
	sms := &recorder{}
	h := newHarness(t, testConfig(), map[Channel]Sender{SMS: sms})
	h.contact(Contact{Name: "Grace", Phone: "+256772000111", Facilities: []string{"mulago"}})
	h.contact(Contact{Name: "Peter", Phone: "+256772000444", Facilities: []string{"mulago"}})
	tr := firing(7, "mulago", "psa-3", h.clock.Now())
	h.enqueue(tr)
	h.step()
	h.clock.Add(3 * time.Minute)
	h.enqueue(then(tr, plant.AlertAcknowledged, h.clock.Now(), "Grace"))
	h.step()
	got := sms.got()
	if len(got) != 3 {
		t.Fatalf("got %d SMS, want 2 firing and 1 acknowledged", len(got))
	}
	if got[2].To != "+256772000444" || !strings.HasPrefix(got[2].Text, "ACKED") || !strings.Contains(got[2].Text, "by Grace 02:17") {
		t.Errorf("got %+v, want Peter told Grace acknowledged at 02:17", got[2])
	}
}

func TestAckSeveralCodesInOneReply(t *testing.T) {
	h, a, u := inboundHarness(t, "in-secret", "")
	h.enqueue(firing(8, "mulago", "psa-4", h.clock.Now()))
	h.step()
	if got := post(t, u+"?token=in-secret", atReply("+256772000111", "Ack 4807, 4808 and 4899"), nil); got != 200 {
		t.Fatalf("got status %d", got)
	}
	if got := a.got(); len(got) != 2 || got[0] != "4807 Grace" || got[1] != "4808 Grace" {
		t.Errorf("got acks %q, want 4807 and 4808 by Grace", got)
	}
	if v := metric(t, h.reg, "oxywatch_notify_inbound_sms_total", "result=not_told"); v != 1 {
		t.Errorf("got not_told %v, want 1 (4899 was never sent)", v)
	}
}
