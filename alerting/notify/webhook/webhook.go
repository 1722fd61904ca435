// Package webhook POSTs alert transitions as JSON, signed so receivers can
// tell them from forgeries.
//
// Each request carries:
//
//	Content-Type: application/json
//	Idempotency-Key: <notify's stable key; a repeat after a crash has the same>
//	X-OxyWatch-Timestamp: <Unix seconds>
//	X-OxyWatch-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>
//
// Receivers recompute the HMAC over the timestamp, a dot and the raw body,
// compare in constant time (Verify does this), and may refuse old
// timestamps to stop replays.
package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/oxywatch/oxywatch/alerting/notify/internal/httpx"
)

// Header names.
const (
	SignatureHeader = "X-OxyWatch-Signature"
	TimestampHeader = "X-OxyWatch-Timestamp"
)

// Sender posts to one URL.
type Sender struct {
	URL    string
	Secret string
	Client *http.Client
	Now    func() time.Time // optional clock
}

// Send posts body, a JSON document, with key as its idempotency key.
func (s *Sender) Send(ctx context.Context, body []byte, key string) error {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	ts := strconv.FormatInt(now().Unix(), 10)
	h := http.Header{
		"Content-Type":    {"application/json"},
		"Idempotency-Key": {key},
		TimestampHeader:   {ts},
		SignatureHeader:   {Sign(s.Secret, ts, body)},
	}
	status, answer, err := httpx.Post(ctx, s.Client, "webhook", s.URL, h, body)
	if err != nil {
		return err
	}
	return httpx.Check("webhook", status, answer)
}

// Sign returns the X-OxyWatch-Signature value for a timestamp and body.
func Sign(secret, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify reports whether signature is right for timestamp and body.
func Verify(secret, timestamp, signature string, body []byte) bool {
	if !strings.HasPrefix(signature, "sha256=") {
		return false
	}
	return hmac.Equal([]byte(Sign(secret, timestamp, body)), []byte(signature))
}
