package app

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oxywatch/oxywatch/internal/plant"
	"github.com/oxywatch/oxywatch/internal/testenv"
)

// gateway is a loopback SMS gateway speaking the generic HTTP JSON shape
// (POST {"to","text","idempotency_key"}).
type gateway struct {
	mu   sync.Mutex
	msgs []struct{ To, Text, Key string }
}

func (g *gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var m struct {
		To   string `json:"to"`
		Text string `json:"text"`
		Key  string `json:"idempotency_key"`
	}
	if err := json.NewDecoder(r.Body).Decode(&m); err != nil || m.To == "" || m.Text == "" {
		http.Error(w, "bad message", http.StatusBadRequest)
		return
	}
	g.mu.Lock()
	g.msgs = append(g.msgs, struct{ To, Text, Key string }{m.To, m.Text, m.Key})
	g.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
}

func (g *gateway) to(phone string) []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []string
	for _, m := range g.msgs {
		if m.To == phone {
			out = append(out, m.Text)
		}
	}
	return out
}

// client calls the app's API with a bearer token.
type client struct {
	t     *testing.T
	base  string
	token string
}

func (c client) do(method, path string, body any, out any) int {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.base+path, rd)
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			c.t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
	if resp.StatusCode >= 300 {
		c.t.Logf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	return resp.StatusCode
}

// TestFaultToSMSToAck follows one fault through every part: an MQTT
// reading from a plant in fault raises an alert, the facility engineer gets
// an SMS with the ack code, acknowledges through the API, and the alert and
// the delivery log say so.
func TestFaultToSMSToAck(t *testing.T) {
	s := newStack(t)
	gw := &gateway{}
	srv := httptest.NewServer(gw)
	t.Cleanup(srv.Close)

	cfg := s.config(t, t.TempDir())
	cfg.AdminToken = "e2e-admin-token-0123456789abcdef"
	cfg.Notify.SMS.Provider = "http"
	cfg.Notify.SMS.HTTP.URL = srv.URL
	cfg.Notify.GroupWindow = 0
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	a := startApp(t, cfg)
	if a.NewAdminToken() != "" {
		t.Error("an admin token was generated although admin_token is configured")
	}
	c := client{t: t, base: "http://" + a.HTTPAddr, token: cfg.AdminToken}

	if code := c.do("PUT", "/api/v1/devices/psa-007", plant.Device{
		Kind: plant.KindPSA, Facility: "mbale-rrh", Region: "east", Country: "UG", RatedFlowLPM: 500, ReportIntervalS: 60,
	}, nil); code != http.StatusCreated && code != http.StatusOK {
		t.Fatalf("put device: %d", code)
	}
	const phone = "+256772000001"
	if code := c.do("POST", "/api/v1/contacts", map[string]any{
		"name": "Grace (biomed, Mbale)", "phone": phone, "facilities": []string{"mbale-rrh"}, "regions": []string{"east"},
	}, nil); code != http.StatusCreated {
		t.Fatalf("create contact: %d", code)
	}

	// A French-speaking engineer, set through the API, is written to in French.
	const frPhone = "+221770000111"
	var fr plant.Contact
	if code := c.do("POST", "/api/v1/contacts", map[string]any{
		"name": "Aïssatou (biomed)", "phone": frPhone, "facilities": []string{"mbale-rrh"}, "language": "fr-SN",
	}, &fr); code != http.StatusCreated || fr.Language != "fr" {
		t.Fatalf("create French contact: %d %+v, want language fr", code, fr)
	}
	if code := c.do("POST", "/api/v1/contacts", map[string]any{"name": "X", "phone": "+256772000009", "language": "klingon"}, nil); code != http.StatusBadRequest {
		t.Errorf("a contact in an unknown language: %d, want 400", code)
	}

	p := newPublisher(t, s.mq.URL, "psa-007")
	pub(t, p, "o2/psa-007/telemetry", fmt.Sprintf(`{"ts":%d,"purity_pct":71.5,"pressure_bar":0.4,"flow_lpm":0,"runtime_h":8123,"state":"fault","power":"mains","alarms":["compressor_fault"]}`,
		time.Now().UnixMilli()))

	var firing struct{ Items []plant.Alert }
	testenv.Eventually(t, 20*time.Second, "a firing alert for psa-007", func() bool {
		c.do("GET", "/api/v1/alerts?device=psa-007&state=firing", nil, &firing)
		return len(firing.Items) > 0
	})
	var fault plant.Alert
	for _, al := range firing.Items {
		if al.Severity == plant.SeverityCritical {
			fault = al
		}
	}
	if fault.ID == 0 || fault.Facility != "mbale-rrh" || fault.Region != "east" {
		t.Fatalf("alerts %+v: want a critical one at mbale-rrh, east", firing.Items)
	}

	testenv.Eventually(t, 20*time.Second, "an SMS to the facility engineer", func() bool { return len(gw.to(phone)) > 0 })
	sms := gw.to(phone)[0]
	if fault.AckCode == "" || !strings.Contains(sms, fault.AckCode) || len([]rune(sms)) > 160 {
		t.Errorf("SMS %q (%d chars): want the ack code %q in one 160-character segment", sms, len([]rune(sms)), fault.AckCode)
	}

	testenv.Eventually(t, 20*time.Second, "an SMS to the French-speaking engineer", func() bool { return len(gw.to(frPhone)) > 0 })
	if frSMS := gw.to(frPhone)[0]; !strings.Contains(frSMS, "REÇU "+fault.AckCode) {
		t.Errorf("SMS to the French contact %q: want it in French, asking REÇU %s", frSMS, fault.AckCode)
	}

	var acked plant.Alert
	if code := c.do("POST", fmt.Sprintf("/api/v1/alerts/%d/ack", fault.ID), map[string]string{"note": "on my way"}, &acked); code != http.StatusOK {
		t.Fatalf("ack: %d", code)
	}
	if acked.State != plant.AlertAcknowledged || acked.AckedBy == "" {
		t.Errorf("after ack: state %s, acked by %q", acked.State, acked.AckedBy)
	}
	var dl struct {
		Items []struct {
			AlertID int64  `json:"alert_id"`
			State   string `json:"state"`
			Channel string `json:"channel"`
		}
	}
	c.do("GET", fmt.Sprintf("/api/v1/deliveries?alert_id=%d", fault.ID), nil, &dl)
	sent := false
	for _, d := range dl.Items {
		sent = sent || (d.AlertID == fault.ID && d.State == "sent" && d.Channel == "sms")
	}
	if !sent {
		t.Errorf("delivery log %+v: want the SMS marked sent", dl.Items)
	}

	// The dashboard is served by the same process, without a token.
	resp, err := http.Get(c.base + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte("<title>OxyWatch")) {
		t.Errorf("dashboard: %d %.80q", resp.StatusCode, body)
	}
}

// TestReportFromDataDir runs `oxywatch report uptime` on the data dir a
// server wrote: the report sees the device's timeline, including the
// interval still open when the server stopped, although the device was
// deleted from the registry since. (Beside a running server it
// sees the open interval as of the engine's last checkpoint, a minute at most.)
func TestReportFromDataDir(t *testing.T) {
	s := newStack(t)
	cfg := s.config(t, t.TempDir())
	a, err := New(t.Context(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	testenv.Eventually(t, 20*time.Second, "ingester connected", func() bool { return a.intake.Connected() })
	if _, err := a.devs.Put(t.Context(), plant.Device{ID: "conc-101", Kind: plant.KindConcentrator, Facility: "kiryandongo-hc4", Region: "west", Country: "UG", RatedFlowLPM: 10, ReportIntervalS: 60}); err != nil {
		t.Fatal(err)
	}
	p := newPublisher(t, s.mq.URL, "conc-101")
	// The device was registered just now: report readings from now on, a
	// few seconds apart (the report counts a device from its registration).
	now := time.Now()
	for i := range 30 {
		pub(t, p, "o2/conc-101/telemetry", fmt.Sprintf(`{"ts":%d,"purity_pct":93,"flow_lpm":5,"runtime_h":%d,"state":"running","power":"mains"}`,
			now.Add(time.Duration(i)*2*time.Second).UnixMilli(), 100+i))
	}
	testenv.Eventually(t, 20*time.Second, "all 30 readings taken in", func() bool {
		st, ok := a.ingest.Fleet().Get("conc-101")
		return ok && st.LastReading != nil && st.LastReading.Runtime != nil && *st.LastReading.Runtime == 129
	})
	// Decommissioned before the report is run: it still counts for the
	// time it existed.
	if err := a.devs.Delete(t.Context(), "conc-101"); err != nil {
		t.Fatal(err)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	tool, closeDeps, err := OpenReports(t.Context(), cfg, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer closeDeps()
	var out bytes.Buffer
	from, to := now.Add(-time.Hour).Format(time.RFC3339), time.Now().Add(time.Hour).Format(time.RFC3339)
	write, err := tool.Uptime(t.Context(), ReportRequest{From: from, To: to, Group: "device", Format: "csv"})
	if err == nil {
		err = write(&out)
	}
	if err != nil {
		t.Fatalf("report: %v", err)
	}
	rows, err := csv.NewReader(&out).ReadAll()
	if err != nil || len(rows) != 2 {
		t.Fatalf("report: %v\n%v", err, rows)
	}
	row := map[string]string{}
	for i, h := range rows[0] {
		row[h] = rows[1][i]
	}
	if row["key"] != "conc-101" || row["region"] != "west" {
		t.Errorf("report row %v: want conc-101 in west", row)
	}
	// The span is seconds long, so hours round to 0; the percentages show it.
	if up, _ := strconv.ParseFloat(row["uptime_pct"], 64); up < 50 {
		t.Errorf("uptime_pct %q: want the running time the readings show; row %v", row["uptime_pct"], row)
	}
}

// TestAckResolvedIsConflict: acknowledging twice is harmless, but
// acknowledging a resolved alert answers 409, not 500.
func TestAckResolvedIsConflict(t *testing.T) {
	s := newStack(t)
	cfg := s.config(t, t.TempDir())
	cfg.AdminToken = "e2e-admin-token-0123456789abcdef"
	a := startApp(t, cfg)
	c := client{t: t, base: "http://" + a.HTTPAddr, token: cfg.AdminToken}
	p := newPublisher(t, s.mq.URL, "psa-008")
	pub(t, p, "o2/psa-008/telemetry", fmt.Sprintf(`{"ts":%d,"purity_pct":60,"flow_lpm":0,"state":"fault","alarms":["dryer_fault"]}`, time.Now().UnixMilli()))
	var firing struct{ Items []plant.Alert }
	testenv.Eventually(t, 20*time.Second, "a firing alert for psa-008", func() bool {
		c.do("GET", "/api/v1/alerts?device=psa-008&state=firing", nil, &firing)
		return len(firing.Items) > 0
	})
	id := firing.Items[0].ID
	if code := c.do("POST", fmt.Sprintf("/api/v1/alerts/%d/ack", id), map[string]string{}, nil); code != http.StatusOK {
		t.Fatalf("first ack: %d", code)
	}
	if code := c.do("POST", fmt.Sprintf("/api/v1/alerts/%d/ack", id), map[string]string{}, nil); code != http.StatusOK {
		t.Errorf("second ack: %d, want 200 (acknowledging is idempotent)", code)
	}
	pub(t, p, "o2/psa-008/telemetry", fmt.Sprintf(`{"ts":%d,"purity_pct":93.5,"flow_lpm":300,"pressure_bar":4.5,"state":"running","power":"mains"}`, time.Now().UnixMilli()+1))
	testenv.Eventually(t, 20*time.Second, "the alert resolved", func() bool {
		var al plant.Alert
		c.do("GET", fmt.Sprintf("/api/v1/alerts/%d", id), nil, &al)
		return al.State == plant.AlertResolved
	})
	if code := c.do("POST", fmt.Sprintf("/api/v1/alerts/%d/ack", id), map[string]string{}, nil); code != http.StatusConflict {
		t.Errorf("ack of a resolved alert: %d, want 409", code)
	}
	if code := c.do("POST", "/api/v1/alerts/999999/ack", map[string]string{}, nil); code != http.StatusNotFound {
		t.Errorf("ack of an unknown alert: %d, want 404", code)
	}
}

// TestRemovedDeviceStopsAlerting: deleting a device through the API
// resolves its open alerts at once.
func TestRemovedDeviceStopsAlerting(t *testing.T) {
	s := newStack(t)
	cfg := s.config(t, t.TempDir())
	cfg.AdminToken = "e2e-admin-token-0123456789abcdef"
	a := startApp(t, cfg)
	c := client{t: t, base: "http://" + a.HTTPAddr, token: cfg.AdminToken}
	if code := c.do("PUT", "/api/v1/devices/psa-009", plant.Device{Kind: plant.KindPSA, Facility: "gulu-rrh", Region: "north", Country: "UG", ReportIntervalS: 60}, nil); code >= 300 {
		t.Fatalf("put device: %d", code)
	}
	p := newPublisher(t, s.mq.URL, "psa-009")
	pub(t, p, "o2/psa-009/telemetry", fmt.Sprintf(`{"ts":%d,"purity_pct":60,"flow_lpm":0,"state":"fault","alarms":["compressor_fault"]}`, time.Now().UnixMilli()))
	var list struct{ Items []plant.Alert }
	testenv.Eventually(t, 20*time.Second, "a firing alert for psa-009", func() bool {
		c.do("GET", "/api/v1/alerts?device=psa-009&state=firing", nil, &list)
		return len(list.Items) > 0
	})
	if code := c.do("DELETE", "/api/v1/devices/psa-009", nil, nil); code != http.StatusNoContent && code != http.StatusOK {
		t.Fatalf("delete device: %d", code)
	}
	testenv.Eventually(t, 20*time.Second, "psa-009's alerts resolved", func() bool {
		c.do("GET", "/api/v1/alerts?device=psa-009&state=firing", nil, &list)
		return len(list.Items) == 0
	})
}
