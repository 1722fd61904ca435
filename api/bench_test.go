package api

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// BenchmarkFleetOverview: GET /api/v1/devices over 10,000 devices from 50
// concurrent clients over real HTTP, while a writer feeds the live state at
// 5,000 readings/s. Reports p50 and p99 latency.
//
//	go test -run XXX -bench FleetOverview -benchtime 2000x ./api/
func BenchmarkFleetOverview(b *testing.B) {
	f := newFixture(b, func(o *Options) { o.Now = time.Now })
	ctx := context.Background()
	regions := []string{"north", "south", "east", "west", "central"}
	for i := range 10000 {
		id := plant.DeviceID(fmt.Sprintf("dev-%05d", i))
		d := plant.Device{ID: id, Kind: plant.KindConcentrator, Facility: fmt.Sprintf("f-%03d", i%300), Region: regions[i%5], Country: "UG", RatedFlowLPM: 10}
		if _, err := f.reg.Put(ctx, d); err != nil {
			b.Fatal(err)
		}
		f.reading(id, plant.StateRunning, 93)
	}
	srv := httptest.NewServer(f.h)
	defer srv.Close()

	stop := make(chan struct{})
	var ingest sync.WaitGroup
	ingest.Go(func() { feed(f, stop) })
	defer func() { close(stop); ingest.Wait() }()

	for _, path := range []string{"/api/v1/devices", "/api/v1/devices?limit=10000", "/api/v1/devices?region=north&limit=10000"} {
		b.Run(path, func(b *testing.B) { loadLoop(b, srv.URL+path, f.tok["viewer"], 50) })
	}
	b.Run("one client /api/v1/devices?limit=10000", func(b *testing.B) {
		loadLoop(b, srv.URL+"/api/v1/devices?limit=10000", f.tok["viewer"], 1)
	})
}

// feed records 5,000 readings/s across the fleet in 10 ms batches.
func feed(f *fixture, stop <-chan struct{}) {
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	n := 0
	for {
		select {
		case <-stop:
			return
		case now := <-t.C:
			for range 50 {
				id := plant.DeviceID(fmt.Sprintf("dev-%05d", n%10000))
				r := plant.Reading{Device: id, Time: now, State: plant.StateRunning, Values: plant.Values{Purity: plant.Float(93), Flow: plant.Float(5)}}
				f.fleet.Reading(&r, now)
				n++
			}
		}
	}
}

func loadLoop(b *testing.B, url, token string, clients int) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	lat := make([]time.Duration, 0, b.N)
	var mu sync.Mutex
	work := make(chan struct{}, b.N)
	for range b.N {
		work <- struct{}{}
	}
	close(work)
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for range work {
				req, _ := http.NewRequest("GET", url, nil)
				req.Header.Set("Authorization", "Bearer "+token)
				t0 := time.Now()
				res, err := client.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				d := time.Since(t0)
				if res.StatusCode != 200 {
					b.Errorf("got %d", res.StatusCode)
					return
				}
				mu.Lock()
				lat = append(lat, d)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	slices.Sort(lat)
	if len(lat) == 0 {
		return
	}
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "req/s")
}
