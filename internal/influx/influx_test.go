package influx

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/oxywatch/oxywatch/internal/testenv"
)

// answer is an HTTP answer to a write, as a server really gives it.
type answer struct {
	status  int
	headers map[string]string
	body    string
}

// influx18 is how InfluxDB 1.8.10 answers an error (recorded with curl
// against `influxd` built from v1.8.10): the message in a JSON body and,
// cut at 1024 bytes with newlines as spaces, in X-Influxdb-Error.
func influx18(status int, msg string) answer {
	body, _ := json.Marshal(map[string]string{"error": msg})
	return answer{status: status, body: string(body), headers: map[string]string{
		"Content-Type": "application/json", "X-Influxdb-Build": "OSS", "X-Influxdb-Version": "unknown",
		"X-Influxdb-Error": strings.ReplaceAll(msg, "\n", " "), "X-Request-Id": "cb2ece04-ed72-11f1-8005-6ebc422799b5",
	}}
}

// influx2 is the JSON error of InfluxDB 2.x and Cloud.
func influx2(status int, code, msg string) answer {
	body, _ := json.Marshal(map[string]string{"code": code, "message": msg})
	return answer{status: status, body: string(body), headers: map[string]string{"Content-Type": "application/json; charset=utf-8"}}
}

func replay(t *testing.T, a answer) *Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		for k, v := range a.headers {
			w.Header().Set(k, v)
		}
		w.WriteHeader(a.status)
		_, _ = io.WriteString(w, a.body)
	}))
	t.Cleanup(srv.Close)
	return New(Options{URL: srv.URL, Bucket: "oxywatch/autogen"})
}

func TestWriteErrorReadsTheAnswer(t *testing.T) {
	tests := []struct {
		name    string
		answer  answer
		lines   int
		refusal string
		all     bool
		from    bool
	}{
		{"1.8 one unparsable line", influx18(400, "unable to parse 'm,d=a v= 1796121271541': missing field value"), 1, RefusedParse, true, true},
		{"1.8 every line unparsable", influx18(400, "unable to parse 'm,d=a v= 1': missing field value\nunable to parse 'm,d=b v= 1': missing field value"), 2, RefusedParse, true, true},
		{"1.8 unparsable lines among good ones (the good ones are stored)", influx18(400, "partial write: unable to parse 'm,d=b v= 1': missing field value\nunable to parse 'm,d=e w=\"x 1': unbalanced quotes dropped=0"), 4, RefusedParse, false, true},
		{"1.8 field type conflict", influx18(400, `partial write: field type conflict: input field "v" on measurement "m" is type string, already exists as type float dropped=1`), 3, RefusedFieldType, false, true},
		{"1.8 field type conflict inside one request", influx18(400, "field type conflict"), 3, RefusedFieldType, false, true},
		{"1.8 some points beyond retention", influx18(400, "partial write: points beyond retention policy dropped=2"), 3, RefusedRetention, false, true},
		{"1.8 every point beyond retention", influx18(400, "partial write: points beyond retention policy dropped=2"), 2, RefusedRetention, true, true},
		{"1.8 series limit", influx18(400, "partial write: max-series-per-database limit exceeded: (1000000) dropped=1"), 5, RefusedLimit, false, true},
		{"1.8 a bad request as a whole is retried", influx18(400, "database is required"), 5, "", false, true},
		{"1.8 database missing", influx18(404, `database not found: "nodb"`), 5, "", false, true},
		{"1.8 retention policy missing", influx18(500, "retention policy not found: norp"), 5, "", false, true},
		{"2.x unparsable line", influx2(400, "invalid", "unable to parse 'm v= 1': missing field value"), 1, RefusedParse, true, true},
		{"2.x beyond retention", influx2(422, "unprocessable entity", "failure writing points to database: partial write: points beyond retention policy dropped=1"), 2, RefusedRetention, false, true},
		{"2.x other semantic refusal", influx2(422, "unprocessable entity", "something new"), 2, RefusedOther, false, true},
		{"proxy error page", answer{400, map[string]string{"Content-Type": "text/html"}, "<html><body><h1>400 Bad Request</h1>unable to parse</body></html>"}, 5, "", false, false},
		{"proxy plain text", answer{400, nil, "Bad Request"}, 5, "", false, false},
		{"proxy JSON", answer{400, map[string]string{"Content-Type": "application/json"}, `{"error":"partial write: x dropped=1"}`}, 5, "", false, false},
		{"proxy body too large", answer{413, map[string]string{"Content-Type": "text/html"}, "<html>413 Request Entity Too Large</html>"}, 5, RefusedTooLarge, false, false},
		{"overloaded", answer{503, nil, ""}, 5, "", false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lines := make([]string, tc.lines)
			for i := range lines {
				lines[i] = fmt.Sprintf("m,d=x%d v=1 1", i)
			}
			err := replay(t, tc.answer).Write(t.Context(), lines...)
			var we *WriteError
			if !errors.As(err, &we) {
				t.Fatalf("got %v, want a *WriteError", err)
			}
			if we.Refused() != tc.refusal || we.AllRefused() != tc.all || we.FromInfluxDB != tc.from {
				t.Errorf("got refusal %q, all %v, from InfluxDB %v; want %q, %v, %v (%v)", we.Refused(), we.AllRefused(), we.FromInfluxDB, tc.refusal, tc.all, tc.from, err)
			}
			if we.Status != tc.answer.status {
				t.Errorf("got status %d, want %d", we.Status, tc.answer.status)
			}
			if !tc.from && tc.answer.status == 400 && !strings.Contains(err.Error(), "other than InfluxDB") {
				t.Errorf("error %q does not say the answer did not come from InfluxDB", err)
			}
		})
	}
}

// What a real InfluxDB 1.8 answers for each refusal, through the client.
func TestWriteErrorFromRealInfluxDB(t *testing.T) {
	in := testenv.StartInfluxd(t, "")
	if _, err := in.Query("CREATE DATABASE short WITH DURATION 1h"); err != nil {
		t.Fatal(err)
	}
	w := New(Options{URL: in.URL, Bucket: "short/autogen"})
	now := time.Now().UnixMilli()
	old := time.Now().Add(-72 * time.Hour).UnixMilli()
	if err := w.Write(t.Context(), fmt.Sprintf("m,d=seed v=1 %d", now)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		lines   []string
		refusal string
		all     bool
		msg     string
	}{
		{"unparsable line", []string{fmt.Sprintf("m,d=a v= %d", now)}, RefusedParse, true, "400 unable to parse 'm,d=a v= "},
		{"unparsable among good", []string{fmt.Sprintf("m,d=a v=1 %d", now), fmt.Sprintf("m,d=b v= %d", now)}, RefusedParse, false, "400 partial write: unable to parse 'm,d=b v= "},
		{"field type conflict", []string{fmt.Sprintf("m,d=a v=2 %d", now), fmt.Sprintf(`m,d=c v="x" %d`, now)}, RefusedFieldType, false, `400 partial write: field type conflict: input field "v" on measurement "m" is type string, already exists as type float dropped=1`},
		{"beyond retention", []string{fmt.Sprintf("m,d=a v=3 %d", now), fmt.Sprintf("m,d=d v=1 %d", old)}, RefusedRetention, false, "400 partial write: points beyond retention policy dropped=1"},
		{"all beyond retention", []string{fmt.Sprintf("m,d=d v=1 %d", old), fmt.Sprintf("m,d=e v=1 %d", old)}, RefusedRetention, true, "400 partial write: points beyond retention policy dropped=2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := w.Write(t.Context(), tc.lines...)
			var we *WriteError
			if !errors.As(err, &we) {
				t.Fatalf("got %v, want a *WriteError", err)
			}
			if we.Refused() != tc.refusal || we.AllRefused() != tc.all || !we.FromInfluxDB {
				t.Errorf("got refusal %q, all %v, from InfluxDB %v; want %q, %v, true (%v)", we.Refused(), we.AllRefused(), we.FromInfluxDB, tc.refusal, tc.all, err)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("got %q, want it to contain %q", err, tc.msg)
			}
		})
	}
}

func TestUseGzipOnlyOffLoopback(t *testing.T) {
	cases := map[string]bool{
		"http://127.0.0.1:8086":       false,
		"http://127.3.2.1:8086/":      false,
		"http://localhost:8086":       false,
		"http://LOCALHOST":            false,
		"http://[::1]:8086":           false,
		"http://10.0.0.5:8086":        true,
		"https://influx.example.org":  true,
		"http://[2001:db8::1]:8086":   true,
		"http://localhost.evil.org:1": true,
		"://bad":                      true,
	}
	for in, want := range cases {
		if got := useGzip(in); got != want {
			t.Errorf("useGzip(%q) = %v, want %v", in, got, want)
		}
	}
}
