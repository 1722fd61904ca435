package ingest

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"google.golang.org/protobuf/proto"

	"github.com/oxywatch/oxywatch/ingest/mapping"
	"github.com/oxywatch/oxywatch/ingest/sparkplug/sproto"
)

// benchDDATA is benchReading as a Sparkplug DDATA by alias (a live one), or
// n readings a minute apart as historical metrics (what an edge node sends
// after an outage).
func benchDDATA(n int) []byte {
	p := &sproto.Payload{Timestamp: proto.Uint64(1763800000000), Seq: proto.Uint64(1)}
	for i := range n {
		ts := proto.Uint64(1763800000000 + uint64(i)*60000)
		hist := proto.Bool(n > 1)
		dbl := func(alias uint64, v float64) *sproto.Payload_Metric {
			return &sproto.Payload_Metric{Alias: proto.Uint64(alias), Timestamp: ts, IsHistorical: hist,
				Datatype: proto.Uint32(uint32(sproto.DataType_Double)), Value: &sproto.Payload_Metric_DoubleValue{DoubleValue: v}}
		}
		str := func(alias uint64, v string) *sproto.Payload_Metric {
			return &sproto.Payload_Metric{Alias: proto.Uint64(alias), Timestamp: ts, IsHistorical: hist,
				Datatype: proto.Uint32(uint32(sproto.DataType_String)), Value: &sproto.Payload_Metric_StringValue{StringValue: v}}
		}
		p.Metrics = append(p.Metrics, dbl(1, 93.4), dbl(2, 4.6), dbl(3, 410), dbl(4, 12873.5+float64(i)/60), str(5, "running"), str(6, "mains"))
	}
	b, _ := proto.Marshal(p)
	return b
}

func benchBirths(b *testing.B, h *harness) {
	nb, _ := proto.Marshal(&sproto.Payload{Metrics: []*sproto.Payload_Metric{{Name: proto.String("bdSeq"), Value: &sproto.Payload_Metric_LongValue{LongValue: 0}}}})
	var ms []*sproto.Payload_Metric
	for i, name := range []string{"O2 Purity", "Outlet Pressure", "Flow", "Run Hours", "State", "Power Source"} {
		ms = append(ms, &sproto.Payload_Metric{Name: proto.String(name), Alias: proto.Uint64(uint64(i + 1)), IsNull: proto.Bool(true)})
	}
	db, _ := proto.Marshal(&sproto.Payload{Metrics: ms})
	for _, m := range []struct {
		topic   string
		payload []byte
	}{{"spBv1.0/bench/NBIRTH/gw", nb}, {"spBv1.0/bench/DBIRTH/gw/psa-001", db}} {
		if err := h.in.HandleMessage(context.Background(), m.topic, m.payload); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSparkplugVsJSON is the ingester's cost per reading, topic to
// line protocol handed to the buffer (no fsync), for the same readings as
// CONTRACT §3 JSON and as Sparkplug B DDATA by alias: one live reading a
// message, and 100 a message (a backlog; historical metrics).
func BenchmarkSparkplugVsJSON(b *testing.B) {
	cases := []struct {
		name, topic string
		payload     []byte
		readings    int
	}{
		{"json/single", "o2/psa-001/telemetry", []byte(benchReading), 1},
		{"sparkplug/single", "spBv1.0/bench/DDATA/gw/psa-001", benchDDATA(1), 1},
		{"json/backlog100", "o2/psa-001/telemetry", benchBacklog(), 100},
		{"sparkplug/backlog100", "spBv1.0/bench/DDATA/gw/psa-001", benchDDATA(100), 100},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			h, _ := newSparkplugHarness(b, mapping.Empty())
			h.in.opts.Buffer = nopBuffer{}
			h.in.opts.Consumer = nil
			h.in.opts.Now = func() time.Time { return testNow }
			benchBirths(b, h)
			b.ReportAllocs()
			cpu := cpuTime()
			for b.Loop() {
				if err := h.in.HandleMessage(context.Background(), c.topic, c.payload); err != nil {
					b.Fatal(err)
				}
			}
			reportPerReading(b, cpuTime()-cpu, c.readings)
			b.ReportMetric(float64(b.N*c.readings)/b.Elapsed().Seconds(), "readings/s")
			for _, r := range []Reason{ReasonUnknownAlias, ReasonNoValues, ReasonBadProtobuf} {
				if n := testutil.ToFloat64(h.in.m.rejected.WithLabelValues(string(r))); n != 0 {
					b.Fatalf("%v rejected as %s: the benchmark measures nothing", n, r)
				}
			}
		})
	}
}
