package influx

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/influxdata/line-protocol/v2/lineprotocol"

	"github.com/oxywatch/oxywatch/internal/plant"
	"github.com/oxywatch/oxywatch/internal/testenv"
)

var t0 = time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)

// line is one decoded line-protocol line.
type line struct {
	measurement string
	tags        map[string]string
	fields      map[string]lineprotocol.Value
	time        time.Time
}

// parseLines decodes data strictly, failing the test on any error.
func parseLines(t *testing.T, data []byte) []line {
	t.Helper()
	var out []line
	dec := lineprotocol.NewDecoderWithBytes(data)
	for dec.Next() {
		m, err := dec.Measurement()
		if err != nil {
			t.Fatalf("measurement: %v in %q", err, data)
		}
		l := line{measurement: string(m), tags: map[string]string{}, fields: map[string]lineprotocol.Value{}}
		for {
			k, v, err := dec.NextTag()
			if err != nil {
				t.Fatalf("tag: %v in %q", err, data)
			}
			if k == nil {
				break
			}
			l.tags[string(k)] = string(v)
		}
		for {
			k, v, err := dec.NextField()
			if err != nil {
				t.Fatalf("field: %v in %q", err, data)
			}
			if k == nil {
				break
			}
			l.fields[string(k)] = v
		}
		if l.time, err = dec.Time(lineprotocol.Millisecond, time.Time{}); err != nil {
			t.Fatalf("time: %v in %q", err, data)
		}
		out = append(out, l)
	}
	return out
}

// Alarm codes are stored as a JSON array, so a code holding a comma (or a
// quote, or a newline) reads back as it was sent.
func TestAlarmsStoredUnambiguously(t *testing.T) {
	alarms := []string{"a,b", "c", `say "hi"`, "line\nbreak", `back\`}
	r := plant.Reading{Device: "psa-1", Time: t0, Values: plant.Values{Purity: plant.Float(93)}, Alarms: alarms}
	out := NewEncoder().Encode([]plant.Reading{r}, Tags{Kind: "psa"})
	if len(out.Failed) != 0 {
		t.Fatalf("encode: %v", out.Failed)
	}
	lines := parseLines(t, out.Data)
	if len(lines) != 1 {
		t.Fatalf("got %d lines, want 1: %q", len(lines), out.Data)
	}
	var got []string
	if err := json.Unmarshal([]byte(lines[0].fields["alarms"].StringV()), &got); err != nil {
		t.Fatalf("alarms field %q is not a JSON array: %v", lines[0].fields["alarms"].StringV(), err)
	}
	if strings.Join(got, "|") != strings.Join(alarms, "|") || len(got) != len(alarms) {
		t.Errorf("got alarms %q, want %q", got, alarms)
	}
}

// A registry value that line protocol cannot carry (a trailing backslash, a
// newline, a control character, invalid UTF-8) is repaired, never an error:
// one bad registry entry must not stop ingest (issue 13, item 3).
func TestBadTagValuesAreRepaired(t *testing.T) {
	tests := []struct {
		name     string
		tags     Tags
		want     map[string]string // tags after repair
		repaired []string
	}{
		{"trailing backslash", Tags{Kind: "psa", Facility: `Ward 3\`}, map[string]string{"facility": "Ward 3"}, []string{"facility"}},
		{"only backslashes: the tag is dropped", Tags{Kind: "psa", Facility: `\\`}, map[string]string{"facility": ""}, []string{"facility"}},
		{"newline", Tags{Kind: "psa", Facility: "Mbale\nRRH"}, map[string]string{"facility": "Mbale RRH"}, []string{"facility"}},
		{"carriage return and tab", Tags{Kind: "psa", Region: "east\r\n\t"}, map[string]string{"region": "east   "}, []string{"region"}},
		{"invalid utf-8", Tags{Kind: "psa", Country: "U\xffG"}, map[string]string{"country": "U\uFFFDG"}, []string{"country"}},
		{"control character in kind", Tags{Kind: "psa\x00"}, map[string]string{"kind": "psa "}, []string{"kind"}},
		{"several", Tags{Kind: "psa", Facility: "a\\", Region: "b\n"}, map[string]string{"facility": "a", "region": "b "}, []string{"facility", "region"}},
		{"escapable characters kept", Tags{Kind: "psa", Facility: `a\ b,c=d "e" \x`}, map[string]string{"facility": `a\ b,c=d "e" \x`}, nil},
		{"unicode kept", Tags{Kind: "psa", Facility: "Hôpital de Kigali – Aile B"}, map[string]string{"facility": "Hôpital de Kigali – Aile B"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := plant.Reading{Device: "psa-1", Time: t0, Values: plant.Values{Purity: plant.Float(93)}}
			out := NewEncoder().Encode([]plant.Reading{r, r}, tc.tags)
			if len(out.Failed) != 0 {
				t.Fatalf("encode: %v", out.Failed)
			}
			lines := parseLines(t, out.Data)
			if len(lines) != 2 || out.Lines != 2 {
				t.Fatalf("got %d lines (%d declared), want 2: %q", len(lines), out.Lines, out.Data)
			}
			for k, want := range tc.want {
				if got := lines[1].tags[k]; got != want {
					t.Errorf("tag %s: got %q, want %q", k, got, want)
				}
			}
			if strings.Join(out.Repaired, ",") != strings.Join(tc.repaired, ",") {
				t.Errorf("repaired %v, want %v", out.Repaired, tc.repaired)
			}
		})
	}
}

// A reading the encoder cannot write is left out and reported; the others
// in the same call are still encoded.
func TestUnencodableReadingsLeftOut(t *testing.T) {
	good := plant.Reading{Device: "psa-1", Time: t0, Values: plant.Values{Purity: plant.Float(93)}, State: plant.StateRunning, Seq: new(int64(7))}
	nan := good
	nan.Values = plant.Values{Flow: plant.Float(math.NaN())}
	tooLate := good
	tooLate.Time = time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)
	empty := plant.Reading{Device: "psa-1", Time: t0}
	badText := good
	badText.Power = "\xff"
	badDevice := good // device ids come from the topic, checked; only the encoder's own check finds this
	badDevice.Device = "psa\n1"
	out := NewEncoder().Encode([]plant.Reading{nan, good, tooLate, empty, good, badText, badDevice}, Tags{Kind: "psa"})
	var at []int
	for _, f := range out.Failed {
		at = append(at, f.Index)
		if f.Err == nil {
			t.Errorf("failure %d without an error", f.Index)
		}
	}
	if fmt.Sprint(at) != "[0 2 3 5 6]" {
		t.Errorf("left out %v (%v), want [0 2 3 5 6]", at, out.Failed)
	}
	lines := parseLines(t, out.Data)
	if len(lines) != 2 || out.Lines != 2 {
		t.Fatalf("got %d lines (%d declared), want the 2 good ones: %q", len(lines), out.Lines, out.Data)
	}
	if !lines[1].time.Equal(t0) || lines[1].fields["seq"].IntV() != 7 || lines[1].fields["state"].StringV() != "running" {
		t.Errorf("line %q does not hold the reading", out.Data)
	}
}

// FuzzRepairTag: whatever a registry holds, the line encodes, the tag reads
// back as RepairTag says, and a repaired value needs no second repair.
func FuzzRepairTag(f *testing.F) {
	for _, s := range []string{"", "Mbale RRH", `Ward 3\`, "a\nb", "\xff\\", `a\ b,c=d`, "\\\\\\", " ", "é\u0085\u2028"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := RepairTag(s)
		if again, changed := RepairTag(want); changed || again != want {
			t.Fatalf("RepairTag(%q) = %q, which it changes again to %q", s, want, again)
		}
		r := plant.Reading{Device: "psa-1", Time: t0, Values: plant.Values{Purity: plant.Float(93)}}
		out := NewEncoder().Encode([]plant.Reading{r}, Tags{Kind: "psa", Facility: s})
		if len(out.Failed) != 0 || out.Lines != 1 {
			t.Fatalf("facility %q: %d lines, failed %v", s, out.Lines, out.Failed)
		}
		lines := parseLines(t, out.Data)
		if len(lines) != 1 || lines[0].tags["facility"] != want {
			t.Fatalf("facility %q: read back %q from %q, want %q", s, lines[0].tags["facility"], out.Data, want)
		}
	})
}

// What the encoder writes, a real InfluxDB reads as meant: repaired and
// escaped tag values, and alarms as a JSON array (issue 13, items 3 and 11).
func TestOddValuesThroughRealInfluxDB(t *testing.T) {
	in := testenv.StartInfluxd(t, "o2")
	facilities := []string{`Ward 3\`, "Mbale\nRRH", `x\ y`, `a,b=c "d"`, `back\\slash\,`, "Hôpital – Aile B", `\`, "tab\there"}
	alarms := []string{"a,b", `say "hi"`, `back\`, "ünï"}
	var body []byte
	for i, f := range facilities {
		r := plant.Reading{Device: plant.DeviceID(fmt.Sprintf("dev-%d", i)), Time: t0, Values: plant.Values{Purity: plant.Float(93)}, Alarms: alarms}
		out := NewEncoder().Encode([]plant.Reading{r}, Tags{Kind: "psa", Facility: f, Region: "east"})
		if len(out.Failed) != 0 {
			t.Fatalf("encode %q: %v", f, out.Failed)
		}
		body = append(append(body, out.Data...), '\n')
	}
	resp, err := http.Post(in.URL+"/write?db=o2&precision=ms", "text/plain", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("write: %s %s\n%s", resp.Status, msg, body)
	}
	for i, f := range facilities {
		rows, err := in.Query(fmt.Sprintf(`SELECT "alarms", "facility", "region" FROM "o2"."autogen"."o2_reading" WHERE "device" = 'dev-%d'`, i))
		if err != nil {
			t.Fatal(err)
		}
		want, _ := RepairTag(f)
		if len(rows) != 1 || len(rows[0]) != 4 {
			t.Fatalf("facility %q: rows %v", f, rows)
		}
		got, _ := rows[0][2].(string)
		if want == "" && rows[0][2] == nil {
			got = ""
		}
		if got != want || rows[0][3] != "east" {
			t.Errorf("facility %q: InfluxDB holds facility %q region %v, want %q and east", f, rows[0][2], rows[0][3], want)
		}
		var codes []string
		if err := json.Unmarshal([]byte(fmt.Sprint(rows[0][1])), &codes); err != nil || strings.Join(codes, "|") != strings.Join(alarms, "|") {
			t.Errorf("alarms read back as %v (%v), want %q", rows[0][1], err, alarms)
		}
	}
}
