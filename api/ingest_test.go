package api

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/oxywatch/oxywatch/ingest"
	"github.com/oxywatch/oxywatch/ingest/buffer"
	"github.com/oxywatch/oxywatch/internal/plant"
	"github.com/oxywatch/oxywatch/internal/store"
)

// realIngest serves Ingest with a real ingester over a real buffer, as the
// application does.
type realIngest struct{ in *ingest.Ingester }

func (r realIngest) Ingest(ctx context.Context, dev plant.DeviceID, payload []byte) (IngestResult, error) {
	res, err := r.in.HandlePayload(ctx, dev, payload)
	out := IngestResult{Accepted: res.Accepted, Rejected: len(res.Rejected), Errors: []IngestError{}}
	for _, x := range res.Rejected {
		out.Errors = append(out.Errors, IngestError{Index: x.Index, Reason: string(x.Reason), Technical: x.Detail})
	}
	return out, err
}

// ingestFixture is the API fixture with HTTP ingest wired to a real
// ingester and buffer, and device tokens in its SQLite database.
func ingestFixture(t *testing.T, burst int) (*fixture, *buffer.Buffer) {
	t.Helper()
	return ingestFixtureTB(t, burst)
}

func ingestFixtureTB(t testing.TB, burst int) (*fixture, *buffer.Buffer) {
	t.Helper()
	buf, err := buffer.Open(t.TempDir(), buffer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { buf.Close() })
	f := newFixture(t)
	toks, err := store.OpenDeviceTokens(context.Background(), f.db, nil) // a clock that moves: the CLI test needs a reload
	if err != nil {
		t.Fatal(err)
	}
	in := ingest.New(ingest.Options{Buffer: buf, Directory: f.reg, Fleet: f.fleet, RejectUnknown: true,
		Registerer: prometheus.NewRegistry(), Logger: slog.New(slog.DiscardHandler), Now: f.opt.Now})
	f.opt.DeviceTokens, f.opt.Ingest, f.opt.IngestBurst = toks, realIngest{in}, burst
	f.opt.Gatherer = prometheus.NewRegistry()
	f.opt.Registerer = nil
	f.h = New(f.opt)
	return f, buf
}

func (f *fixture) deviceToken(devs ...string) string {
	f.t.Helper()
	var nt NewDeviceToken
	f.ok("admin", "POST", "/api/v1/device-tokens", map[string]any{"devices": devs, "name": "t"}, &nt)
	return nt.Secret
}

func TestIngestRoutes(t *testing.T) {
	f, buf := ingestFixture(t, 3)
	tok := f.deviceToken("n-psa-1")
	gw := f.deviceToken("n-psa-1", "s-psa-1")

	// Only an unlimited admin manages device tokens; the devices must exist.
	wantProblem(t, f.do("north-admin", "POST", "/api/v1/device-tokens", map[string]any{"devices": []string{"n-psa-1"}}), http.StatusForbidden)
	wantProblem(t, f.do("engineer", "GET", "/api/v1/device-tokens", nil), http.StatusForbidden)
	rec := f.do("admin", "POST", "/api/v1/device-tokens", map[string]any{"devices": []string{"no-such-1"}})
	wantProblem(t, rec, http.StatusBadRequest)
	if !strings.Contains(rec.Body.String(), "not registered") {
		t.Errorf("token for an unregistered device: %s", rec.Body)
	}
	// A device token is no API token.
	wantProblem(t, f.do(tok, "GET", "/api/v1/devices", nil), http.StatusUnauthorized)

	rec = f.do(tok, "POST", "/api/v1/ingest/n-psa-1", `[{"ts":"2026-11-23T09:58:00Z","purity_pct":93},{"ts":"2026-11-23T09:59:00Z","purity_pct":"x"}]`)
	var res IngestResult
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &res) != nil || res.Accepted != 1 || res.Rejected != 1 ||
		len(res.Errors) != 1 || res.Errors[0].Reason != "bad_type" || res.Errors[0].Index != 1 {
		t.Fatalf("backlog with a bad reading: %d %s", rec.Code, rec.Body)
	}
	if n := buf.Stats().Depth; n != 1 {
		t.Errorf("%d entries in the buffer after the answer, want 1", n)
	}
	// The per-device rate limit (burst 3 here): the fourth request waits.
	f.do(tok, "POST", "/api/v1/ingest/n-psa-1", `{"purity_pct":93}`)
	f.do(tok, "POST", "/api/v1/ingest/n-psa-1", `{"purity_pct":93}`)
	rec = f.do(tok, "POST", "/api/v1/ingest/n-psa-1", `{"purity_pct":93}`)
	wantProblem(t, rec, http.StatusTooManyRequests)
	if rec.Header().Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}

	// A batch: counts per device; one device wholly rejected.
	rec = f.do(gw, "POST", "/api/v1/ingest", `{"devices":[{"device":"s-psa-1","readings":{"purity_pct":94.5}},{"device":"s-psa-1","readings":{"purity_pct":101}}]}`)
	var batch IngestBatchResult
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &batch) != nil || batch.Accepted != 1 || batch.Rejected != 1 ||
		len(batch.Devices) != 2 || batch.Devices[1].Errors[0].Reason != "out_of_range" {
		t.Fatalf("batch: %d %s", rec.Code, rec.Body)
	}
	rec = f.do(gw, "POST", "/api/v1/ingest", `{"devices":[{"device":"s-psa-1","readings":"93"}]}`)
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "not_json") {
		t.Errorf("batch with nothing accepted: %d %s, want 400 naming not_json", rec.Code, rec.Body)
	}
	rec = f.do(gw, "POST", "/api/v1/ingest", `{"devices":[`+strings.Repeat(`{"device":"s-psa-1","readings":{}},`, MaxIngestBatchDevices)+`{"device":"s-psa-1","readings":{}}]}`)
	wantProblem(t, rec, http.StatusRequestEntityTooLarge)

	// Revoked: 401 at once.
	var list List[store.DeviceToken]
	f.ok("admin", "GET", "/api/v1/device-tokens?device=s-psa-1", nil, &list)
	if len(list.Items) != 1 || len(list.Items[0].Devices) != 2 {
		t.Fatalf("tokens of s-psa-1: %+v", list.Items)
	}
	if rec := f.do("admin", "DELETE", "/api/v1/device-tokens/"+list.Items[0].ID, nil); rec.Code != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", rec.Code, rec.Body)
	}
	wantProblem(t, f.do(gw, "POST", "/api/v1/ingest/s-psa-1", `{"purity_pct":93}`), http.StatusUnauthorized)

	// Deleting a device revokes the tokens made for it alone.
	if rec := f.do("admin", "DELETE", "/api/v1/devices/n-psa-1", nil); rec.Code != http.StatusNoContent {
		t.Fatalf("delete device: %d %s", rec.Code, rec.Body)
	}
	wantProblem(t, f.do(tok, "POST", "/api/v1/ingest/n-psa-1", `{"purity_pct":93}`), http.StatusUnauthorized)
	if strings.Contains(f.logs.String(), tok) || strings.Contains(f.logs.String(), gw) {
		t.Error("the log shows a device token")
	}
}

// TestDeviceTokenFromAnotherProcess: a device token made or revoked in the
// database by another process (`oxywatch device-token`) works, and stops
// working, in a running server within its reloads.
func TestDeviceTokenFromAnotherProcess(t *testing.T) {
	f, _ := ingestFixture(t, 1000)
	ctx := context.Background()
	other, err := store.OpenDeviceTokens(ctx, f.db, nil)
	if err != nil {
		t.Fatal(err)
	}
	secret, tok, err := other.Create(ctx, []plant.DeviceID{"n-psa-1", "n-con-2"}, "gprs gateway", "cli")
	if err != nil {
		t.Fatal(err)
	}
	// The server sees a token made elsewhere within its miss reload (200 ms).
	deadline := time.Now().Add(5 * time.Second)
	for rec := f.do(secret, "POST", "/api/v1/ingest/n-con-2", `{"purity_pct":93}`); rec.Code != http.StatusOK; rec = f.do(secret, "POST", "/api/v1/ingest/n-con-2", `{"purity_pct":93}`) {
		if time.Now().After(deadline) {
			t.Fatalf("a token made by another process does not work: %d %s", rec.Code, rec.Body)
		}
		time.Sleep(60 * time.Millisecond) // spaced: ten failures from one address would be refused as guessing
	}
	if err := other.Revoke(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	// A running server sees a revocation made elsewhere within its reload (2 s).
	deadline = time.Now().Add(10 * time.Second)
	for rec := f.do(secret, "POST", "/api/v1/ingest/n-con-2", `{"purity_pct":93}`); rec.Code != http.StatusUnauthorized; rec = f.do(secret, "POST", "/api/v1/ingest/n-con-2", `{"purity_pct":93}`) {
		if time.Now().After(deadline) {
			t.Fatalf("revoked by another process: %d, want 401", rec.Code)
		}
		time.Sleep(100 * time.Millisecond) // spacing the polls
	}
}

// FuzzParseIngestBatch: the batch envelope is device bytes; it never
// panics, and what it accepts names valid devices with readings.
func FuzzParseIngestBatch(f *testing.F) {
	for _, s := range []string{
		`{"devices":[{"device":"psa-1","readings":{"purity_pct":93}}]}`,
		`{"devices":[{"device":"psa-1","readings":[{"ts":1,"purity_pct":93}]},{"device":"c-2","readings":{}}]}`,
		`{"devices":[]}`, `{"devices":[{"device":"","readings":1}]}`, `[]`, `{"devices":null}`, `{"devices":[{"device":"a","readings":{}}]} x`,
		`{"devices":[{"device":"a\u0000","readings":{}}]}`, "\xff",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		batch, status, err := parseIngestBatch(b)
		if err != nil {
			if status != http.StatusBadRequest && status != http.StatusRequestEntityTooLarge {
				t.Fatalf("status %d for %v", status, err)
			}
			return
		}
		if len(batch.Devices) == 0 || len(batch.Devices) > MaxIngestBatchDevices {
			t.Fatalf("%d entries accepted", len(batch.Devices))
		}
		for _, e := range batch.Devices {
			if !plant.ValidDeviceID(string(e.Device)) || len(e.Readings) == 0 {
				t.Fatalf("entry %+v accepted", e)
			}
		}
	})
}

// The CSV import reads sms_number as people and spreadsheets write it; a
// number that is not E.164 rejects its row.
func TestCSVImportSMSNumber(t *testing.T) {
	f := newFixture(t)
	var res ImportResult
	f.ok("admin", "POST", "/api/v1/devices/import", "id,kind,region,sms_number\nm-1,psa,north,'+265 991-000 111\nm-2,psa,north,0991000111\n", &res)
	if res.Created != 1 || res.Rejected != 1 || !strings.Contains(res.Errors[0].Error, "E.164") {
		t.Fatalf("import: %+v", res)
	}
	var d plant.Device
	f.ok("admin", "GET", "/api/v1/devices/m-1", nil, &d)
	if d.SMSNumber != "+265991000111" {
		t.Errorf("sms_number %q", d.SMSNumber)
	}
	rec := f.do("admin", "GET", "/api/v1/devices?format=csv", nil)
	if !strings.Contains(rec.Body.String(), ",+265991000111,") {
		t.Errorf("export lacks the number as it is:\n%s", rec.Body)
	}
}

// BenchmarkHTTPIngest posts single readings and 100-reading backlogs
// through the handler into a real buffer (each request fsync'd before its
// answer): requests/s and readings/s.
func BenchmarkHTTPIngest(b *testing.B) {
	for _, n := range []int{1, 100} {
		b.Run(fmt.Sprintf("readings=%d", n), func(b *testing.B) {
			f, _ := ingestFixtureTB(b, 1<<30)
			tok := f.deviceToken("n-psa-1")
			var body strings.Builder
			body.WriteString("[")
			for i := range n {
				if i > 0 {
					body.WriteString(",")
				}
				fmt.Fprintf(&body, `{"ts":%d,"purity_pct":93.%d,"flow_lpm":300}`, testNow.Add(-time.Hour).Unix()+int64(i), i%10)
			}
			body.WriteString("]")
			payload := body.String()
			b.ResetTimer()
			for b.Loop() {
				if rec := f.do(tok, "POST", "/api/v1/ingest/n-psa-1", payload); rec.Code != http.StatusOK {
					b.Fatalf("%d %s", rec.Code, rec.Body)
				}
			}
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "readings/s")
		})
	}
}
