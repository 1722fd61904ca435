package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"errors"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/oxywatch/oxywatch/internal/i18n"
	"github.com/oxywatch/oxywatch/internal/plant"
)

// Acker acknowledges the open alert with an SMS ack code; the alerting
// engine implements it. by names who acknowledged.
type Acker interface {
	AckByCode(ctx context.Context, code, by string) (plant.Alert, error)
}

// AckerFunc adapts a function to Acker.
type AckerFunc func(ctx context.Context, code, by string) (plant.Alert, error)

// AckByCode calls f.
func (f AckerFunc) AckByCode(ctx context.Context, code, by string) (plant.Alert, error) {
	return f(ctx, code, by)
}

// ackText matches replies that start with an acknowledging word in any of
// our languages (ACK, OK, RECU, REÇU, CIENTE, ...; any case) and a code:
// "ACK 4821", "ack4821", "Reçu #4821", "ciente 4821 4822, 4830"; ackCode
// finds each code in them. Whoever was told may answer in any language.
var (
	ackText = regexp.MustCompile(`(?i)^\s*(?:` + strings.Join(i18n.ReplyKeywords(), "|") + `)\s*[.:!,]?\s*#?\s*[0-9]{3,8}\b`)
	ackCode = regexp.MustCompile(`\b[0-9]{3,8}\b`)
)

// maxCodes bounds the codes one reply may acknowledge.
const maxCodes = 20

// InboundSMS returns the webhook that providers post replies to, in Africa's
// Talking's shape (form fields from, text, to, id, date) or Twilio's (From,
// Body, MessageSid, with an X-Twilio-Signature header). A reply "ACK <code>"
// from the phone of a known contact who was sent that code acknowledges the
// alert through a, in the contact's name.
//
// Authentication, every check that is configured must pass and at least one
// must be configured, else every request is refused with 403:
//   - notify.sms.inbound_token: the URL must carry ?token=<value>
//     (register e.g. https://oxywatch.example/sms/inbound?token=... with the
//     provider; Africa's Talking signs nothing, so it needs this);
//   - notify.sms.twilio.auth_token, for requests in Twilio's shape or when
//     the provider is twilio: X-Twilio-Signature must be Twilio's HMAC-SHA1 of
//     the URL (notify.sms.twilio.inbound_url, or the request's own URL) and
//     the sorted form fields.
//
// Replies that authenticate but cannot ack (unknown number, no code, unknown
// code) get 200 so the provider does not retry them; the metric
// oxywatch_notify_inbound_sms_total{result} counts each outcome.
func (s *Service) InboundSMS(a Acker) http.Handler { return s.InboundSMSFrom(a, nil) }

// InboundSMSFrom is InboundSMS that first offers each authenticated SMS to
// devices (alarm modules, see DeviceSMS); what devices does not take is
// handled as a reply.
func (s *Service) InboundSMSFrom(a Acker, devices DeviceSMS) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		if err := r.ParseForm(); err != nil {
			s.m.inbound.WithLabelValues("bad_request").Inc()
			http.Error(w, "bad form body", http.StatusBadRequest)
			return
		}
		twilio := r.PostForm.Has("MessageSid") || r.Header.Get("X-Twilio-Signature") != ""
		if result := s.authInbound(r, twilio); result != "" {
			s.m.inbound.WithLabelValues(result).Inc()
			s.log.Warn("notify: inbound SMS refused", "reason", result, "remote", r.RemoteAddr)
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		from, text := r.PostForm.Get("from"), r.PostForm.Get("text")
		if twilio {
			from, text = r.PostForm.Get("From"), r.PostForm.Get("Body")
		}
		if devices != nil && s.inboundDevice(w, r, devices, normalisePhone(from), text) {
			return
		}
		for _, result := range s.inboundAck(r.Context(), a, normalisePhone(from), text) {
			s.m.inbound.WithLabelValues(result).Inc()
		}
		inboundOK(w, twilio)
	})
}

// inboundOK answers an inbound SMS the provider need not send again.
func inboundOK(w http.ResponseWriter, twilio bool) {
	if twilio {
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		_, _ = w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><Response></Response>`))
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}

// authInbound returns "" when r passes every configured check, else why not.
func (s *Service) authInbound(r *http.Request, twilio bool) string {
	checked := false
	if tok := s.cfg.SMS.InboundToken; tok != "" {
		if subtle.ConstantTimeCompare([]byte(r.URL.Query().Get("token")), []byte(tok)) != 1 {
			return "bad_token"
		}
		checked = true
	}
	if key := s.cfg.SMS.Twilio.AuthToken; key != "" && (twilio || s.cfg.SMS.Provider == "twilio") {
		if !twilioSignatureOK(key, s.inboundURL(r), r.PostForm, r.Header.Get("X-Twilio-Signature")) {
			return "bad_signature"
		}
		checked = true
	}
	if !checked {
		return "not_configured"
	}
	return ""
}

// inboundURL is the URL Twilio signed: the configured one, else the
// request's, with the scheme a proxy reports.
func (s *Service) inboundURL(r *http.Request) string {
	if u := s.cfg.SMS.Twilio.InboundURL; u != "" {
		return u
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p == "http" || p == "https" {
		scheme = p
	}
	return scheme + "://" + r.Host + r.URL.RequestURI()
}

// twilioSignatureOK checks Twilio's request signature: base64 of
// HMAC-SHA1(auth token, URL + each form key and its value, keys sorted).
func twilioSignatureOK(authToken, url string, form map[string][]string, sig string) bool {
	if sig == "" {
		return false
	}
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	m := hmac.New(sha1.New, []byte(authToken))
	m.Write([]byte(url))
	for _, k := range keys {
		for _, v := range form[k] {
			m.Write([]byte(k + v))
		}
	}
	want := base64.StdEncoding.EncodeToString(m.Sum(nil))
	return hmac.Equal([]byte(want), []byte(sig))
}

// inboundAck acts on one authenticated reply and returns the outcome for
// each code it carries.
func (s *Service) inboundAck(ctx context.Context, a Acker, from, text string) []string {
	c, err := s.contactByPhone(ctx, from)
	if errors.Is(err, ErrNotFound) {
		s.log.Warn("notify: SMS from an unknown number ignored", "from", maskPhone(from))
		return []string{"unknown_sender"}
	}
	if err != nil {
		s.log.Error("notify: inbound SMS", "err", err)
		return []string{"error"}
	}
	if !ackText.MatchString(text) {
		s.log.Info("notify: SMS reply is not an ack", "contact", c.ID)
		return []string{"not_ack"}
	}
	var results []string
	for _, code := range ackCode.FindAllString(text, maxCodes) {
		results = append(results, s.ackOne(ctx, a, c, code))
	}
	return results
}

// ackOne acknowledges the alert with code on behalf of contact c.
func (s *Service) ackOne(ctx context.Context, a Acker, c Contact, code string) string {
	told, err := s.wasTold(ctx, c.ID, code)
	if err != nil {
		s.log.Error("notify: inbound SMS", "err", err)
		return "error"
	}
	if !told {
		s.log.Warn("notify: ack for an alert the contact was not sent", "contact", c.ID, "code", code)
		return "not_told"
	}
	if a == nil {
		return "error"
	}
	alert, err := a.AckByCode(ctx, code, c.Name)
	if err != nil {
		s.log.Warn("notify: ack by SMS failed", "contact", c.ID, "code", code, "err", err)
		return "ack_failed"
	}
	s.log.Info("notify: alert acknowledged by SMS", "alert", alert.ID, "contact", c.ID)
	return "acked"
}

// wasTold reports whether the contact was sent (or is about to be sent) a
// message about the newest alert that carried code. Ack codes are short and
// reused once an alert closes; this keeps a known number from acknowledging
// alerts it never heard of by guessing.
func (s *Service) wasTold(ctx context.Context, contactID int64, code string) (bool, error) {
	var alertID int64
	err := s.db.QueryRowContext(ctx, `SELECT alert_id FROM notify_outbox WHERE ack_code = ?
		ORDER BY id DESC LIMIT 1`, code).Scan(&alertID)
	if err == sql.ErrNoRows {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	var n int
	err = s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM notify_outbox WHERE alert_id = ?
		AND contact_id = ? AND state IN ('pending', 'sent')`, alertID, contactID).Scan(&n)
	return n > 0, err
}

// normalisePhone turns what providers send ("+254 711 000111", "254711000111",
// "00254711000111") into E.164.
func normalisePhone(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '(' || r == ')' || r == '.' {
			return -1
		}
		return r
	}, strings.TrimSpace(s))
	switch {
	case strings.HasPrefix(s, "+"):
		return s
	case strings.HasPrefix(s, "00"):
		return "+" + s[2:]
	case s != "":
		return "+" + s
	}
	return s
}

// maskPhone keeps the last three digits of a number for logs.
func maskPhone(p string) string {
	if len(p) <= 3 {
		return "***"
	}
	return strings.Repeat("*", len(p)-3) + p[len(p)-3:]
}
