package ingest

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/oxywatch/oxywatch/internal/store"
)

// BenchmarkFirstReadings1000 is the cost of the first readings of 1000
// devices nobody registered, all at once as after a regional outage, with
// a real SQLite registry: the process's CPU per 1000 devices (issue 12's
// target: 0.5 s), SQLite writes included; 8 handlers at a time (a worker
// pool) or 1000 (a goroutine per message).
func BenchmarkFirstReadings1000(b *testing.B) {
	for _, handlers := range []int{8, 1000} {
		b.Run(fmt.Sprintf("handlers=%d", handlers), func(b *testing.B) { benchFirstReadings(b, handlers) })
	}
}

func benchFirstReadings(b *testing.B, handlers int) {
	db, err := store.OpenSQLite(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	reg, err := store.OpenRegistry(b.Context(), db, nil)
	if err != nil {
		b.Fatal(err)
	}
	in := New(Options{
		Buffer: nopBuffer{}, Directory: reg, Registerer: prometheus.NewRegistry(),
		Now: func() time.Time { return testNow }, Logger: slog.New(slog.DiscardHandler),
	})
	const devices = 1000
	topics := make([]string, devices)
	payload := []byte(benchReading)
	round := 0
	cpu := cpuTime()
	for b.Loop() {
		for i := range topics {
			topics[i] = fmt.Sprintf("o2/r%d-dev-%04d/telemetry", round, i)
		}
		round++
		var wg sync.WaitGroup
		for h := range handlers {
			wg.Go(func() {
				for i := h; i < devices; i += handlers {
					if err := in.HandleMessage(context.Background(), topics[i], payload); err != nil {
						b.Error(err)
					}
				}
			})
		}
		wg.Wait()
		if err := reg.Flush(b.Context()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/float64(b.N)/1000, "cpu-ms/1000-devices")
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM devices`).Scan(&n); err != nil || n != round*devices {
		b.Fatalf("%d devices in SQLite (%v), want %d", n, err, round*devices)
	}
}
