package ingest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/oxywatch/oxywatch/internal/plant"
)

// benchReading is a typical live reading from a PSA plant.
const benchReading = `{"ts":1763800000000,"seq":1042,"purity_pct":93.4,"pressure_bar":4.6,"flow_lpm":410,"runtime_h":12873.5,"state":"running","power":"mains","alarms":[]}`

// benchBacklog is what a device sends after a 100-minute outage.
func benchBacklog() []byte {
	var b strings.Builder
	b.WriteString("[")
	for i := range 100 {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"ts":%d,"seq":%d,"purity_pct":93.%d,"pressure_bar":4.6,"flow_lpm":410,"runtime_h":%g,"state":"running","power":"mains","alarms":["low_purity"]}`,
			1763800000000+int64(i)*60000, 1000+i, i%10, 12873.5+float64(i)/60)
	}
	b.WriteString("]")
	return []byte(b.String())
}

// decodeCandidates are the decoders compared for issue 12: the map decoder
// it replaced, encoding/json into a fixed struct (reflection, and without
// most of the checks, so a floor for that approach), and the streaming
// tokenizer now in use.
var decodeCandidates = []struct {
	name   string
	decode func(plant.DeviceID, []byte, time.Time) Decoded
}{
	{"v1-map", decodeTelemetryV1},
	{"v1-struct", decodeReflectStruct},
	{"jsontext", DecodeTelemetry},
}

func BenchmarkDecode(b *testing.B) {
	payloads := []struct {
		name     string
		payload  []byte
		readings int
	}{
		{"single", []byte(benchReading), 1},
		{"backlog100", benchBacklog(), 100},
	}
	for _, p := range payloads {
		for _, c := range decodeCandidates {
			b.Run(p.name+"/"+c.name, func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(p.payload)))
				cpu := cpuTime()
				for b.Loop() {
					if d := c.decode("psa-001", p.payload, testNow); len(d.Readings) != p.readings {
						b.Fatal(d.Rejected)
					}
				}
				reportPerReading(b, cpuTime()-cpu, p.readings)
			})
		}
	}
}

// reflectReading is the shape encoding/json would fill by reflection.
type reflectReading struct {
	TS       json.Number `json:"ts"`
	Seq      *int64      `json:"seq"`
	Purity   *float64    `json:"purity_pct"`
	Pressure *float64    `json:"pressure_bar"`
	Flow     *float64    `json:"flow_lpm"`
	Runtime  *float64    `json:"runtime_h"`
	State    string      `json:"state"`
	Power    string      `json:"power"`
	Alarms   []string    `json:"alarms"`
}

// decodeReflectStruct decodes only what the benchmark payloads hold, with
// none of the range, alias or duplicate checks: a lower bound for
// reflection-based decoding, not a decoder.
func decodeReflectStruct(dev plant.DeviceID, payload []byte, now time.Time) Decoded {
	var d Decoded
	var rs []reflectReading
	if payload[0] == '[' {
		if err := json.Unmarshal(payload, &rs); err != nil {
			d.reject(-1, ReasonNotJSON, err.Error())
			return d
		}
	} else {
		rs = make([]reflectReading, 1)
		if err := json.Unmarshal(payload, &rs[0]); err != nil {
			d.reject(-1, ReasonNotJSON, err.Error())
			return d
		}
	}
	for _, r := range rs {
		ms, _ := r.TS.Int64()
		d.Readings = append(d.Readings, plant.Reading{Device: dev, Time: time.UnixMilli(ms), Seq: r.Seq,
			Values: plant.Values{Purity: r.Purity, Pressure: r.Pressure, Flow: r.Flow, Runtime: r.Runtime},
			State:  plant.State(r.State), Power: plant.Power(r.Power), Alarms: r.Alarms})
	}
	return d
}

// nopBuffer takes anything and keeps nothing.
type nopBuffer struct{}

func (nopBuffer) Append(context.Context, []byte, int, time.Time) error { return nil }

// BenchmarkHandleMessage is the ingester's own cost per reading, from
// topic to line protocol handed to the buffer (the buffer's fsync is not
// counted), for a live reading and a backlog of 100.
func BenchmarkHandleMessage(b *testing.B) {
	for _, p := range []struct {
		name     string
		payload  []byte
		readings int
	}{{"single", []byte(benchReading), 1}, {"backlog100", benchBacklog(), 100}} {
		b.Run(p.name, func(b *testing.B) {
			h := newHarness(false)
			h.in.opts.Buffer = nopBuffer{}
			h.in.opts.Consumer = nil
			b.ReportAllocs()
			cpu := cpuTime()
			for b.Loop() {
				if err := h.in.HandleMessage(context.Background(), "o2/psa-001/telemetry", p.payload); err != nil {
					b.Fatal(err)
				}
			}
			reportPerReading(b, cpuTime()-cpu, p.readings)
		})
	}
}

// reportPerReading adds wall and CPU time per reading. On a shared machine
// the CPU time is the steadier figure: it does not count waiting for a core.
func reportPerReading(b *testing.B, cpu time.Duration, readings int) {
	n := float64(b.N * readings)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/reading")
	b.ReportMetric(float64(cpu.Nanoseconds())/n, "cpu-ns/reading")
}
