package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestCommitToProviderLatency measures, with a zero group window and the
// real workers, the time from the commit of a firing transition to the SMS
// request reaching a loopback provider. The publish→transition part belongs
// to ingest and alerting; this is notify's share of the 1 s target.
func TestCommitToProviderLatency(t *testing.T) {
	arrived := make(chan string, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Text string `json:"text"`
		}
		b, _ := io.ReadAll(r.Body)
		json.Unmarshal(b, &body)
		arrived <- body.Text
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	cfg := testConfig()
	cfg.PollInterval = time.Second // the default: latency must not hang on polling
	cfg.SMS.Provider, cfg.SMS.HTTP.URL = "http", srv.URL
	senders, err := SendersFromConfig(cfg, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, cfg, senders)
	h.s.now = time.Now
	h.contact(Contact{Name: "Grace", Phone: "+256772000111", Facilities: []string{"mulago"}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.s.Run(ctx) }()
	defer func() { cancel(); <-done }()

	const n = 100
	lat := make([]time.Duration, 0, n)
	for i := range n {
		device := fmt.Sprintf("psa-%03d", i)
		start := time.Now()
		h.enqueue(firing(int64(i+1), "mulago", device, start))
		text := wait(t, arrived, "the SMS request")
		lat = append(lat, time.Since(start))
		if !strings.Contains(text, device) {
			t.Fatalf("got %q, want the SMS about %s", text, device)
		}
	}
	slices.Sort(lat)
	p50, p99 := lat[n/2], lat[n*99/100-1]
	t.Logf("commit → provider over %d alerts: p50 %s, p99 %s, max %s", n, p50, p99, lat[n-1])
	if p99 >= time.Second {
		t.Errorf("got p99 %s, want under 1s", p99)
	}
}
