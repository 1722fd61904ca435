// Package sms sends text messages through Africa's Talking, Twilio or a
// generic HTTP JSON gateway. Each sender returns nil only once the provider
// accepted the message; an error with a Permanent() method returning true
// means the provider refused it for good (a bad number, say).
//
// Every request carries an Idempotency-Key header with notify's stable key
// for the message. The generic gateway also gets it in the body and is
// expected to drop repeats; Africa's Talking and Twilio ignore it, so a crash
// in the instant between their acceptance and OxyWatch recording it can
// repeat one SMS.
package sms

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/oxywatch/oxywatch/alerting/notify/internal/httpx"
)

// AfricasTalking sends through Africa's Talking's bulk SMS API:
// POST {BaseURL}/version1/messaging, form body (username, to, message and
// from when set), the API key in the apiKey header.
type AfricasTalking struct {
	BaseURL  string // e.g. https://api.africastalking.com
	Username string
	APIKey   string
	From     string // sender id or short code; empty uses the account default
	Client   *http.Client
}

// atReply is the part of Africa's Talking's answer that says per recipient
// whether the message was taken.
type atReply struct {
	SMSMessageData struct {
		Message    string `json:"Message"`
		Recipients []struct {
			StatusCode int    `json:"statusCode"`
			Number     string `json:"number"`
			Status     string `json:"status"`
			MessageID  string `json:"messageId"`
		} `json:"Recipients"`
	} `json:"SMSMessageData"`
}

// Send sends one SMS.
func (a *AfricasTalking) Send(ctx context.Context, to, text, key string) error {
	form := url.Values{"username": {a.Username}, "to": {to}, "message": {text}}
	if a.From != "" {
		form.Set("from", a.From)
	}
	h := http.Header{
		"Content-Type":    {"application/x-www-form-urlencoded"},
		"Accept":          {"application/json"},
		"Apikey":          {a.APIKey},
		"Idempotency-Key": {key},
	}
	status, body, err := httpx.Post(ctx, a.Client, "africastalking", strings.TrimRight(a.BaseURL, "/")+"/version1/messaging", h, []byte(form.Encode()))
	if err != nil {
		return err
	}
	if err := httpx.Check("africastalking", status, body); err != nil {
		return err
	}
	return atResult(body)
}

// atResult reads the recipient's status: 100 Processed, 101 Sent and 102
// Queued are accepted; 403 InvalidPhoneNumber, 404 UnsupportedNumberType and
// 406 UserInBlacklist are refusals; anything else (risk hold, no balance,
// gateway errors) is retried.
func atResult(body []byte) error {
	var r atReply
	if err := json.Unmarshal(body, &r); err != nil {
		return fmt.Errorf("africastalking: answer is not JSON: %s", httpx.Snippet(body))
	}
	if len(r.SMSMessageData.Recipients) == 0 {
		return fmt.Errorf("africastalking: no recipient accepted: %s", r.SMSMessageData.Message)
	}
	rc := r.SMSMessageData.Recipients[0]
	switch rc.StatusCode {
	case 100, 101, 102:
		return nil
	case 403, 404, 406:
		return &httpx.StatusError{Provider: "africastalking", Status: rc.StatusCode, Body: rc.Status, Perm: true}
	}
	return &httpx.StatusError{Provider: "africastalking", Status: rc.StatusCode, Body: rc.Status}
}

// Twilio sends through Twilio's REST API:
// POST {BaseURL}/2010-04-01/Accounts/{AccountSID}/Messages.json with basic
// auth and a form body To, Body and From (or MessagingServiceSid when From
// starts with MG).
type Twilio struct {
	BaseURL    string // e.g. https://api.twilio.com
	AccountSID string
	AuthToken  string
	From       string
	Client     *http.Client
}

// twilioRefusals are Twilio error codes that retrying cannot fix: invalid or
// unreachable To number, opted out, not an SMS-capable number.
var twilioRefusals = map[int]bool{21211: true, 21214: true, 21408: true, 21610: true, 21612: true, 21614: true}

// Send sends one SMS.
func (t *Twilio) Send(ctx context.Context, to, text, key string) error {
	form := url.Values{"To": {to}, "Body": {text}}
	if strings.HasPrefix(t.From, "MG") {
		form.Set("MessagingServiceSid", t.From)
	} else {
		form.Set("From", t.From)
	}
	h := http.Header{
		"Content-Type":    {"application/x-www-form-urlencoded"},
		"Accept":          {"application/json"},
		"Authorization":   {basicAuth(t.AccountSID, t.AuthToken)},
		"Idempotency-Key": {key},
	}
	u := strings.TrimRight(t.BaseURL, "/") + "/2010-04-01/Accounts/" + url.PathEscape(t.AccountSID) + "/Messages.json"
	status, body, err := httpx.Post(ctx, t.Client, "twilio", u, h, []byte(form.Encode()))
	if err != nil {
		return err
	}
	err = httpx.Check("twilio", status, body)
	var se *httpx.StatusError
	if asStatus(err, &se) {
		var e struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		}
		if json.Unmarshal(body, &e) == nil && e.Code != 0 {
			se.Body = fmt.Sprintf("error %d: %s", e.Code, e.Message)
			se.Perm = se.Perm || twilioRefusals[e.Code]
		}
	}
	return err
}

// Gateway posts JSON {"to", "text", "idempotency_key"} to URL with the token,
// when set, as a bearer token. Any 2xx is acceptance.
type Gateway struct {
	URL    string
	Token  string
	Client *http.Client
}

// Send sends one SMS.
func (g *Gateway) Send(ctx context.Context, to, text, key string) error {
	body, err := json.Marshal(struct {
		To             string `json:"to"`
		Text           string `json:"text"`
		IdempotencyKey string `json:"idempotency_key"`
	}{to, text, key})
	if err != nil {
		return err
	}
	h := http.Header{"Content-Type": {"application/json"}, "Idempotency-Key": {key}}
	if g.Token != "" {
		h.Set("Authorization", "Bearer "+g.Token)
	}
	status, answer, err := httpx.Post(ctx, g.Client, "sms gateway", g.URL, h, body)
	if err != nil {
		return err
	}
	return httpx.Check("sms gateway", status, answer)
}
