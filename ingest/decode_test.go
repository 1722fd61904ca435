package ingest

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/oxywatch/oxywatch/internal/plant"
)

var update = flag.Bool("update", false, "rewrite golden files")

var testNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func TestDecodeTelemetryRejects(t *testing.T) {
	big := `{"purity_pct":93,"pad":"` + strings.Repeat("x", MaxPayloadBytes) + `"}`
	var backlog strings.Builder
	backlog.WriteString("[")
	for i := range MaxBacklog + 1 {
		if i > 0 {
			backlog.WriteString(",")
		}
		fmt.Fprintf(&backlog, `{"ts":%d,"purity_pct":93}`, 1795161600+i)
	}
	backlog.WriteString("]")

	tests := []struct {
		name    string
		payload string
		want    Reason
		index   int
	}{
		{"not json", `purity=93`, ReasonNotJSON, -1},
		{"truncated json", `{"purity_pct": 93`, ReasonNotJSON, -1},
		{"empty", `   `, ReasonNotJSON, -1},
		{"invalid utf8", "{\"state\":\"\xff\"}", ReasonNotJSON, -1},
		{"json scalar", `93.1`, ReasonNotJSON, -1},
		{"too big", big, ReasonTooBig, -1},
		{"backlog too long", backlog.String(), ReasonBacklogTooLong, -1},
		{"purity as string", `{"purity_pct":"93"}`, ReasonBadType, 0},
		{"purity null", `{"purity_pct":null}`, ReasonBadType, 0},
		{"purity over 100", `{"purity_pct":100.5}`, ReasonOutOfRange, 0},
		{"negative flow", `{"flow_lpm":-1}`, ReasonOutOfRange, 0},
		{"pressure kpa too high", `{"pressure_kpa":30001}`, ReasonOutOfRange, 0},
		{"overflow is non-finite", `{"purity_pct":1e999}`, ReasonNonFinite, 0},
		{"NaN literal is not json", `{"purity_pct":NaN}`, ReasonNotJSON, -1},
		{"NaN string", `{"purity_pct":"NaN"}`, ReasonBadType, 0},
		{"state not a string", `{"purity_pct":93,"state":3}`, ReasonBadType, 0},
		{"power not a string", `{"purity_pct":93,"power":true}`, ReasonBadType, 0},
		{"future ts", `{"ts":"2026-11-23T12:06:00Z","purity_pct":93}`, ReasonFutureTS, 0},
		{"clock not set", `{"ts":0,"purity_pct":93}`, ReasonBadTS, 0},
		{"bad ts string", `{"ts":"yesterday","purity_pct":93}`, ReasonBadTS, 0},
		{"ts null", `{"ts":null,"purity_pct":93}`, ReasonBadTS, 0},
		{"no core value", `{"ts":1795161600,"temp_c":30}`, ReasonNoValues, 0},
		{"seq negative", `{"seq":-1,"purity_pct":93}`, ReasonOutOfRange, 0},
		{"seq fraction", `{"seq":1.5,"purity_pct":93}`, ReasonBadType, 0},
		{"alarms not strings", `{"purity_pct":93,"alarms":[1]}`, ReasonBadType, 0},
		{"backlog needs ts", `[{"purity_pct":93}]`, ReasonBadTS, 0},
		{"backlog element not object", `[{"ts":1795161600,"purity_pct":93},7]`, ReasonBadType, 1},
		{"duplicate key", `{"purity_pct":93,"purity_pct":12}`, ReasonDuplicateKey, 0},
		{"duplicate key spelt with an escape", `{"purity_pct":93,"purity\u005fpct":12}`, ReasonDuplicateKey, 0},
		{"duplicate unknown key", `{"purity_pct":93,"fw":"1.2","fw":"1.3"}`, ReasonDuplicateKey, 0},
		{"duplicate ts in a backlog", `[{"ts":1795161600,"purity_pct":93,"ts":1795161660}]`, ReasonDuplicateKey, 0},
		{"alarm not a string", `{"purity_pct":93,"alarms":["low_purity",null]}`, ReasonBadType, 0},
		{"empty alarm code", `{"purity_pct":93,"alarms":[""]}`, ReasonOutOfRange, 0},
		{"too many alarms", `{"purity_pct":93,"alarms":[` + strings.Repeat(`"a",`, 32) + `"a"]}`, ReasonOutOfRange, 0},
		{"data after the value", `{"purity_pct":93}{"purity_pct":94}`, ReasonNotJSON, -1},
		{"trailing comma", `{"purity_pct":93,}`, ReasonNotJSON, -1},
		{"bad JSON after good readings", `[{"ts":1795161600,"purity_pct":93},{"ts":1795161660,"purity_pct":93}`, ReasonNotJSON, -1},
		{"lone surrogate", `{"purity_pct":93,"fw":"\ud800"}`, ReasonNotJSON, -1},
		{"nested too deep", strings.Repeat("[", 20000) + strings.Repeat("]", 20000), ReasonNotJSON, -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := DecodeTelemetry("psa-001", []byte(tc.payload), testNow)
			if len(d.Rejected) != 1 {
				t.Fatalf("got %d rejections %v, want 1 with reason %s", len(d.Rejected), d.Rejected, tc.want)
			}
			got := d.Rejected[0]
			if got.Reason != tc.want || got.Index != tc.index {
				t.Errorf("got reason %s at %d (%s), want %s at %d", got.Reason, got.Index, got.Detail, tc.want, tc.index)
			}
			if got.Detail == "" || len(got.Detail) > 300 {
				t.Errorf("rejection detail %.400q is empty or too long for a log line", got.Detail)
			}
		})
	}
}

func TestDecodeTelemetryUnits(t *testing.T) {
	tests := []struct {
		name    string
		payload string
		field   string
		want    float64
	}{
		{"kpa", `{"pressure_kpa":450}`, plant.FieldPressure, 4.5},
		{"psi", `{"pressure_psi":100}`, plant.FieldPressure, 6.89475729},
		{"m3h", `{"flow_m3h":30}`, plant.FieldFlow, 500},
		{"runtime seconds", `{"runtime_s":7200}`, plant.FieldRuntime, 2},
		{"canonical wins over alias", `{"pressure_bar":5,"pressure_kpa":100}`, plant.FieldPressure, 5},
		{"canonical wins over a later alias", `{"pressure_kpa":100,"pressure_bar":5}`, plant.FieldPressure, 5},
		{"a bad alias beside the canonical key is ignored", `{"pressure_kpa":"x","pressure_bar":5}`, plant.FieldPressure, 5},
		{"of two aliases kpa wins", `{"pressure_psi":100,"pressure_kpa":450}`, plant.FieldPressure, 4.5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := DecodeTelemetry("c-1", []byte(tc.payload), testNow)
			if len(d.Readings) != 1 {
				t.Fatalf("got rejections %v", d.Rejected)
			}
			got := math.NaN()
			d.Readings[0].Each(func(f string, v float64) {
				if f == tc.field {
					got = v
				}
			})
			if math.Abs(got-tc.want) > 1e-9 {
				t.Errorf("got %s = %v, want %v", tc.field, got, tc.want)
			}
		})
	}
}

func TestDecodeTelemetryTimestamps(t *testing.T) {
	want := time.Date(2026, 11, 21, 2, 40, 0, 0, time.UTC) // 1795228800
	for _, p := range []string{
		`{"ts":1795228800,"purity_pct":93}`,
		`{"ts":1795228800000,"purity_pct":93}`,
		`{"ts":"2026-11-21T02:40:00Z","purity_pct":93}`,
		`{"ts":"2026-11-21T05:40:00+03:00","purity_pct":93}`,
	} {
		d := DecodeTelemetry("c-1", []byte(p), testNow)
		if len(d.Readings) != 1 || !d.Readings[0].Time.Equal(want) {
			t.Errorf("%s: got %v %v, want time %v", p, d.Readings, d.Rejected, want)
		}
	}
	d := DecodeTelemetry("c-1", []byte(`{"purity_pct":93}`), testNow)
	if len(d.Readings) != 1 || !d.Readings[0].Time.Equal(testNow) {
		t.Errorf("live reading without ts: got %v, want receive time %v", d.Readings, testNow)
	}
}

func TestDecodeBacklogKeepsGoodReadings(t *testing.T) {
	payload := `[{"ts":1795161600,"purity_pct":93},{"ts":1795161660,"purity_pct":101},{"ts":1795161720,"purity_pct":92}]`
	d := DecodeTelemetry("psa-1", []byte(payload), testNow)
	if len(d.Readings) != 2 || len(d.Rejected) != 1 || d.Rejected[0].Index != 1 || !d.Backlog {
		t.Fatalf("got %d readings, rejections %v, want 2 readings and reading 1 rejected", len(d.Readings), d.Rejected)
	}
}

// Duplicate keys are rejected per reading: the rest of a backlog goes in.
func TestDuplicateKeyRejectsOneReading(t *testing.T) {
	payload := `[{"ts":1795161600,"purity_pct":93},{"ts":1795161660,"purity_pct":93,"purity_pct":12},{"ts":1795161720,"purity_pct":92}]`
	d := DecodeTelemetry("psa-1", []byte(payload), testNow)
	if len(d.Readings) != 2 || len(d.Rejected) != 1 || d.Rejected[0].Index != 1 || d.Rejected[0].Reason != ReasonDuplicateKey {
		t.Fatalf("got %d readings, rejections %v; want 2 readings and reading 1 rejected as duplicate_key", len(d.Readings), d.Rejected)
	}
	if !strings.Contains(d.Rejected[0].Detail, "purity_pct") {
		t.Errorf("detail %q does not name the key", d.Rejected[0].Detail)
	}
}

// Keys inside a value the decoder ignores are not looked at: the unknown
// key is counted once, and its content, duplicates included, is skipped.
func TestUnknownValuesSkipped(t *testing.T) {
	d := DecodeTelemetry("c-1", []byte(`{"purity_pct":93,"meta":{"a":1,"a":[2,{"b":null}]}}`), testNow)
	if len(d.Readings) != 1 || d.UnknownKeys != 1 {
		t.Errorf("got %d readings %v, %d unknown keys; want 1 and 1", len(d.Readings), d.Rejected, d.UnknownKeys)
	}
}

// The decoder is pooled: what it returned must not change when it decodes
// the next payload, and it must not write to the payload.
func TestReadingsOutliveDecoder(t *testing.T) {
	first := []byte(`[{"ts":1795161600,"purity_pct":93.5,"seq":7,"alarms":["low_purity","x\u00e9y"]},{"ts":1795161660,"flow_m3h":3,"alarms":["odd"]}]`)
	orig := bytes.Clone(first)
	d := DecodeTelemetry("psa-1", first, testNow)
	want, _ := json.Marshal(d)
	for range 3 {
		DecodeTelemetry("psa-2", []byte(`[{"ts":1795161600,"purity_pct":1,"seq":8,"alarms":["other","x\u00e8y"]},{"ts":1795161660,"flow_lpm":9,"alarms":["c"]}]`), testNow)
	}
	if got, _ := json.Marshal(d); !bytes.Equal(got, want) {
		t.Errorf("readings changed after the next decode:\ngot  %s\nwant %s", got, want)
	}
	if !bytes.Equal(first, orig) {
		t.Errorf("payload changed to %q", first)
	}
	if a := d.Readings[0].Alarms; len(a) != 2 || a[1] != "xéy" || cap(a) != 2 {
		t.Errorf("alarms %q (cap %d), want [low_purity xéy] with no room to grow into the next reading's", a, cap(a))
	}
}

func TestUnknownKeysCounted(t *testing.T) {
	d := DecodeTelemetry("c-1", []byte(`{"purity_pct":93,"firmware":"1.2","uptime":5}`), testNow)
	if d.UnknownKeys != 2 || len(d.Readings) != 1 {
		t.Errorf("got %d unknown keys, %d readings, want 2 and 1", d.UnknownKeys, len(d.Readings))
	}
	// Past a few unknown keys the duplicate check changes method; both find them.
	var many strings.Builder
	many.WriteString(`{"purity_pct":93`)
	for i := range 40 {
		fmt.Fprintf(&many, `,"k%d":%d`, i, i)
	}
	d = DecodeTelemetry("c-1", []byte(many.String()+"}"), testNow)
	if d.UnknownKeys != 40 || len(d.Readings) != 1 {
		t.Errorf("got %d unknown keys, %d readings %v, want 40 and 1", d.UnknownKeys, len(d.Readings), d.Rejected)
	}
	for _, dup := range []string{"k3", "k39"} {
		d = DecodeTelemetry("c-1", []byte(many.String()+`,"`+dup+`":0}`), testNow)
		if len(d.Rejected) != 1 || d.Rejected[0].Reason != ReasonDuplicateKey {
			t.Errorf("second %s: got %v, want duplicate_key", dup, d.Rejected)
		}
	}
}

// TestGoldenPayloads decodes every file in testdata/payloads and compares the
// result with testdata/payloads.golden (go test -run Golden -update rewrites it).
func TestGoldenPayloads(t *testing.T) {
	files, err := filepath.Glob("testdata/payloads/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden payloads: %v", err)
	}
	sort.Strings(files)
	var out bytes.Buffer
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		d := DecodeTelemetry("dev-1", b, testNow)
		sort.Slice(d.Rejected, func(i, j int) bool { return d.Rejected[i].Index < d.Rejected[j].Index })
		js, err := json.MarshalIndent(d, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&out, "== %s\n%s\n", filepath.Base(f), js)
	}
	golden := "testdata/payloads.golden"
	if *update {
		if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(want, out.Bytes()) {
		t.Errorf("decoded payloads differ from %s (run with -update if intended):\n%s", golden, out.String())
	}
}

func TestParseTopic(t *testing.T) {
	tests := []struct {
		topic string
		dev   plant.DeviceID
		kind  TopicKind
		rej   Reason
	}{
		{"o2/psa-001/telemetry", "psa-001", TopicTelemetry, ""},
		{"o2/c.7_x/status", "c.7_x", TopicStatus, ""},
		{"o2/+/telemetry", "", 0, ReasonBadDeviceID},
		{"o2/-bad/telemetry", "", 0, ReasonBadDeviceID},
		{"o2/" + strings.Repeat("a", 65) + "/telemetry", "", 0, ReasonBadDeviceID},
		{"o2/psa-001/config", "psa-001", 0, ReasonBadTopic},
		{"o2/psa-001", "", 0, ReasonBadTopic},
		{"other/psa-001/telemetry", "", 0, ReasonBadTopic},
	}
	for _, tc := range tests {
		dev, kind, rej := ParseTopic("o2", tc.topic)
		var reason Reason
		if rej != nil {
			reason = rej.Reason
		}
		if reason != tc.rej || (rej == nil && (dev != tc.dev || kind != tc.kind)) {
			t.Errorf("%s: got %q %v %v, want %q %v %q", tc.topic, dev, kind, reason, tc.dev, tc.kind, tc.rej)
		}
	}
}

func TestDecodeStatus(t *testing.T) {
	for in, want := range map[string]plant.Connectivity{"online": plant.Online, " offline\n": plant.Offline, "OFFLINE": plant.Offline} {
		got, rej := DecodeStatus([]byte(in))
		if rej != nil || got != want {
			t.Errorf("%q: got %q %v, want %q", in, got, rej, want)
		}
	}
	if _, rej := DecodeStatus([]byte("maybe")); rej == nil || rej.Reason != ReasonBadStatus {
		t.Errorf("got %v, want bad_status", rej)
	}
}

// addSeeds gives a fuzzer the golden payloads and a few odd ones.
func addSeeds(f *testing.F) {
	files, _ := filepath.Glob("testdata/payloads/*.json")
	for _, p := range files {
		b, _ := os.ReadFile(p)
		f.Add(b)
	}
	for _, s := range []string{`{}`, `[]`, `[{}]`, `{"ts":1e300,"purity_pct":1}`, `{"ts":-1}`, `{"seq":99999999999999999999}`, `[[]]`, `{"alarms":null,"flow_lpm":0}`,
		`{"purity_pct":93,"purity_pct":12}`, `{"purity\u005fpct":93,"x":{"a":1,"a":2}}`, `[{"ts":1795161600,"flow_m3h":1,"alarms":["a,b","\u00e9"]},{"ts":"2026-11-20T08:00:00+03:00","pressure_psi":1,"pressure_bar":2}]`,
		` {"runtime_s":1e3,"seq":0,"state":"fault","power":"none","x":[1,{"y":null}]} `, `{"purity_pct":1}{}`, `{"purity_pct":1,}`} {
		f.Add([]byte(s))
	}
}

func FuzzDecodeTelemetry(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, payload []byte) {
		d := DecodeTelemetry("fuzz-1", payload, testNow)
		for _, r := range d.Readings {
			if r.Time.IsZero() || r.Time.After(testNow.Add(MaxFutureSkew)) {
				t.Fatalf("accepted reading with bad time %v", r.Time)
			}
			if r.State != "" && r.State != plant.StateUnknown && !plant.ValidState(r.State) {
				t.Fatalf("accepted bad state %q", r.State)
			}
			r.Each(func(field string, v float64) {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Fatalf("accepted non-finite %s", field)
				}
			})
			if r.Purity != nil && (*r.Purity < 0 || *r.Purity > 100) {
				t.Fatalf("accepted purity %v", *r.Purity)
			}
		}
		for _, rej := range d.Rejected {
			if rej.Reason == "" || rej.Detail == "" {
				t.Fatalf("rejection without reason or detail: %+v", rej)
			}
		}
		if len(d.Readings)+len(d.Rejected) == 0 && !bytes.HasPrefix(bytes.TrimSpace(payload), []byte("[")) {
			t.Fatalf("payload %q neither accepted nor rejected", payload)
		}
	})
}
