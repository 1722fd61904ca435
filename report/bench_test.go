package report

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// benchTimelines makes, for each device asked for, a month of status
// intervals with changesPerDay changes a day, as the timeline store would
// hand them over batch by batch.
type benchTimelines struct {
	changesPerDay int
	peakHeap      uint64
}

var benchStatuses = []plant.Status{op, op, op, op, op, op, deg, down, op, maint, plant.StatusNoData, op, down}
var benchCauses = []string{"", "", "", "", "", "", "low_purity", "power:none", "", "state:maintenance", "", "", "alarm:compressor_fault"}

func (b *benchTimelines) Timelines(_ context.Context, ids []plant.DeviceID, from, to time.Time) (map[plant.DeviceID][]plant.StatusInterval, error) {
	b.notePeak()
	step := 24 * time.Hour / time.Duration(b.changesPerDay)
	n := int(to.Sub(from) / step)
	out := make(map[plant.DeviceID][]plant.StatusInterval, len(ids))
	for d, id := range ids {
		ivs := make([]plant.StatusInterval, 0, n)
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
// 20 status changes each a day (6 million intervals), read from the
// timeline source in batches of 500 and grouped by facility and region.
// Targets: under 2 s and 500 MiB.
func BenchmarkUptimeMonth10k(b *testing.B) {
	reg := benchFleet(10000)
	p := Month(2026, time.November, kampala())
	src := &benchTimelines{changesPerDay: 20}
	r := New(reg, src, nil, Options{Loc: kampala(), Now: fixedNow(fixtureNow), BatchSize: 500, OutageListMin: time.Hour})
	b.ReportAllocs()
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
	b.ReportMetric(float64(src.peakHeap)/(1<<20), "peak-heap-MiB")
}
