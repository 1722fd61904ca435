package app

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oxywatch/oxywatch/internal/testenv"
)

// ingestPost posts body to path with a device token (none when empty).
func (p *process) ingestPost(path, token, body string) (int, http.Header, string) {
	p.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, p.httpURL+path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// readLog returns what oxywatch logged so far.
func readLog(t *testing.T, p *process) string {
	t.Helper()
	b, err := os.ReadFile(p.log.Name())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func removeFile(t *testing.T, path string) {
	t.Helper()
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
}

// deviceTokenFor registers devs and makes one device token for them.
func (p *process) deviceTokenFor(devs ...string) string {
	p.t.Helper()
	for _, d := range devs {
		if code, body := p.do("PUT", "/api/v1/devices/"+d, `{"kind":"psa","facility":"zomba-dh","region":"south","country":"MW","report_interval_s":60}`); code != http.StatusCreated && code != http.StatusOK {
			p.t.Fatalf("register %s: %d %s", d, code, body)
		}
	}
	list, _ := json.Marshal(devs)
	code, body := p.do("POST", "/api/v1/device-tokens", `{"name":"test","devices":`+string(list)+`}`)
	if code != http.StatusCreated {
		p.t.Fatalf("create device token: %d %s", code, body)
	}
	var tok struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal([]byte(body), &tok); err != nil || !strings.HasPrefix(tok.Token, "oxd_") {
		p.t.Fatalf("device token answer %s: %v", body, err)
	}
	return tok.Token
}

// TestHTTPIngest is a device without MQTT posting to the real server:
// wrong or missing token 401, another device's 403, a bad body 400 with
// its reason, a too big one 413, and a 2xx reading is in InfluxDB after a
// SIGKILL of oxywatch right after the answer.
func TestHTTPIngest(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test; run without -short (make test does)")
	}
	in := testenv.StartInfluxd(t, "")
	block, _ := embedded(t)
	p := newProcess(t, in.URL, block+"admin_token: "+degradedToken+"\n")
	p.startWithin(30 * time.Second)
	tok := p.deviceTokenFor("conc-1")
	other := p.deviceTokenFor("conc-2")
	now := time.Now().UTC()
	good := fmt.Sprintf(`{"ts":%q,"purity_pct":93.5,"flow_lpm":5,"state":"running"}`, now.Add(-2*time.Minute).Format(time.RFC3339))

	for _, c := range []struct {
		name, path, token, body string
		want                    int
		in                      string // the answer must hold this
	}{
		{"no token", "/api/v1/ingest/conc-1", "", good, 401, "missing device token"},
		{"wrong token", "/api/v1/ingest/conc-1", "oxd_not-a-token", good, 401, "unknown or revoked"},
		{"an API token", "/api/v1/ingest/conc-1", degradedToken, good, 401, "unknown or revoked"},
		{"another device's token", "/api/v1/ingest/conc-1", other, good, 403, "not for device conc-1"},
		{"batch naming another device", "/api/v1/ingest", tok, `{"devices":[{"device":"conc-1","readings":` + good + `},{"device":"conc-2","readings":` + good + `}]}`, 403, "conc-2"},
		{"out of range", "/api/v1/ingest/conc-1", tok, `{"purity_pct":120}`, 400, "out_of_range"},
		{"not JSON", "/api/v1/ingest/conc-1", tok, `purity=93`, 400, "not_json"},
		// An unknown state word is kept as state unknown (and counted), not a refused reading.
		{"unknown state", "/api/v1/ingest/conc-1", tok, `{"purity_pct":93,"state":"exploded"}`, 200, `"accepted":1`},
		{"too big", "/api/v1/ingest/conc-1", tok, `[` + strings.Repeat(`{"purity_pct":93},`, 5000) + `{"purity_pct":93}]`, 413, "too_big"},
		{"bad batch", "/api/v1/ingest", tok, `{"devices":[{"device":"conc-1","reading":{}}]}`, 400, "not_json"},
	} {
		code, hdr, body := p.ingestPost(c.path, c.token, c.body)
		if code != c.want || !strings.Contains(body, c.in) {
			t.Errorf("%s: %d %s, want %d with %q", c.name, code, body, c.want, c.in)
		}
		if code >= 400 && !strings.HasPrefix(hdr.Get("Content-Type"), "application/problem+json") {
			t.Errorf("%s: Content-Type %q, want application/problem+json", c.name, hdr.Get("Content-Type"))
		}
		if strings.Contains(body, tok) {
			t.Errorf("%s: the answer shows the token", c.name)
		}
	}
	_, metrics := p.get("/metrics")
	for _, m := range []string{`oxywatch_ingest_rejected_total{reason="out_of_range"} 1`, `oxywatch_ingest_rejected_total{reason="too_big"} 1`,
		`oxywatch_http_ingest_requests_total{result="unauthorized"} 3`, `oxywatch_ingest_unknown_words_total{field="state"} 1`} {
		if !strings.Contains(metrics, m) {
			t.Errorf("/metrics lacks %s", m)
		}
	}
	_, dev := p.get("/api/v1/devices/conc-1")
	if !strings.Contains(dev, "unknown_enum") && !strings.Contains(dev, "too_big") {
		t.Errorf("conc-1's last_error does not name the last rejection: %s", dev)
	}

	// A backlog with one bad reading: the rest goes in, the answer counts
	// both; then a batch; then SIGKILL right after the answer.
	backlog := fmt.Sprintf(`[{"ts":%d,"purity_pct":93.1},{"ts":%d,"purity_pct":-3},{"ts":%d,"purity_pct":93.3}]`,
		now.Add(-5*time.Minute).Unix(), now.Add(-4*time.Minute).Unix(), now.Add(-3*time.Minute).Unix())
	code, _, body := p.ingestPost("/api/v1/ingest/conc-1", tok, backlog)
	if code != http.StatusOK || !strings.Contains(body, `"accepted":2`) || !strings.Contains(body, `"rejected":1`) || !strings.Contains(body, `"index":1`) {
		t.Fatalf("backlog with one bad reading: %d %s, want 200 with accepted 2, rejected 1 (index 1)", code, body)
	}
	gw := p.deviceTokenFor("conc-3", "conc-4")
	batch := fmt.Sprintf(`{"devices":[{"device":"conc-3","readings":{"ts":%d,"purity_pct":94}},{"device":"conc-4","readings":[{"ts":%d,"purity_pct":95}]}]}`,
		now.Add(-time.Minute).Unix(), now.Add(-time.Minute).Unix())
	if code, _, body := p.ingestPost("/api/v1/ingest", gw, batch); code != http.StatusOK || !strings.Contains(body, `"accepted":2`) {
		t.Fatalf("batch: %d %s, want 200 with accepted 2", code, body)
	}
	code, _, body = p.ingestPost("/api/v1/ingest/conc-1", tok, good)
	if code != http.StatusOK || !strings.Contains(body, `"accepted":1`) {
		t.Fatalf("good reading: %d %s", code, body)
	}
	p.kill() // right after the answer: the sender had no time to write it
	p.startWithin(30 * time.Second)
	waitCount(t, in, 6, 60*time.Second) // with the reading of unknown state

	// A revoked token stops working.
	code, list := p.get("/api/v1/device-tokens?device=conc-2")
	var toks struct{ Items []struct{ ID string } }
	if err := json.Unmarshal([]byte(list), &toks); code != http.StatusOK || err != nil || len(toks.Items) != 1 {
		t.Fatalf("list device tokens: %d %s", code, list)
	}
	if code, body := p.do("DELETE", "/api/v1/device-tokens/"+toks.Items[0].ID, ""); code != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", code, body)
	}
	if code, _, _ := p.ingestPost("/api/v1/ingest/conc-2", other, good); code != http.StatusUnauthorized {
		t.Errorf("revoked token: %d, want 401", code)
	}
	log := readLog(t, p)
	for _, secret := range []string{tok, other, gw} {
		if strings.Contains(log, secret) {
			t.Error("the server log shows a device token")
		}
	}
}

// TestHTTPIngestDiskFull: when the buffer cannot make readings durable
// the device gets 503 with Retry-After, and its readings go in once space
// returns.
func TestHTTPIngestDiskFull(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test; run without -short (make test does)")
	}
	in := testenv.StartInfluxd(t, "")
	block, _ := embedded(t)
	p := newProcess(t, in.URL, block+"admin_token: "+degradedToken+"\n")
	mountTmpfs(t, p, "64m")
	p.startWithin(30 * time.Second)
	tok := p.deviceTokenFor("conc-9")
	filler := filepath.Join(p.dataDir(), "filler")
	fill(t, filler)
	ts := time.Now().Add(-time.Minute).Unix()
	body := fmt.Sprintf(`[{"ts":%d,"purity_pct":93},{"ts":%d,"purity_pct":94}]`, ts-1, ts)
	var hdr http.Header
	var answer string
	testenv.Eventually(t, 20*time.Second, "503 while the disk is full", func() bool {
		var code int
		code, hdr, answer = p.ingestPost("/api/v1/ingest/conc-9", tok, body)
		return code == http.StatusServiceUnavailable
	})
	if hdr.Get("Retry-After") == "" || !strings.Contains(answer, "send them again") {
		t.Errorf("503 answer: Retry-After %q, body %s", hdr.Get("Retry-After"), answer)
	}
	removeFile(t, filler)
	testenv.Eventually(t, 60*time.Second, "200 once space returns", func() bool {
		code, _, _ := p.ingestPost("/api/v1/ingest/conc-9", tok, body)
		return code == http.StatusOK
	})
	waitCount(t, in, 2, 60*time.Second)
}
