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

// commitToProvider runs the real workers with a zero group window against a
// loopback SMS provider. The poll interval is an hour: a message that
// arrives was sent because the commit woke the workers.
func commitToProvider(tb testing.TB) (*harness, <-chan string) {
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
	tb.Cleanup(srv.Close)
	cfg := testConfig()
	cfg.PollInterval = time.Hour
	cfg.SMS.Provider, cfg.SMS.HTTP.URL = "http", srv.URL
	senders, err := SendersFromConfig(cfg, srv.Client())
	if err != nil {
		tb.Fatal(err)
	}
	h := newHarness(tb, cfg, senders)
	h.s.now = time.Now
	h.contact(Contact{Name: "Grace", Phone: "+256772000111", Facilities: []string{"mulago"}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.s.Run(ctx) }()
	tb.Cleanup(func() { cancel(); <-done })
	return h, arrived
}

// TestCommitWakesWorkers: each committed firing transition reaches the
// provider without waiting for a poll (the hook, not a timer, sends it).
func TestCommitWakesWorkers(t *testing.T) {
	h, arrived := commitToProvider(t)
	for i := range 5 {
		device := fmt.Sprintf("psa-%03d", i)
		h.enqueue(firing(int64(i+1), "mulago", device, time.Now()))
		if text := wait(t, arrived, "the SMS request"); !strings.Contains(text, device) {
			t.Fatalf("got %q, want the SMS about %s", text, device)
		}
	}
}

// BenchmarkCommitToProvider measures notify's share of the 1 s target: from
// the commit of a firing transition to the SMS request reaching the
// provider. It reports p50 and p99 (make bench).
func BenchmarkCommitToProvider(b *testing.B) {
	h, arrived := commitToProvider(b)
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		start := time.Now()
		h.enqueue(firing(int64(i+1), "mulago", fmt.Sprintf("psa-%06d", i), start))
		select {
		case <-arrived:
		case <-time.After(20 * time.Second):
			b.Fatal("gave up waiting for the SMS request")
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	reportPercentiles(b, lat)
}

// reportPercentiles adds p50 and p99 of the latencies to the benchmark's
// figures.
func reportPercentiles(b *testing.B, lat []time.Duration) {
	slices.Sort(lat)
	p := func(q float64) time.Duration { return lat[min(len(lat)-1, int(q*float64(len(lat))))] }
	b.ReportMetric(float64(p(0.50).Microseconds()), "p50-µs")
	b.ReportMetric(float64(p(0.99).Microseconds()), "p99-µs")
}
