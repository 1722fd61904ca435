package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/influxdata/line-protocol/v2/lineprotocol"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/oxywatch/oxywatch/ingest/buffer"
	"github.com/oxywatch/oxywatch/ingest/sparkplug"
	"github.com/oxywatch/oxywatch/internal/plant"
)

// memBuffer is an Appender that keeps what it was given.
type memBuffer struct {
	mu    sync.Mutex
	data  [][]byte
	lines int
	fail  error
}

func (b *memBuffer) Append(_ context.Context, data []byte, lines int, _ time.Time) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.fail != nil {
		return b.fail
	}
	b.data = append(b.data, append([]byte(nil), data...))
	b.lines += lines
	return nil
}

// memDirectory is a registry of known devices.
type memDirectory struct {
	mu      sync.Mutex
	known   map[plant.DeviceID]plant.Device
	unknown []plant.DeviceID
}

func (d *memDirectory) Device(id plant.DeviceID) (plant.Device, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	dev, ok := d.known[id]
	return dev, ok
}

func (d *memDirectory) AddUnknown(id plant.DeviceID, _ time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.unknown = append(d.unknown, id)
}

// recorder is a Consumer that keeps what it observed.
type recorder struct {
	mu       sync.Mutex
	live     int
	backlog  int
	statuses []plant.StatusMessage
}

func (r *recorder) ObserveReading(_ plant.Reading, live bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if live {
		r.live++
	} else {
		r.backlog++
	}
}

func (r *recorder) ObserveStatus(m plant.StatusMessage) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.statuses = append(r.statuses, m)
}

type harness struct {
	in  *Ingester
	buf *memBuffer
	dir *memDirectory
	rec *recorder
}

func newHarness(rejectUnknown bool) *harness {
	h := &harness{
		buf: &memBuffer{},
		dir: &memDirectory{known: map[plant.DeviceID]plant.Device{
			"psa-001": {ID: "psa-001", Kind: plant.KindPSA, Facility: "Mbale RRH", Region: "east", Country: "UG"},
		}},
		rec: &recorder{},
	}
	h.in = New(Options{
		Buffer: h.buf, Directory: h.dir, RejectUnknown: rejectUnknown, Consumer: h.rec,
		Registerer: prometheus.NewRegistry(), Now: func() time.Time { return testNow },
		Logger: slog.New(slog.DiscardHandler),
	})
	return h
}

func TestHandleMessage(t *testing.T) {
	h := newHarness(false)
	ctx := context.Background()
	ts := testNow.Add(-time.Minute).Format(time.RFC3339)
	msgs := []struct{ topic, payload string }{
		{"o2/psa-001/telemetry", `{"ts":"` + ts + `","purity_pct":93.5,"state":"running"}`},
		{"o2/psa-001/telemetry", `[{"ts":"2026-11-22T10:00:00Z","purity_pct":93},{"ts":"2026-11-22T10:01:00Z","purity_pct":140}]`},
		{"o2/conc-9/telemetry", `{"purity_pct":92}`},
		{"o2/psa-001/status", `offline`},
		{"o2/psa-001/status", `maybe`},
		{"o2/psa-001/other", `{}`},
		{"elsewhere/psa-001/telemetry", `{}`},
	}
	for _, m := range msgs {
		if err := h.in.HandleMessage(ctx, m.topic, []byte(m.payload)); err != nil {
			t.Fatalf("%s %s: %v", m.topic, m.payload, err)
		}
	}
	if h.buf.lines != 3 {
		t.Errorf("buffered %d lines, want 3 (one live, one backlog, one unknown device)", h.buf.lines)
	}
	if h.rec.live != 2 || h.rec.backlog != 1 {
		t.Errorf("consumer saw %d live and %d backlog, want 2 and 1", h.rec.live, h.rec.backlog)
	}
	if len(h.rec.statuses) != 1 || h.rec.statuses[0].State != plant.Offline {
		t.Errorf("statuses %+v, want one offline", h.rec.statuses)
	}
	if len(h.dir.unknown) != 1 || h.dir.unknown[0] != "conc-9" {
		t.Errorf("unknown devices %v, want [conc-9]", h.dir.unknown)
	}
	for reason, want := range map[Reason]float64{ReasonOutOfRange: 1, ReasonBadStatus: 1, ReasonBadTopic: 2} {
		if got := testutil.ToFloat64(h.in.m.rejected.WithLabelValues(string(reason))); got != want {
			t.Errorf("rejected{reason=%s} = %v, want %v", reason, got, want)
		}
	}
	if !strings.Contains(string(h.buf.data[0]), `facility=Mbale\ RRH`) {
		t.Errorf("registry tags missing from %q", h.buf.data[0])
	}
	st, _ := h.in.Fleet().Get("psa-001")
	if !strings.Contains(st.LastError, "bad_topic") {
		t.Errorf("last error %q, want the latest rejection (bad topic leaf)", st.LastError)
	}
}

func TestRejectUnknownDevices(t *testing.T) {
	h := newHarness(true)
	if err := h.in.HandleMessage(context.Background(), "o2/stranger/telemetry", []byte(`{"purity_pct":93}`)); err != nil {
		t.Fatal(err)
	}
	if h.buf.lines != 0 || len(h.dir.unknown) != 0 {
		t.Errorf("unknown device buffered %d lines, listed %v; want nothing", h.buf.lines, h.dir.unknown)
	}
	if got := testutil.ToFloat64(h.in.m.rejected.WithLabelValues(string(ReasonUnknownDevice))); got != 1 {
		t.Errorf("rejected{reason=unknown_device} = %v, want 1", got)
	}
}

// A reading that cannot be made durable must surface as an error, so the
// MQTT message stays unacknowledged and the broker redelivers it.
func TestBufferFailureIsNotAcknowledged(t *testing.T) {
	h := newHarness(false)
	h.buf.fail = errors.New("disk full")
	err := h.in.HandleMessage(context.Background(), "o2/psa-001/telemetry", []byte(`{"purity_pct":93}`))
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("got %v, want the buffer's error", err)
	}
	if h.rec.live+h.rec.backlog != 0 {
		t.Error("a reading that is not durable reached the consumers")
	}
}

// FuzzHandleMessage feeds arbitrary topics, payloads and registry
// facility names through the whole intake: nothing panics, a working buffer
// never yields an error, every line written to the buffer is valid line
// protocol for o2_reading, and alarms read back as the JSON array they are.
func FuzzHandleMessage(f *testing.F) {
	f.Add("o2/psa-001/telemetry", []byte(`{"purity_pct":93.5,"alarms":["low purity","a=b,c"],"state":"running"}`), "Mbale RRH")
	f.Add("o2/psa-001/status", []byte("online"), "")
	f.Add("o2/x y/telemetry", []byte(`{}`), "")
	f.Add("o2/conc-1/telemetry", []byte(`[{"ts":1763800000,"flow_m3h":1.2},{"ts":"2026-11-22T10:00:00+03:00","pressure_psi":60}]`), "")
	f.Add("o2//telemetry", []byte(`{"alarms":"\"\\\n"}`), "")
	f.Add("o2/psa-001/telemetry", []byte(`{"purity_pct":93,"alarms":["\"\\,\n\u0000"]}`), "Ward 3\\")
	f.Add("o2/psa-001/telemetry", []byte(`{"purity_pct":93}`), "a\nb\r\xff\\")
	f.Add("spBv1.0/zomba/DBIRTH/gw-psa/PSA1", spPayload(f, testNow, spMetric{"O2 Purity", 1, 94.0}, spMetric{"State", 2, "2"}), "")
	f.Add("spBv1.0/zomba/DDATA/gw-psa/psa-001", spPayload(f, testNow, spMetric{"Flow", 0, 1e300}, spMetric{"Alarms/X\n", 0, true}), "x")
	f.Add("spBv1.0/zomba/NDEATH/gw-psa", []byte("\x0a\x02\x10\x01"), "")
	set := testMappings(f)
	f.Fuzz(func(t *testing.T, topic string, payload []byte, facility string) {
		h := newHarness(false)
		h.in.opts.Mappings = set
		h.in.opts.Sparkplug, _ = sparkplug.New(sparkplug.Options{Mappings: set})
		dev := h.dir.known["psa-001"]
		dev.Facility = facility
		h.dir.known["psa-001"] = dev
		if err := h.in.HandleMessage(context.Background(), topic, payload); err != nil {
			t.Fatalf("error with a working buffer: %v", err)
		}
		lines := 0
		for _, data := range h.buf.data {
			dec := lineprotocol.NewDecoderWithBytes(data)
			for dec.Next() {
				m, err := dec.Measurement()
				if err != nil || string(m) != "o2_reading" {
					t.Fatalf("measurement %q, %v in %q", m, err, data)
				}
				for {
					k, _, err := dec.NextTag()
					if err != nil {
						t.Fatalf("tag: %v in %q", err, data)
					}
					if k == nil {
						break
					}
				}
				fields := 0
				for {
					k, v, err := dec.NextField()
					if err != nil {
						t.Fatalf("field: %v in %q", err, data)
					}
					if k == nil {
						break
					}
					fields++
					if string(k) == "alarms" {
						var codes []string
						if err := json.Unmarshal([]byte(v.StringV()), &codes); err != nil || len(codes) == 0 {
							t.Fatalf("alarms %q are not a JSON array of codes: %v", v.StringV(), err)
						}
					}
				}
				if fields == 0 {
					t.Fatalf("line without fields in %q", data)
				}
				if _, err := dec.Time(lineprotocol.Millisecond, time.Time{}); err != nil {
					t.Fatalf("time: %v in %q", err, data)
				}
				lines++
			}
		}
		if lines != h.buf.lines {
			t.Fatalf("%d lines in the buffer, %d declared", lines, h.buf.lines)
		}
	})
}

// A registry value line protocol cannot carry (a facility ending in a
// backslash, or holding a newline) used to fail the encoder, and the error
// stopped ingest on every redelivery (issue 13, item 3). It is repaired,
// counted and stored.
func TestBadRegistryValueDoesNotStopIngest(t *testing.T) {
	h := newHarness(false)
	h.dir.known["bad-1"] = plant.Device{ID: "bad-1", Kind: plant.KindPSA, Facility: `Ward 3\`}
	h.dir.known["bad-2"] = plant.Device{ID: "bad-2", Kind: plant.KindPSA, Facility: "Mbale\nRRH", Region: "ea\rst"}
	for _, dev := range []string{"bad-1", "bad-2"} {
		payload := `[{"ts":"2026-11-22T10:00:00Z","purity_pct":93},{"ts":"2026-11-22T10:01:00Z","purity_pct":92}]`
		if err := h.in.HandleMessage(context.Background(), "o2/"+dev+"/telemetry", []byte(payload)); err != nil {
			t.Fatalf("%s: got %v, want nil: a registry value must never stop ingest", dev, err)
		}
	}
	if h.buf.lines != 4 || h.rec.live+h.rec.backlog != 4 {
		t.Errorf("buffered %d lines, delivered %d readings; want 4 and 4", h.buf.lines, h.rec.live+h.rec.backlog)
	}
	var tags []string
	for _, data := range h.buf.data {
		dec := lineprotocol.NewDecoderWithBytes(data)
		for dec.Next() {
			if _, err := dec.Measurement(); err != nil {
				t.Fatal(err)
			}
			for {
				k, v, err := dec.NextTag()
				if err != nil {
					t.Fatalf("tag: %v in %q", err, data)
				}
				if k == nil {
					break
				}
				if string(k) == "facility" || string(k) == "region" {
					tags = append(tags, string(k)+"="+string(v))
				}
			}
		}
	}
	if want := "facility=Ward 3 facility=Ward 3 facility=Mbale RRH region=ea st facility=Mbale RRH region=ea st"; strings.Join(tags, " ") != want {
		t.Errorf("stored tags %q, want %q", strings.Join(tags, " "), want)
	}
	for tag, want := range map[string]float64{"facility": 4, "region": 2, "kind": 0} {
		if got := testutil.ToFloat64(h.in.m.tagRepairs.WithLabelValues(tag)); got != want {
			t.Errorf("tag_repairs_total{tag=%s} = %v, want %v", tag, got, want)
		}
	}
}

// deadLetters records what an Ingester keeps in the dead letters.
type deadLetters struct {
	lines          []string
	reason, detail string
	fail           error
}

func (d *deadLetters) keep(reason, detail string, lines []string, _ time.Time) error {
	if d.fail != nil {
		return d.fail
	}
	d.reason, d.detail = reason, detail
	d.lines = append(d.lines, lines...)
	return nil
}

// With the real buffer, such a reading lands in its dead-letter file, where
// the replay command reads it.
func TestUnencodableReadingInBufferDeadLetterFile(t *testing.T) {
	buf, err := buffer.Open(t.TempDir(), buffer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer buf.Close()
	h := newHarness(false)
	h.in = New(Options{Buffer: buf, Directory: h.dir, Registerer: prometheus.NewRegistry(),
		Now: func() time.Time { return testNow }, Logger: slog.New(slog.DiscardHandler)})
	dev, _ := h.dir.Device("psa-001")
	late := plant.Reading{Device: "psa-001", Time: time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC), Values: plant.Values{Purity: plant.Float(93)}}
	if _, err := h.in.store(context.Background(), []plant.Reading{late}, dev, testNow); err != nil {
		t.Fatal(err)
	}
	dls, err := buffer.ReadDeadLetters(buf.DeadLetterPath())
	if err != nil {
		t.Fatal(err)
	}
	if len(dls) != 1 || dls[0].Reason != string(ReasonUnencodable) || !strings.Contains(dls[0].Line, `"device":"psa-001"`) || !dls[0].At.Equal(testNow) {
		t.Errorf("dead letters %+v, want the late reading as unencodable", dls)
	}
}

// A reading the encoder still refuses goes to the dead letters with a
// counter and the device's last_error; the rest of the message is stored
// and acknowledged, never an error that stops ingest.
func TestUnencodableReadingGoesToDeadLetters(t *testing.T) {
	for _, tc := range []struct {
		name string
		dl   *deadLetters
		kept float64
	}{
		{"kept", &deadLetters{}, 1},
		{"dead letters failing", &deadLetters{fail: errors.New("disk full")}, 0},
		{"no dead letters", nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(false)
			if tc.dl != nil {
				h.in.opts.DeadLetter = tc.dl.keep
			}
			dev, _ := h.dir.Device("psa-001")
			good := plant.Reading{Device: "psa-001", Time: testNow.Add(-time.Minute), Values: plant.Values{Purity: plant.Float(93)}}
			late := good // the decoder lets no such time through; the encoder must cope anyway
			late.Time = time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)
			stored, err := h.in.store(context.Background(), []plant.Reading{late, good}, dev, testNow)
			if err != nil {
				t.Fatalf("got %v, want nil", err)
			}
			if len(stored) != 1 || !stored[0].Time.Equal(good.Time) || h.buf.lines != 1 {
				t.Errorf("stored %v, buffered %d lines; want the good reading only", stored, h.buf.lines)
			}
			if got := testutil.ToFloat64(h.in.m.rejected.WithLabelValues(string(ReasonUnencodable))); got != 1 {
				t.Errorf("rejected{reason=unencodable} = %v, want 1", got)
			}
			if got := testutil.ToFloat64(h.in.m.deadLetters); got != tc.kept {
				t.Errorf("dead_letter_readings_total = %v, want %v", got, tc.kept)
			}
			if st, _ := h.in.Fleet().Get("psa-001"); !strings.Contains(st.LastError, "unencodable") {
				t.Errorf("last error %q, want unencodable", st.LastError)
			}
			if tc.kept == 1 {
				if len(tc.dl.lines) != 1 || !strings.Contains(tc.dl.lines[0], `"ts":"2300-01-01T00:00:00Z"`) || !strings.Contains(tc.dl.lines[0], "Mbale RRH") || tc.dl.reason != "unencodable" {
					t.Errorf("dead letters %q (%s: %s), want the late reading with its tags", tc.dl.lines, tc.dl.reason, tc.dl.detail)
				}
			}
		})
	}
}

// Ingest is the path of HTTP ingest: the same decoding, and the readings
// durable when it returns, with what was kept and rejected told back.
func TestIngestForHTTP(t *testing.T) {
	h := newHarness(true)
	ctx := context.Background()
	d, err := h.in.Ingest(ctx, "psa-001", []byte(`[{"ts":"2026-11-22T10:00:00Z","purity_pct":93},{"ts":"2026-11-22T10:01:00Z","purity_pct":140}]`))
	if err != nil || len(d.Readings) != 1 || len(d.Rejected) != 1 || d.Rejected[0].Reason != ReasonOutOfRange || h.buf.lines != 1 {
		t.Fatalf("got %d readings, rejections %v, %d lines buffered, err %v; want 1, out_of_range, 1, nil", len(d.Readings), d.Rejected, h.buf.lines, err)
	}
	for _, c := range []struct {
		dev    plant.DeviceID
		reason Reason
	}{{"bad$id", ReasonBadDeviceID}, {"stranger-1", ReasonUnknownDevice}} {
		if d, err := h.in.Ingest(ctx, c.dev, []byte(`{"purity_pct":93}`)); err != nil || len(d.Rejected) != 1 || d.Rejected[0].Reason != c.reason {
			t.Errorf("%s: got %v, %v; want one %s", c.dev, d.Rejected, err, c.reason)
		}
	}
	h.buf.fail = errors.New("disk full")
	if _, err := h.in.Ingest(ctx, "psa-001", []byte(`{"purity_pct":93}`)); err == nil {
		t.Error("a reading that could not be made durable was reported as taken")
	}
}
