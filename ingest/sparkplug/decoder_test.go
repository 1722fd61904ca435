package sparkplug

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/oxywatch/oxywatch/ingest/sparkplug/sproto"
	"github.com/oxywatch/oxywatch/internal/plant"
)

var t0 = time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)

// metric builds one metric; name "" leaves the name out, alias 0 the alias.
func metric(name string, alias uint64, typ sproto.DataType, v any) *sproto.Payload_Metric {
	m := &sproto.Payload_Metric{Datatype: proto.Uint32(uint32(typ))}
	if name != "" {
		m.Name = proto.String(name)
	}
	if alias != 0 {
		m.Alias = proto.Uint64(alias)
	}
	switch x := v.(type) {
	case float64:
		m.Value = &sproto.Payload_Metric_DoubleValue{DoubleValue: x}
	case float32:
		m.Value = &sproto.Payload_Metric_FloatValue{FloatValue: x}
	case int:
		if typ == sproto.DataType_Int64 || typ == sproto.DataType_UInt64 {
			m.Value = &sproto.Payload_Metric_LongValue{LongValue: uint64(x)}
		} else {
			m.Value = &sproto.Payload_Metric_IntValue{IntValue: uint32(int32(x))}
		}
	case bool:
		m.Value = &sproto.Payload_Metric_BooleanValue{BooleanValue: x}
	case string:
		m.Value = &sproto.Payload_Metric_StringValue{StringValue: x}
	}
	return m
}

func payload(t testing.TB, ts time.Time, ms ...*sproto.Payload_Metric) []byte {
	t.Helper()
	b, err := proto.Marshal(&sproto.Payload{Timestamp: proto.Uint64(uint64(ts.UnixMilli())), Seq: proto.Uint64(0), Metrics: ms})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func nbirth(t testing.TB, bd int) []byte {
	return payload(t, t0, metric("bdSeq", 0, sproto.DataType_Int64, bd), metric("Node Control/Rebirth", 0, sproto.DataType_Boolean, false))
}

func dbirth(t testing.TB) []byte {
	return payload(t, t0,
		metric("O2 Purity", 1, sproto.DataType_Float, float32(93.5)),
		metric("Outlet Pressure", 2, sproto.DataType_Double, 4.8),
		metric("Flow", 3, sproto.DataType_Double, 410.0),
		metric("State", 4, sproto.DataType_String, "running"),
		metric("Alarms/Low Purity", 5, sproto.DataType_Boolean, false),
		metric("Run Hours", 6, sproto.DataType_UInt32, 1200),
	)
}

// readings decodes a Data's JSON into generic objects.
func readings(t *testing.T, d Data) []map[string]any {
	t.Helper()
	var one map[string]any
	if json.Unmarshal(d.JSON, &one) == nil {
		return []map[string]any{one}
	}
	var many []map[string]any
	if err := json.Unmarshal(d.JSON, &many); err != nil {
		t.Fatalf("data %s is not JSON: %v", d.JSON, err)
	}
	return many
}

func TestBirthThenDataWithAliases(t *testing.T) {
	d, _ := New(Options{})
	if r := d.Handle("spBv1.0/plants/NBIRTH/gw1", nbirth(t, 3), t0); len(r.Problems) > 0 || r.Rebirth != nil || len(r.Data) != 0 {
		t.Fatalf("NBIRTH: %+v", r)
	}
	r := d.Handle("spBv1.0/plants/DBIRTH/gw1/psa-1", dbirth(t), t0)
	if len(r.Data) != 1 || r.Data[0].Device != "psa-1" || !slices.Equal(r.Online, []plant.DeviceID{"psa-1"}) {
		t.Fatalf("DBIRTH: %+v", r)
	}
	// DDATA by alias only; purity changed, the rest is held.
	ts := t0.Add(time.Minute)
	r = d.Handle("spBv1.0/plants/DDATA/gw1/psa-1", payload(t, ts,
		metric("", 1, sproto.DataType_Float, float32(91.25)),
		metric("", 5, sproto.DataType_Boolean, true)), ts)
	if len(r.Problems) > 0 || r.Rebirth != nil || len(r.Data) != 1 {
		t.Fatalf("DDATA: %+v", r)
	}
	got := readings(t, r.Data[0])
	want := map[string]any{"ts": float64(ts.UnixMilli()), "O2 Purity": 91.25, "Outlet Pressure": 4.8, "Flow": 410.0,
		"State": "running", "Alarms/Low Purity": true, "Run Hours": 1200.0}
	if len(got) != 1 || !mapsEqual(got[0], want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func mapsEqual(a, b map[string]any) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestDataBeforeBirthAsksForRebirthOncePerPeriod(t *testing.T) {
	d, _ := New(Options{})
	data := payload(t, t0, metric("", 1, sproto.DataType_Double, 93.0))
	r := d.Handle("spBv1.0/plants/DDATA/gw1/psa-1", data, t0)
	if r.Rebirth == nil || r.Rebirth.Topic != "spBv1.0/plants/NCMD/gw1" {
		t.Fatalf("got rebirth %+v, want an NCMD to spBv1.0/plants/NCMD/gw1", r.Rebirth)
	}
	if len(r.Problems) != 1 || r.Problems[0].Reason != ReasonUnknownAlias {
		t.Fatalf("got problems %+v, want one %s", r.Problems, ReasonUnknownAlias)
	}
	var cmd sproto.Payload
	if err := proto.Unmarshal(r.Rebirth.Payload, &cmd); err != nil || cmd.GetMetrics()[0].GetName() != "Node Control/Rebirth" || !cmd.GetMetrics()[0].GetBooleanValue() {
		t.Fatalf("rebirth payload %v (%v) is not Node Control/Rebirth = true", &cmd, err)
	}
	if r := d.Handle("spBv1.0/plants/DDATA/gw1/psa-1", data, t0.Add(time.Second)); r.Rebirth != nil || r.RebirthWhy == "" {
		t.Fatalf("a second rebirth within %s: %+v", RebirthEvery, r)
	}
	if r := d.Handle("spBv1.0/plants/DDATA/gw1/psa-1", data, t0.Add(RebirthEvery)); r.Rebirth == nil {
		t.Fatalf("no rebirth after %s", RebirthEvery)
	}
}

func TestDeathsMakeDevicesOffline(t *testing.T) {
	d, _ := New(Options{})
	d.Handle("spBv1.0/plants/NBIRTH/gw1", nbirth(t, 7), t0)
	d.Handle("spBv1.0/plants/DBIRTH/gw1/psa-1", dbirth(t), t0)
	d.Handle("spBv1.0/plants/DBIRTH/gw1/psa-2", dbirth(t), t0)
	if r := d.Handle("spBv1.0/plants/DDEATH/gw1/psa-2", payload(t, t0), t0); !slices.Equal(r.Offline, []plant.DeviceID{"psa-2"}) {
		t.Fatalf("DDEATH: offline %v, want psa-2", r.Offline)
	}
	// The will of an earlier session changes nothing.
	if r := d.Handle("spBv1.0/plants/NDEATH/gw1", payload(t, t0, metric("bdSeq", 0, sproto.DataType_Int64, 6)), t0); len(r.Offline) != 0 {
		t.Fatalf("stale NDEATH: offline %v, want none", r.Offline)
	}
	r := d.Handle("spBv1.0/plants/NDEATH/gw1", payload(t, t0, metric("bdSeq", 0, sproto.DataType_Int64, 7)), t0)
	if !slices.Equal(r.Offline, []plant.DeviceID{"psa-1"}) {
		t.Fatalf("NDEATH: offline %v, want psa-1", r.Offline)
	}
	if r := d.Handle("spBv1.0/plants/DDATA/gw1/psa-1", payload(t, t0, metric("", 1, sproto.DataType_Float, float32(90))), t0); r.Rebirth == nil {
		t.Fatalf("DDATA after NDEATH did not ask for rebirth")
	}
}

func TestMalformedIsNamedNeverPanics(t *testing.T) {
	d, _ := New(Options{})
	cases := []struct{ topic, payload, reason string }{
		{"spBv1.0/plants/DDATA/gw1/psa-1", "\x0a\xff\xff", ReasonBadProtobuf},
		{"spBv1.0/plants/DDATA/gw1/psa-1", "{\"purity_pct\":93}", ReasonBadProtobuf},
		{"spBv1.0/plants/DDATA/gw1", "", ReasonBadTopic},
		{"spBv1.0/plants/XDATA/gw1", "", ReasonBadTopic},
		{"spBv1.0/plants/DDATA/gw1/psa$1", "", ReasonBadDeviceID},
		{"spBv1.0/plants/DDATA/gw1/psa-1", strings.Repeat("x", MaxPayloadBytes+1), ReasonTooBig},
	}
	for _, c := range cases {
		r := d.Handle(c.topic, []byte(c.payload), t0)
		if len(r.Problems) != 1 || r.Problems[0].Reason != c.reason || len(r.Data) != 0 {
			t.Errorf("%s %q: got %+v, want one problem %s", c.topic, c.payload, r.Problems, c.reason)
		}
	}
	nan := payload(t, t0, metric("O2 Purity", 0, sproto.DataType_Double, float64NaN()), metric("Flow", 0, sproto.DataType_Double, 10.0))
	r := d.Handle("spBv1.0/plants/DDATA/gw1/psa-9", nan, t0)
	if len(r.Problems) == 0 || r.Problems[0].Reason != ReasonNonFinite || len(r.Data) != 1 {
		t.Errorf("NaN metric: got %+v, want a non_finite problem and the flow kept", r)
	}
}

func float64NaN() float64 { z := 0.0; return z / z }

func TestSignedIntegersAndHistoricalMetrics(t *testing.T) {
	d, _ := New(Options{})
	d.Handle("spBv1.0/g/NBIRTH/e", nbirth(t, 0), t0)
	d.Handle("spBv1.0/g/DBIRTH/e/d", payload(t, t0, metric("Temperature", 1, sproto.DataType_Int16, -5), metric("Flow", 2, sproto.DataType_Double, 1.0)), t0)
	hist := metric("", 2, sproto.DataType_Double, 7.0)
	hist.IsHistorical = proto.Bool(true)
	hist.Timestamp = proto.Uint64(uint64(t0.Add(-time.Hour).UnixMilli()))
	r := d.Handle("spBv1.0/g/DDATA/e/d", payload(t, t0.Add(time.Minute), hist, metric("", 1, sproto.DataType_Int16, -7)), t0)
	rs := readings(t, r.Data[0])
	if len(rs) != 2 {
		t.Fatalf("got %v, want a historical reading and a live one", rs)
	}
	if rs[0]["Flow"] != 7.0 || rs[0]["Temperature"] != nil {
		t.Errorf("historical reading %v, want Flow 7 alone", rs[0])
	}
	if rs[1]["Temperature"] != -7.0 || rs[1]["Flow"] != 1.0 {
		t.Errorf("live reading %v, want Temperature -7 and Flow held at 1", rs[1])
	}
}

func TestSessionsSurviveARestart(t *testing.T) {
	dir := t.TempDir()
	d, err := New(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	d.Handle("spBv1.0/plants/NBIRTH/gw1", nbirth(t, 1), t0)
	d.Handle("spBv1.0/plants/DBIRTH/gw1/psa-1", dbirth(t), t0)
	// a torn write at the end of another node's file is dropped
	d.Handle("spBv1.0/plants/NBIRTH/gw2", nbirth(t, 1), t0)
	f := sessionFile(dir, Topic{Group: "plants", Edge: "gw2"})
	b, _ := os.ReadFile(f)
	if err := os.WriteFile(f, append(b, 0x05, 0x80), 0o600); err != nil {
		t.Fatal(err)
	}
	d2, err := New(Options{Dir: dir})
	if err == nil || !strings.Contains(err.Error(), "torn") {
		t.Errorf("restore: got %v, want the torn record named", err)
	}
	r := d2.Handle("spBv1.0/plants/DDATA/gw1/psa-1", payload(t, t0, metric("", 1, sproto.DataType_Float, float32(92))), t0)
	if len(r.Problems) > 0 || r.Rebirth != nil || len(r.Data) != 1 {
		t.Fatalf("DDATA after restart: %+v", r)
	}
	d2.Handle("spBv1.0/plants/NDEATH/gw1", payload(t, t0, metric("bdSeq", 0, sproto.DataType_Int64, 1)), t0)
	if _, err := os.Stat(sessionFile(dir, Topic{Group: "plants", Edge: "gw1"})); !os.IsNotExist(err) {
		t.Errorf("session file after NDEATH: %v, want removed", err)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "*.births")); len(m) != 1 {
		t.Errorf("got session files %v, want gw2's only", m)
	}
}

func TestTopics(t *testing.T) {
	for _, c := range []struct {
		topic string
		ok    bool
	}{
		{"spBv1.0/g/NBIRTH/e", true}, {"spBv1.0/g/DDATA/e/d", true}, {"spBv1.0/STATE/host", true},
		{"spBv1.0/g/NBIRTH/e/d", false}, {"spBv1.0/g/DDATA/e", false}, {"spBv1.0/g//e", false},
		{"spBv1.0/+/NDATA/e", false}, {"spBv1.0/g/NDATA/e/d/x", false}, {"spAv1.0/g/NDATA/e", false},
	} {
		if _, err := ParseTopic(c.topic); (err == nil) != c.ok {
			t.Errorf("%s: got error %v, want ok %v", c.topic, err, c.ok)
		}
	}
	if !IsTopic("spBv1.0/g/NDATA/e") || IsTopic("spBv1.0x/a") || IsTopic("o2/x/telemetry") {
		t.Error("IsTopic")
	}
}

// FuzzHandle feeds any bytes on every message type to one decoder: it must
// never panic, and whatever it turns into readings must be valid JSON.
func FuzzHandle(f *testing.F) {
	f.Add(uint8(0), nbirth(f, 1))
	f.Add(uint8(1), dbirth(f))
	f.Add(uint8(2), payload(f, t0, metric("", 1, sproto.DataType_Float, float32(91))))
	f.Add(uint8(2), payload(f, t0, metric("O2 Purity", 0, sproto.DataType_Int8, 200), metric("x", 9, sproto.DataType_Template, nil)))
	f.Add(uint8(3), payload(f, t0, metric("bdSeq", 0, sproto.DataType_Int64, 1)))
	f.Add(uint8(2), []byte("\x12\x04\x0a\x02\xff\xfe"))
	topics := []string{"spBv1.0/g/NBIRTH/e", "spBv1.0/g/DBIRTH/e/d", "spBv1.0/g/DDATA/e/d", "spBv1.0/g/NDEATH/e", "spBv1.0/g/NDATA/e", "spBv1.0/g/DDEATH/e/d"}
	d, _ := New(Options{})
	f.Fuzz(func(t *testing.T, which uint8, b []byte) {
		r := d.Handle(topics[int(which)%len(topics)], b, t0)
		for _, data := range r.Data {
			if !json.Valid(data.JSON) {
				t.Fatalf("data %q is not valid JSON", data.JSON)
			}
		}
	})
}

// A device that keeps dying and being born again does not grow its node's
// session file without end: past the limit it is rewritten with the
// current BIRTHs, which still restore every alias.
func TestSessionFileIsCompacted(t *testing.T) {
	defer func(old int64) { maxSessionFile = old }(maxSessionFile)
	maxSessionFile = 2048
	dir := t.TempDir()
	d, _ := New(Options{Dir: dir})
	d.Handle("spBv1.0/plants/NBIRTH/gw1", nbirth(t, 1), t0)
	d.Handle("spBv1.0/plants/DBIRTH/gw1/psa-2", dbirth(t), t0)
	for range 100 {
		d.Handle("spBv1.0/plants/DDEATH/gw1/psa-1", payload(t, t0), t0)
		d.Handle("spBv1.0/plants/DBIRTH/gw1/psa-1", dbirth(t), t0)
	}
	st, err := os.Stat(sessionFile(dir, Topic{Group: "plants", Edge: "gw1"}))
	if err != nil || st.Size() > maxSessionFile+int64(len(dbirth(t)))+64 {
		t.Fatalf("session file %v (%v), want at most about %d bytes", st.Size(), err, maxSessionFile)
	}
	d2, err := New(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	for _, dev := range []string{"psa-1", "psa-2"} {
		r := d2.Handle("spBv1.0/plants/DDATA/gw1/"+dev, payload(t, t0, metric("", 1, sproto.DataType_Float, float32(92))), t0)
		if len(r.Problems) > 0 || r.Rebirth != nil || len(r.Data) != 1 {
			t.Errorf("%s after restart: %+v", dev, r)
		}
	}
}

// A message cannot make unbounded output: every reading repeats the last
// known value of every metric, so many timestamps times many metrics are
// cut into pieces the ingest decoder takes, up to a total; more timestamps
// than a backlog may hold are refused.
func TestOutputIsBounded(t *testing.T) {
	d, _ := New(Options{})
	d.Handle("spBv1.0/g/NBIRTH/e", nbirth(t, 0), t0)
	var decl []*sproto.Payload_Metric
	for i := range 1200 {
		decl = append(decl, metric(fmt.Sprintf("Register %04d with a long descriptive name", i), uint64(i+1), sproto.DataType_Double, 1.5))
	}
	r := d.Handle("spBv1.0/g/DBIRTH/e/d", payload(t, t0, decl...), t0)
	if len(r.Problems) != 1 || r.Problems[0].Reason != ReasonTooBig {
		t.Errorf("DBIRTH of 1200 metrics: problems %v, want one too_big (limit %d)", r.Problems, maxMetrics)
	}
	var many []*sproto.Payload_Metric
	for i := range 900 {
		m := metric("", uint64(i%5+1), sproto.DataType_Double, float64(i))
		m.Timestamp = proto.Uint64(uint64(t0.Add(time.Duration(i) * time.Second).UnixMilli()))
		many = append(many, m)
	}
	r = d.Handle("spBv1.0/g/DDATA/e/d", payload(t, t0, many...), t0)
	total := 0
	for _, data := range r.Data {
		if len(data.JSON) > maxPieceBytes || !json.Valid(data.JSON) {
			t.Fatalf("a piece of %d bytes (limit %d), valid %v", len(data.JSON), maxPieceBytes, json.Valid(data.JSON))
		}
		total += len(data.JSON)
	}
	if total > maxOutBytes+maxPieceBytes || len(r.Problems) != 1 || r.Problems[0].Reason != ReasonTooBig {
		t.Errorf("output %d bytes in %d pieces, problems %v; want at most about %d and one too_big", total, len(r.Data), r.Problems, maxOutBytes)
	}
	many = append(many, many...)
	for i, m := range many[900:] {
		m2 := proto.Clone(m).(*sproto.Payload_Metric)
		m2.Timestamp = proto.Uint64(uint64(t0.Add(time.Duration(900+i) * time.Second).UnixMilli()))
		many[900+i] = m2
	}
	if r := d.Handle("spBv1.0/g/DDATA/e/d", payload(t, t0, many...), t0); len(r.Data) != 0 || len(r.Problems) != 1 || r.Problems[0].Reason != ReasonBacklogTooLong {
		t.Errorf("1800 timestamps: %d data, problems %v; want none and one backlog_too_long", len(r.Data), r.Problems)
	}
}
