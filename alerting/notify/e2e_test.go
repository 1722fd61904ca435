package notify_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/oxywatch/oxywatch/alerting"
	"github.com/oxywatch/oxywatch/alerting/notify"
	"github.com/oxywatch/oxywatch/internal/config"
	"github.com/oxywatch/oxywatch/internal/plant"
	"github.com/oxywatch/oxywatch/internal/store"
)

// notify hears when the alerting writer's transaction commits.
var _ alerting.Committer = (*notify.Service)(nil)

// smsArrival is one request at the fake gateway.
type smsArrival struct {
	to, text string
	at       time.Time
}

// TestEndToEndPlantDownToSMS runs the real alerting engine and notifier on
// one SQLite file: a plant reporting state "fault" becomes a device_fault
// alert, whose SMS reaches a loopback gateway; the engineer's "ACK" reply
// acknowledges it and the colleague told with her hears who took it. The
// poll interval is an hour, so every SMS went out because the alerting
// writer's commit woke notify (BenchmarkCommitToProvider measures the
// latency).
func TestEndToEndPlantDownToSMS(t *testing.T) {
	arrivals := make(chan smsArrival, 64)
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b struct{ To, Text string }
		raw, _ := io.ReadAll(r.Body)
		json.Unmarshal(raw, &b)
		arrivals <- smsArrival{b.To, b.Text, time.Now()}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer gw.Close()

	db, err := store.OpenSQLiteFile(filepath.Join(t.TempDir(), "oxywatch.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cfg := config.Defaults().Notify
	cfg.GroupWindow, cfg.RateLimit, cfg.SMSDailyBudget = 0, 0, 0
	cfg.PollInterval = time.Hour
	cfg.SMS.Provider, cfg.SMS.HTTP.URL, cfg.SMS.InboundToken = "http", gw.URL, "in-secret"
	senders, err := notify.SendersFromConfig(cfg, gw.Client())
	if err != nil {
		t.Fatal(err)
	}
	n, err := notify.New(notify.Options{DB: db, Config: cfg, Senders: senders, Registerer: prometheus.NewRegistry(),
		Lookup: func(_ context.Context, a plant.Alert) (string, plant.Kind) { return "Mulago", plant.KindPSA }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, c := range []notify.Contact{
		{Name: "Grace", Phone: "+256772000111", Facilities: []string{"mulago"}, OnCall: ""},
		{Name: "Peter", Phone: "+256772000222", Facilities: []string{"mulago"}},
	} {
		if _, err := n.CreateContact(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	devices := map[plant.DeviceID]plant.Device{}
	const plants = 40
	for i := range plants {
		id := plant.DeviceID(fmt.Sprintf("psa-%02d", i))
		devices[id] = plant.Device{ID: id, Kind: plant.KindPSA, Facility: "mulago", Region: "central", Country: "UG", ReportIntervalS: 3600}
	}
	eng, err := alerting.New(ctx, alerting.Options{DB: db, Registerer: prometheus.NewRegistry(), Notifier: n,
		Lookup: func(id plant.DeviceID) (plant.Device, bool) { d, ok := devices[id]; return d, ok }})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); eng.Run(ctx) }()
	go func() { defer wg.Done(); n.Run(ctx) }()
	defer wg.Wait()
	defer cancel()

	var grace []string // texts Grace got
	for i := range plants {
		id := plant.DeviceID(fmt.Sprintf("psa-%02d", i))
		eng.ObserveReading(plant.Reading{Device: id, Time: time.Now(), State: plant.StateFault, Alarms: []string{"compressor_fault"}}, true)
		for range 2 { // Grace and Peter
			a := waitArrival(t, arrivals)
			if !strings.Contains(a.text, string(id)) {
				t.Fatalf("got SMS %q, want one about %s", a.text, id)
			}
			if a.to == "+256772000111" {
				grace = append(grace, a.text)
			}
		}
	}

	// Grace acknowledges the first plant's alert by SMS reply.
	code := ackCode(t, grace[0])
	inbound := httptest.NewServer(n.InboundSMS(eng))
	defer inbound.Close()
	form := url.Values{"from": {"+256772000111"}, "to": {"20880"}, "text": {"ACK " + code}, "id": {"x"}, "date": {"2026-03-10"}}
	resp, err := http.PostForm(inbound.URL+"/sms/inbound?token=in-secret", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("inbound reply got %d", resp.StatusCode)
	}
	a := waitArrival(t, arrivals)
	if a.to != "+256772000222" || !strings.Contains(a.text, "ACKED") || !strings.Contains(a.text, "Grace") {
		t.Fatalf("got %+v, want Peter told that Grace acknowledged", a)
	}
	alerts, err := eng.Alerts(ctx, alerting.AlertFilter{})
	if err != nil {
		t.Fatal(err)
	}
	acked := 0
	for _, al := range alerts {
		if al.State == plant.AlertAcknowledged {
			acked++
			if al.AckedBy != "Grace" || al.AckCode != code {
				t.Errorf("got %+v, want acknowledged by Grace with code %s", al, code)
			}
		}
	}
	if acked != 1 {
		t.Errorf("got %d acknowledged alerts, want 1", acked)
	}
}

func waitArrival(t *testing.T, c <-chan smsArrival) smsArrival {
	t.Helper()
	select {
	case a := <-c:
		return a
	case <-time.After(10 * time.Second):
		t.Fatal("no SMS reached the gateway within 10s")
	}
	return smsArrival{}
}

// ackCode is the code an SMS asks to reply with.
func ackCode(t *testing.T, text string) string {
	t.Helper()
	_, code, ok := strings.Cut(text, "reply ACK ")
	if !ok || code == "" {
		t.Fatalf("SMS %q carries no ack code", text)
	}
	return code
}
