//go:build unix

package store

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// BenchmarkAddUnknown1000 is the registry's cost of 1000 devices seen for
// the first time (after a regional outage, all at once): the CPU of the
// whole process per device, SQLite writes included, and the time the
// message handler spends in AddUnknown. insert-each is how it was before
// issue 12 (a SQLite insert per device, in the handler).
func BenchmarkAddUnknown1000(b *testing.B) {
	ids := make([]plant.DeviceID, 1000)
	for _, mode := range []string{"insert-each", "queued"} {
		b.Run(mode, func(b *testing.B) {
			db, err := OpenSQLite(b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			reg, err := OpenRegistry(b.Context(), db, nil)
			if err != nil {
				b.Fatal(err)
			}
			var hot time.Duration
			round := 0
			cpu := cpuTime()
			for b.Loop() {
				for i := range ids {
					ids[i] = plant.DeviceID(fmt.Sprintf("r%d-dev-%04d", round, i))
				}
				round++
				start := time.Now()
				for _, id := range ids {
					if mode == "queued" {
						reg.AddUnknown(id, start)
						continue
					}
					at := start.UTC().Format(time.RFC3339Nano)
					_, _ = db.Exec(`INSERT OR IGNORE INTO devices (id, kind, created_at, updated_at) VALUES (?, 'unknown', ?, ?)`, id, at, at)
				}
				hot += time.Since(start)
				if err := reg.Flush(b.Context()); err != nil {
					b.Fatal(err)
				}
			}
			n := float64(b.N * len(ids))
			b.ReportMetric(float64((cpuTime()-cpu).Nanoseconds())/n, "cpu-ns/device")
			b.ReportMetric(float64(hot.Nanoseconds())/n, "handler-ns/device")
		})
	}
}

// cpuTime is the CPU the process has used so far, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
