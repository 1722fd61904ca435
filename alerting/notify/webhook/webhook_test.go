package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestSendSignsBody(t *testing.T) {
	type req struct {
		method, ctype, ts, sig, idem string
		body                         []byte
	}
	got := make(chan req, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- req{r.Method, r.Header.Get("Content-Type"), r.Header.Get(TimestampHeader), r.Header.Get(SignatureHeader), r.Header.Get("Idempotency-Key"), b}
	}))
	defer srv.Close()
	s := &Sender{URL: srv.URL, Secret: "hook-secret", Now: func() time.Time { return time.Unix(1700000000, 0) }}
	body := []byte(`{"event":"firing"}`)
	if err := s.Send(context.Background(), body, "key-1"); err != nil {
		t.Fatal(err)
	}
	r := <-got
	if r.method != "POST" || r.ctype != "application/json" || r.idem != "key-1" || string(r.body) != string(body) {
		t.Errorf("got %s %q idem %q body %s", r.method, r.ctype, r.idem, r.body)
	}
	if r.ts != "1700000000" {
		t.Errorf("got timestamp %q, want 1700000000", r.ts)
	}
	// Computed here independently of Sign: HMAC-SHA256 over "ts.body".
	m := hmac.New(sha256.New, []byte("hook-secret"))
	m.Write([]byte("1700000000." + string(body)))
	want := "sha256=" + hex.EncodeToString(m.Sum(nil))
	if r.sig != want {
		t.Errorf("got signature %q, want %q", r.sig, want)
	}
	if !Verify("hook-secret", r.ts, r.sig, r.body) {
		t.Error("Verify refused a good signature")
	}
	if Verify("other", r.ts, r.sig, r.body) || Verify("hook-secret", "1700000001", r.sig, r.body) ||
		Verify("hook-secret", r.ts, r.sig, []byte(`{"event":"resolved"}`)) {
		t.Error("Verify accepted a wrong secret, timestamp or body")
	}
}

func TestSendStatus(t *testing.T) {
	for _, tc := range []struct {
		status   int
		wantErr  bool
		wantPerm bool
	}{{200, false, false}, {204, false, false}, {400, true, true}, {429, true, false}, {500, true, false}} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(tc.status) }))
		err := (&Sender{URL: srv.URL, Secret: "s"}).Send(context.Background(), []byte(`{}`), "k")
		srv.Close()
		p, _ := err.(interface{ Permanent() bool })
		if (err != nil) != tc.wantErr || (p != nil && p.Permanent()) != tc.wantPerm {
			t.Errorf("status %d: got err %v, want error %v permanent %v", tc.status, err, tc.wantErr, tc.wantPerm)
		}
	}
}
