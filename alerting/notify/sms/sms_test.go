package sms

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

// captured is one request the fake provider received.
type captured struct {
	method, path, contentType, accept, apiKey, auth, idem string
	body                                                  []byte
}

// fakeProvider answers every request with status and body and keeps what
// it received.
func fakeProvider(t *testing.T, status int, answer string) (*httptest.Server, chan captured) {
	t.Helper()
	got := make(chan captured, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- captured{r.Method, r.URL.Path, r.Header.Get("Content-Type"), r.Header.Get("Accept"),
			r.Header.Get("apiKey"), r.Header.Get("Authorization"), r.Header.Get("Idempotency-Key"), b}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, answer)
	}))
	t.Cleanup(srv.Close)
	return srv, got
}

func form(t *testing.T, b []byte) url.Values {
	t.Helper()
	v, err := url.ParseQuery(string(b))
	if err != nil {
		t.Fatalf("body %q is not a form: %v", b, err)
	}
	return v
}

const atAccepted = `{"SMSMessageData":{"Message":"Sent to 1/1 Total Cost: KES 0.8000","Recipients":[{"statusCode":101,"number":"+254711000111","status":"Success","cost":"KES 0.8000","messageId":"ATPid_1"}]}}`

func TestAfricasTalkingRequest(t *testing.T) {
	srv, got := fakeProvider(t, http.StatusCreated, atAccepted)
	s := &AfricasTalking{BaseURL: srv.URL + "/", Username: "oxywatch", APIKey: "at-secret", From: "OXYWATCH", Client: srv.Client()}
	if err := s.Send(context.Background(), "+254711000111", "CRIT Mulago psa-3 down", "k1"); err != nil {
		t.Fatalf("Send: %v", err)
	}
	r := <-got
	if r.method != "POST" || r.path != "/version1/messaging" {
		t.Errorf("got %s %s, want POST /version1/messaging", r.method, r.path)
	}
	if r.contentType != "application/x-www-form-urlencoded" || r.accept != "application/json" {
		t.Errorf("got Content-Type %q Accept %q", r.contentType, r.accept)
	}
	if r.apiKey != "at-secret" || r.auth != "" {
		t.Errorf("got apiKey %q Authorization %q, want the key in apiKey only", r.apiKey, r.auth)
	}
	want := url.Values{"username": {"oxywatch"}, "to": {"+254711000111"}, "message": {"CRIT Mulago psa-3 down"}, "from": {"OXYWATCH"}}
	if f := form(t, r.body); !reflect.DeepEqual(f, want) {
		t.Errorf("got form %v, want %v", f, want)
	}
}

func TestTwilioRequest(t *testing.T) {
	srv, got := fakeProvider(t, http.StatusCreated, `{"sid":"SM1","status":"queued"}`)
	s := &Twilio{BaseURL: srv.URL, AccountSID: "AC123", AuthToken: "tw-secret", From: "+15005550006", Client: srv.Client()}
	if err := s.Send(context.Background(), "+256772000111", "hello", "k2"); err != nil {
		t.Fatalf("Send: %v", err)
	}
	r := <-got
	if r.method != "POST" || r.path != "/2010-04-01/Accounts/AC123/Messages.json" {
		t.Errorf("got %s %s, want POST /2010-04-01/Accounts/AC123/Messages.json", r.method, r.path)
	}
	req, _ := http.NewRequest("GET", "/", nil)
	req.Header.Set("Authorization", r.auth)
	if u, p, ok := req.BasicAuth(); !ok || u != "AC123" || p != "tw-secret" {
		t.Errorf("got basic auth %q %q %v, want AC123 and the token", u, p, ok)
	}
	want := url.Values{"To": {"+256772000111"}, "From": {"+15005550006"}, "Body": {"hello"}}
	if f := form(t, r.body); !reflect.DeepEqual(f, want) {
		t.Errorf("got form %v, want %v", f, want)
	}
}

func TestTwilioMessagingService(t *testing.T) {
	srv, got := fakeProvider(t, http.StatusCreated, `{"sid":"SM1"}`)
	s := &Twilio{BaseURL: srv.URL, AccountSID: "AC1", AuthToken: "x", From: "MG42", Client: srv.Client()}
	if err := s.Send(context.Background(), "+256772000111", "hi", "k"); err != nil {
		t.Fatal(err)
	}
	f := form(t, (<-got).body)
	if f.Get("MessagingServiceSid") != "MG42" || f.Has("From") {
		t.Errorf("got form %v, want MessagingServiceSid=MG42 and no From", f)
	}
}

func TestGatewayRequest(t *testing.T) {
	srv, got := fakeProvider(t, http.StatusAccepted, `{}`)
	s := &Gateway{URL: srv.URL + "/send", Token: "gw-secret", Client: srv.Client()}
	if err := s.Send(context.Background(), "+256772000111", "hello", "k3"); err != nil {
		t.Fatalf("Send: %v", err)
	}
	r := <-got
	if r.method != "POST" || r.path != "/send" || r.contentType != "application/json" {
		t.Errorf("got %s %s %s", r.method, r.path, r.contentType)
	}
	if r.auth != "Bearer gw-secret" || r.idem != "k3" {
		t.Errorf("got Authorization %q Idempotency-Key %q", r.auth, r.idem)
	}
	var body map[string]string
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"to": "+256772000111", "text": "hello", "idempotency_key": "k3"}
	if !reflect.DeepEqual(body, want) {
		t.Errorf("got body %v, want %v", body, want)
	}
}

type permanent interface{ Permanent() bool }

func isPermanent(err error) bool {
	var p permanent
	return errors.As(err, &p) && p.Permanent()
}

func TestProviderErrors(t *testing.T) {
	atStatus := func(code int, status string) string {
		return `{"SMSMessageData":{"Message":"x","Recipients":[{"statusCode":` + itoa(code) + `,"number":"+1","status":"` + status + `"}]}}`
	}
	cases := []struct {
		name     string
		status   int
		answer   string
		provider string
		wantErr  bool
		wantPerm bool
	}{
		{"at invalid number", 201, atStatus(403, "InvalidPhoneNumber"), "at", true, true},
		{"at no balance", 201, atStatus(405, "InsufficientBalance"), "at", true, false},
		{"at queued", 201, atStatus(102, "Queued"), "at", false, false},
		{"at no recipients", 201, `{"SMSMessageData":{"Message":"InvalidSenderId","Recipients":[]}}`, "at", true, false},
		{"at 500", 500, `oops`, "at", true, false},
		{"at 401", 401, `The supplied authentication is invalid`, "at", true, false},
		{"twilio bad number", 400, `{"code":21211,"message":"Invalid 'To' Phone Number","status":400}`, "twilio", true, true},
		{"twilio 429", 429, `{"code":20429,"message":"Too Many Requests"}`, "twilio", true, false},
		{"twilio 503", 503, ``, "twilio", true, false},
		{"gateway 422", 422, `{"error":"bad number"}`, "gw", true, true},
		{"gateway 502", 502, ``, "gw", true, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, _ := fakeProvider(t, tc.status, tc.answer)
			var err error
			switch tc.provider {
			case "at":
				err = (&AfricasTalking{BaseURL: srv.URL, Username: "u", APIKey: "k"}).Send(context.Background(), "+1555", "x", "k")
			case "twilio":
				err = (&Twilio{BaseURL: srv.URL, AccountSID: "AC", AuthToken: "t", From: "+1"}).Send(context.Background(), "+1555", "x", "k")
			default:
				err = (&Gateway{URL: srv.URL}).Send(context.Background(), "+1555", "x", "k")
			}
			if (err != nil) != tc.wantErr {
				t.Fatalf("got error %v, want error %v", err, tc.wantErr)
			}
			if got := isPermanent(err); got != tc.wantPerm {
				t.Errorf("got permanent %v, want %v (err %v)", got, tc.wantPerm, err)
			}
		})
	}
}

func TestErrorsCarryNoSecrets(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	u := srv.URL
	srv.Close() // connection refused from now on
	cases := map[string]func() error{
		"gateway": func() error {
			return (&Gateway{URL: u + "/send?key=gw-secret", Token: "tok-secret"}).Send(context.Background(), "+1555", "x", "k")
		},
		"twilio": func() error {
			return (&Twilio{BaseURL: u, AccountSID: "AC", AuthToken: "tw-secret", From: "+1"}).Send(context.Background(), "+1555", "x", "k")
		},
		"at": func() error {
			return (&AfricasTalking{BaseURL: u, Username: "u", APIKey: "at-secret"}).Send(context.Background(), "+1555", "x", "k")
		},
	}
	for name, send := range cases {
		err := send()
		if err == nil {
			t.Fatalf("%s: got no error from a closed server", name)
		}
		if strings.Contains(err.Error(), "secret") {
			t.Errorf("%s: error %q shows a secret", name, err)
		}
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
