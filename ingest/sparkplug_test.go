package ingest

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"google.golang.org/protobuf/proto"

	"github.com/oxywatch/oxywatch/ingest/mapping"
	"github.com/oxywatch/oxywatch/ingest/sparkplug"
	"github.com/oxywatch/oxywatch/ingest/sparkplug/sproto"
	"github.com/oxywatch/oxywatch/internal/plant"
)

// spMetric is a metric for a test payload: name and/or alias, and a value
// (float64 → Double, bool → Boolean, string → String, int → Int64).
type spMetric struct {
	name  string
	alias uint64
	v     any
}

func spPayload(t testing.TB, ts time.Time, ms ...spMetric) []byte {
	t.Helper()
	p := &sproto.Payload{Timestamp: proto.Uint64(uint64(ts.UnixMilli())), Seq: proto.Uint64(0)}
	for _, m := range ms {
		pm := &sproto.Payload_Metric{}
		if m.name != "" {
			pm.Name = proto.String(m.name)
		}
		if m.alias != 0 {
			pm.Alias = proto.Uint64(m.alias)
		}
		switch v := m.v.(type) {
		case float64:
			pm.Datatype = proto.Uint32(uint32(sproto.DataType_Double))
			pm.Value = &sproto.Payload_Metric_DoubleValue{DoubleValue: v}
		case bool:
			pm.Datatype = proto.Uint32(uint32(sproto.DataType_Boolean))
			pm.Value = &sproto.Payload_Metric_BooleanValue{BooleanValue: v}
		case string:
			pm.Datatype = proto.Uint32(uint32(sproto.DataType_String))
			pm.Value = &sproto.Payload_Metric_StringValue{StringValue: v}
		case int:
			pm.Datatype = proto.Uint32(uint32(sproto.DataType_Int64))
			pm.Value = &sproto.Payload_Metric_LongValue{LongValue: uint64(v)}
		}
		p.Metrics = append(p.Metrics, pm)
	}
	b, err := proto.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// commands records the Sparkplug commands the ingester publishes.
type commands struct {
	mu     sync.Mutex
	topics []string
}

func (c *commands) publish(topic string, _ []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.topics = append(c.topics, topic)
	return nil
}

func newSparkplugHarness(t testing.TB, set *mapping.Set) (*harness, *commands) {
	h := newHarness(false)
	h.dir.known["zomba-psa-1"] = plant.Device{ID: "zomba-psa-1", Kind: plant.KindPSA, Model: "PSA-200 (Sparkplug)", Facility: "Zomba"}
	sp, err := sparkplug.New(sparkplug.Options{Mappings: set, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	cmds := &commands{}
	h.in = New(Options{
		Buffer: h.buf, Directory: h.dir, Consumer: h.rec, Fleet: NewFleet(),
		Registerer: prometheus.NewRegistry(), Now: func() time.Time { return testNow },
		Logger: slog.New(slog.DiscardHandler), Mappings: set, Sparkplug: sp, Command: cmds.publish,
	})
	return h, cmds
}

func TestSparkplugThroughHandleMessage(t *testing.T) {
	h, cmds := newSparkplugHarness(t, testMappings(t))
	ctx := context.Background()
	ts := testNow.Add(-time.Minute)
	send := func(topic string, payload []byte) {
		t.Helper()
		if err := h.in.HandleMessage(ctx, topic, payload); err != nil {
			t.Fatalf("%s: %v", topic, err)
		}
	}
	send("spBv1.0/zomba/NBIRTH/gw-psa", spPayload(t, ts, spMetric{"bdSeq", 0, 4}))
	send("spBv1.0/zomba/DBIRTH/gw-psa/PSA1", spPayload(t, ts,
		spMetric{"O2 Purity", 1, 94.0}, spMetric{"Outlet Pressure", 2, 480.0}, spMetric{"State", 3, "2"},
		spMetric{"Alarms/Sieve Bed", 4, false}))
	send("spBv1.0/zomba/DDATA/gw-psa/PSA1", spPayload(t, ts.Add(10*time.Second), spMetric{"", 1, 93.0}, spMetric{"", 4, true}))
	send("spBv1.0/zomba/DDATA/gw-psa/PSA1", []byte("\x0a\x05garbage")) // malformed, between good ones
	send("spBv1.0/zomba/DDATA/gw-psa/PSA1", spPayload(t, ts.Add(20*time.Second), spMetric{"", 1, 92.5}))
	if h.buf.lines != 3 {
		t.Fatalf("buffered %d lines, want 3 (DBIRTH and two DDATA)", h.buf.lines)
	}
	last := string(h.buf.data[1])
	for _, want := range []string{"device=zomba-psa-1", "facility=Zomba", "purity_pct=93", "pressure_bar=4.8", `state="running"`, "sieve_fault"} {
		if !strings.Contains(last, want) {
			t.Errorf("DDATA line %q lacks %s", last, want)
		}
	}
	if got := testutil.ToFloat64(h.in.m.rejected.WithLabelValues(string(ReasonBadProtobuf))); got != 1 {
		t.Errorf("rejected{bad_protobuf} = %v, want 1", got)
	}
	if st, _ := h.in.Fleet().Get("zomba-psa-1"); !strings.Contains(st.LastError, "bad_protobuf") {
		t.Errorf("last error %q, want bad_protobuf", st.LastError)
	}

	// DATA from a node whose BIRTH we never saw: rebirth asked once.
	send("spBv1.0/zomba/DDATA/gw-2/conc-7", spPayload(t, ts, spMetric{"", 1, 93.0}))
	send("spBv1.0/zomba/DDATA/gw-2/conc-7", spPayload(t, ts, spMetric{"", 1, 93.0}))
	if len(cmds.topics) != 1 || cmds.topics[0] != "spBv1.0/zomba/NCMD/gw-2" {
		t.Errorf("commands %v, want one rebirth to spBv1.0/zomba/NCMD/gw-2", cmds.topics)
	}
	if got := testutil.ToFloat64(h.in.m.sparkplug.WithLabelValues("REBIRTH_SENT")); got != 1 {
		t.Errorf("REBIRTH_SENT = %v, want 1", got)
	}

	send("spBv1.0/zomba/NDEATH/gw-psa", spPayload(t, ts, spMetric{"bdSeq", 0, 4}))
	if st, _ := h.in.Fleet().Get("zomba-psa-1"); st.Connectivity != plant.Offline {
		t.Errorf("after NDEATH zomba-psa-1 is %q, want offline", st.Connectivity)
	}
	var offline int
	for _, s := range h.rec.statuses {
		if s.Device == "zomba-psa-1" && s.State == plant.Offline {
			offline++
		}
	}
	if offline != 1 {
		t.Errorf("consumer saw %d offline statuses of zomba-psa-1, want 1: %+v", offline, h.rec.statuses)
	}
}

func TestSparkplugBirthNotKeptIsNotAcknowledged(t *testing.T) {
	h, _ := newSparkplugHarness(t, mapping.Empty())
	h.buf.fail = errBufferFull
	err := h.in.HandleMessage(context.Background(), "spBv1.0/g/DBIRTH/e/d1", spPayload(t, testNow, spMetric{"O2 Purity", 1, 94.0}))
	if err == nil {
		t.Fatal("a DBIRTH whose reading could not be made durable was taken as done")
	}
}

var errBufferFull = &bufferError{}

type bufferError struct{}

func (*bufferError) Error() string { return "disk full" }

// A metric's unit from its BIRTH properties (engUnit) is converted; a unit
// OxyWatch cannot convert keeps the value out rather than stored wrong; a
// unit the mapping file gives wins.
func TestSparkplugEngineeringUnits(t *testing.T) {
	h, _ := newSparkplugHarness(t, testMappings(t))
	withUnit := func(name string, alias uint64, v float64, unit string) *sproto.Payload_Metric {
		return &sproto.Payload_Metric{Name: proto.String(name), Alias: proto.Uint64(alias),
			Datatype: proto.Uint32(uint32(sproto.DataType_Double)), Value: &sproto.Payload_Metric_DoubleValue{DoubleValue: v},
			Properties: &sproto.Payload_PropertySet{Keys: []string{"engUnit"}, Values: []*sproto.Payload_PropertyValue{
				{Type: proto.Uint32(uint32(sproto.DataType_String)), Value: &sproto.Payload_PropertyValue_StringValue{StringValue: unit}}}}}
	}
	ts := testNow.Add(-time.Minute)
	birth := func(dev string) []byte {
		pressureUnit := "kPa"
		if dev == "PSA1" {
			pressureUnit = "bar" // wrong, and overruled by the mapping file's kPa
		}
		b, _ := proto.Marshal(&sproto.Payload{Timestamp: proto.Uint64(uint64(ts.UnixMilli())), Metrics: []*sproto.Payload_Metric{
			withUnit("O2 Purity", 1, 0.94, "fraction"), withUnit("Outlet Pressure", 2, 480, pressureUnit),
			withUnit("Flow", 3, 30, "m3/h"), withUnit("Temperature", 4, 100, "°F")}})
		return b
	}
	for _, m := range []struct {
		topic   string
		payload []byte
	}{
		{"spBv1.0/zomba/NBIRTH/gw-psa", spPayload(t, ts, spMetric{"bdSeq", 0, 1})},
		{"spBv1.0/zomba/DBIRTH/gw-psa/psa-9", birth("psa-9")},
		{"spBv1.0/zomba/DBIRTH/gw-psa/PSA1", birth("PSA1")}, // model PSA-200: its file says Outlet Pressure is in kPa
	} {
		if err := h.in.HandleMessage(context.Background(), m.topic, m.payload); err != nil {
			t.Fatal(err)
		}
	}
	if h.buf.lines != 2 {
		t.Fatalf("buffered %d lines, want 2", h.buf.lines)
	}
	for i, want := range []string{"purity_pct=94,pressure_bar=4.8,flow_lpm=500", "purity_pct=94,pressure_bar=4.8,flow_lpm=500"} {
		line := string(h.buf.data[i])
		if !strings.Contains(line, want) || strings.Contains(line, "temp_c") {
			t.Errorf("line %d %q: want %s and no temp_c (°F is not converted)", i, line, want)
		}
	}
	if got := testutil.ToFloat64(h.in.m.unknownKeys); got != 2 {
		t.Errorf("unknown keys %v, want 2 (Temperature [°F] twice)", got)
	}
}
