package report

import (
	"context"
	"fmt"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// benchTimelines makes, for each device asked for, a month of status
// intervals with changesPerDay changes a day, as the timeline store would
// hand them over batch by batch. With reuse it reuses its buffers from one
// batch to the next (the report keeps no interval), so the figures are the
// report's own; without, every batch is fresh garbage, as from a store.
type benchTimelines struct {
	changesPerDay int
	reuse         bool
	peakHeap      uint64
	bufs          [][]plant.StatusInterval
	intervals     int
}

var benchStatuses = []plant.Status{op, op, op, op, op, op, deg, down, op, maint, plant.StatusNoData, op, down}
var benchCauses = []string{"", "", "", "", "", "", "low_purity", "power:none", "", "state:maintenance", "", "", "alarm:compressor_fault"}

func (b *benchTimelines) Timelines(_ context.Context, ids []plant.DeviceID, from, to time.Time) (map[plant.DeviceID][]plant.StatusInterval, error) {
	b.notePeak()
	step := 24 * time.Hour / time.Duration(b.changesPerDay)
	n := int(to.Sub(from) / step)
	out := make(map[plant.DeviceID][]plant.StatusInterval, len(ids))
	if !b.reuse {
		b.bufs = b.bufs[:0]
	}
	for len(b.bufs) < len(ids) {
		b.bufs = append(b.bufs, make([]plant.StatusInterval, 0, n))
	}
	for d, id := range ids {
		ivs := b.bufs[d][:0]
		seed := uint32(d*7919 + 1)
		for i := range n {
			seed = seed*1664525 + 1013904223
			k := int(seed>>16) % len(benchStatuses)
			if k == 10 { // no telemetry: leave a gap
				continue
			}
			start := from.Add(time.Duration(i) * step)
			ivs = append(ivs, plant.StatusInterval{Device: id, Status: benchStatuses[k], Start: start, End: start.Add(step), Cause: benchCauses[k]})
		}
		out[id] = ivs
		b.bufs[d] = ivs
		b.intervals += len(ivs)
	}
	return out, nil
}

func (b *benchTimelines) notePeak() {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	b.peakHeap = max(b.peakHeap, m.HeapInuse)
}

func benchFleet(n int) *fakeRegistry {
	reg := &fakeRegistry{}
	for i := range n {
		fac := fmt.Sprintf("fac-%04d", i/10)
		reg.devices = append(reg.devices, plant.Device{
			ID: plant.DeviceID(fmt.Sprintf("dev-%05d", i)), Kind: plant.KindConcentrator, Facility: fac,
			Region: fmt.Sprintf("region-%02d", i%14), Country: "UG", RatedFlowLPM: 10,
		})
		if i%10 == 0 {
			reg.facilities = append(reg.facilities, plant.Facility{ID: fac, Name: "Facility " + fac, Beds: 50})
		}
	}
	return reg
}

// BenchmarkUptimeMonth10k is a month's uptime report for 10,000 devices with
// 20 status changes each a day (about 5.5 million intervals once the no_data
// gaps are left out), read from the timeline source in batches of 500 and
// grouped by facility and region. Targets: under 2 s and 500 MiB.
func BenchmarkUptimeMonth10k(b *testing.B) {
	b.Run("reused-buffers", func(b *testing.B) { benchUptimeMonth(b, true) })
	b.Run("fresh-slices", func(b *testing.B) { benchUptimeMonth(b, false) })
}

func benchUptimeMonth(b *testing.B, reuse bool) {
	reg := benchFleet(10000)
	p := Month(2026, time.November, kampala())
	src := &benchTimelines{changesPerDay: 20, reuse: reuse}
	r := New(reg, src, nil, Options{Loc: kampala(), Now: fixedNow(fixtureNow), BatchSize: 500, OutageListMin: time.Hour})
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		f, err := r.Fleet(context.Background(), p, nil)
		if err != nil {
			b.Fatal(err)
		}
		src.notePeak()
		if rep := f.Uptime(GroupFacility); len(rep.Items) != 1000 {
			b.Fatalf("got %d facilities", len(rep.Items))
		}
		f.Uptime(GroupRegion)
	}
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(float64(src.intervals)/float64(b.N), "intervals/op")
	b.ReportMetric(float64(src.peakHeap)/(1<<20), "peak-heap-MiB")
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		b.ReportMetric(float64(ru.Maxrss)/1024, "max-rss-MiB") // Linux: KiB, whole process
	}
}

// cpuTime is the process's user and system CPU time: on a shared machine it
// tells the work done apart from the time spent waiting for a core.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
