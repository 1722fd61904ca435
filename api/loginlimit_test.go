package api

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// TestFailedLoginsAreRateLimitedPerAddress replays issue 13 finding 9: 300
// guessed tokens got 300 answers of 401. After maxAuthFailures failures in
// a minute an address gets 429 with Retry-After, for every token (a right
// guess included) until its allowance refills; other addresses are not
// affected. Failures are counted and the limit is logged once.
func TestFailedLoginsAreRateLimitedPerAddress(t *testing.T) {
	now := testNow
	reg := prometheus.NewRegistry()
	f := newFixture(t, func(o *Options) {
		o.Now = func() time.Time { return now }
		o.Gatherer = reg
	})
	from := func(addr, secret string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", "/api/v1/me", nil)
		req.RemoteAddr = addr
		req.Header.Set("Authorization", "Bearer "+secret)
		rec := httptest.NewRecorder()
		f.h.ServeHTTP(rec, req)
		return rec
	}
	const attacker, colleague = "198.51.100.7:40000", "203.0.113.9:50000"
	for i := range maxAuthFailures {
		if rec := from(attacker, "oxw_guess"+string(rune('a'+i))); rec.Code != http.StatusUnauthorized {
			t.Fatalf("guess %d: got %d, want 401", i+1, rec.Code)
		}
	}
	for _, secret := range []string{"oxw_guess-more", f.tok["viewer"]} {
		rec := from(attacker, secret)
		wantProblem(t, rec, http.StatusTooManyRequests)
		if ra := rec.Header().Get("Retry-After"); ra == "" || ra == "0" {
			t.Errorf("Retry-After: got %q, want seconds to wait", ra)
		}
	}
	if rec := from("198.51.100.7:40001", "oxw_guess-new-port"); rec.Code != http.StatusTooManyRequests {
		t.Errorf("another port of the same address: got %d, want 429", rec.Code)
	}
	if rec := from(colleague, f.tok["viewer"]); rec.Code != http.StatusOK {
		t.Errorf("another address: got %d, want 200", rec.Code)
	}
	if rec := from(colleague, "oxw_typo"); rec.Code != http.StatusUnauthorized {
		t.Errorf("one typo from another address: got %d, want 401", rec.Code)
	}
	if n := authFailures(t, reg, "invalid_token"); n != maxAuthFailures+1 {
		t.Errorf("invalid_token failures: got %v, want %d", n, maxAuthFailures+1)
	}
	if n := authFailures(t, reg, "rate_limited"); n != 3 {
		t.Errorf("rate_limited failures: got %v, want 3", n)
	}
	if c := strings.Count(f.logs.String(), "failed logins rate-limited"); c != 1 {
		t.Errorf("got %d log lines about the limit, want 1: %s", c, f.logs.String())
	}
	// The allowance refills: a minute later the address may try again.
	now = now.Add(time.Minute)
	if rec := from(attacker, f.tok["viewer"]); rec.Code != http.StatusOK {
		t.Errorf("a minute later: got %d, want 200", rec.Code)
	}
}

// authFailures reads the counter of one reason, failing when it is missing.
func authFailures(t *testing.T, reg *prometheus.Registry, reason string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "oxywatch_api_auth_failures_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "reason" && l.GetValue() == reason {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	t.Fatalf("no oxywatch_api_auth_failures_total{reason=%q}", reason)
	return 0
}
