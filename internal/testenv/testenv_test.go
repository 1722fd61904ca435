package testenv

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestInfluxdStartsAndCounts(t *testing.T) {
	in := StartInfluxd(t, "probe")
	body := "m,device=a v=1 1700000000000\nm,device=a v=2 1700000001000\n"
	resp, err := http.Post(in.URL+"/write?db=probe&precision=ms", "text/plain", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("write: got %d, want 204", resp.StatusCode)
	}
	var n int
	Eventually(t, 10*time.Second, "2 points", func() bool {
		n, _ = in.Count(context.Background(), "probe", "m", "v")
		return n == 2
	})
}

func TestMosquittoRestarts(t *testing.T) {
	m := StartMosquitto(t, MosquittoOptions{})
	m.Stop()
	m.Start()
}
