package app

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oxywatch/oxywatch/internal/plant"
	"github.com/oxywatch/oxywatch/internal/testenv"
)

// postSMS posts an inbound SMS in Africa's Talking's shape (form fields
// from, text, to, id, date) as the provider does.
func postSMS(t *testing.T, base, token, from, text string) int {
	t.Helper()
	form := url.Values{"from": {from}, "text": {text}, "to": {"20880"}, "id": {"ATXid_" + from}, "date": {time.Now().UTC().Format(time.RFC3339)}}
	resp, err := http.PostForm(base+InboundSMSPath+"?token="+url.QueryEscape(token), form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestAlarmSMSRaisesAlert: a PSA plant's alarm module, registered with its
// SMS number, texts "PSA1 COMPRESSOR FAULT"; the alert fires for that
// device. A text no pattern reads is counted and kept as the device's last
// error; an SMS from an unknown number is handled as a reply, as before.
func TestAlarmSMSRaisesAlert(t *testing.T) {
	s := newStack(t)
	patterns := filepath.Join(t.TempDir(), "sms.yaml")
	if err := os.WriteFile(patterns, []byte(`models:
  OGSI-OG15:
    - name: o2_low
      match: '(?i)O2 LOW (?P<purity_pct>[0-9.]+)'
      alarms: [low_purity]
`), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := s.config(t, t.TempDir())
	cfg.AdminToken = "sms-ingest-admin-token-0123456789"
	cfg.Notify.SMS.InboundToken = "inbound-secret-4711"
	cfg.Ingest.SMS.PatternsFile = patterns
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	a := startApp(t, cfg)
	base := "http://" + a.HTTPAddr
	c := client{t: t, base: base, token: cfg.AdminToken}
	const module = "+265991000111"
	if code := c.do("PUT", "/api/v1/devices/psa-1", plant.Device{Kind: plant.KindPSA, Model: "OGSI-OG15", Facility: "zomba-dh",
		Region: "south", Country: "MW", ReportIntervalS: 3600, SMSNumber: module}, nil); code != http.StatusCreated {
		t.Fatalf("register psa-1: %d", code)
	}
	// Another device may not take the same number.
	if code := c.do("PUT", "/api/v1/devices/psa-2", plant.Device{Kind: plant.KindPSA, SMSNumber: module}, nil); code != http.StatusConflict {
		t.Errorf("second device with the same sms_number: %d, want 409", code)
	}
	if code := c.do("PUT", "/api/v1/devices/psa-3", plant.Device{Kind: plant.KindPSA, SMSNumber: "0991000111"}, nil); code != http.StatusBadRequest {
		t.Errorf("sms_number not E.164: %d, want 400", code)
	}

	if code := postSMS(t, base, cfg.Notify.SMS.InboundToken, "265 991 000111", "PSA1 COMPRESSOR FAULT"); code != http.StatusOK {
		t.Fatalf("inbound alarm SMS: %d", code)
	}
	var firing struct{ Items []plant.Alert }
	testenv.Eventually(t, 20*time.Second, "device_fault firing for psa-1", func() bool {
		time.Sleep(100 * time.Millisecond) // pacing the polls under the API's rate limit
		c.do("GET", "/api/v1/alerts?device=psa-1&state=firing", nil, &firing)
		for _, al := range firing.Items {
			if al.Rule == "device_fault" {
				return true
			}
		}
		return false
	})
	var dev plant.Device
	c.do("GET", "/api/v1/devices/psa-1", nil, &dev)
	if dev.LastReading == nil || len(dev.LastReading.Alarms) != 1 || dev.LastReading.Alarms[0] != "compressor_fault" ||
		time.Since(dev.LastReading.Time) > time.Minute {
		t.Errorf("last reading %+v: want alarm compressor_fault stamped with the time received", dev.LastReading)
	}

	// "POWER FAIL" carries no measured value and still goes in (power_loss
	// then fires after its 2 minutes).
	if code := postSMS(t, base, cfg.Notify.SMS.InboundToken, module, "PSA1 POWER FAIL"); code != http.StatusOK {
		t.Fatalf("power fail SMS: %d", code)
	}
	testenv.Eventually(t, 20*time.Second, "power none from the SMS", func() bool {
		time.Sleep(100 * time.Millisecond) // pacing the polls under the API's rate limit
		c.do("GET", "/api/v1/devices/psa-1", nil, &dev)
		return dev.LastReading != nil && dev.LastReading.Power == plant.PowerNone
	})

	// The model's own pattern reads its wording.
	if code := postSMS(t, base, cfg.Notify.SMS.InboundToken, module, "O2 LOW 84.5 CHECK PLANT"); code != http.StatusOK {
		t.Fatalf("model pattern SMS: %d", code)
	}
	testenv.Eventually(t, 20*time.Second, "purity 84.5 from the model pattern", func() bool {
		time.Sleep(100 * time.Millisecond) // pacing the polls under the API's rate limit
		c.do("GET", "/api/v1/devices/psa-1", nil, &dev)
		return dev.LastReading != nil && dev.LastReading.Purity != nil && *dev.LastReading.Purity == 84.5
	})

	// Unknown text: counted, kept as the last error with its raw text.
	const odd = "PSA1 ZEOLITE BED 2 VALVE STUCK"
	if code := postSMS(t, base, cfg.Notify.SMS.InboundToken, module, odd); code != http.StatusOK {
		t.Fatalf("unknown text: %d", code)
	}
	c.do("GET", "/api/v1/devices/psa-1", nil, &dev)
	if !strings.Contains(dev.LastError, odd) || !strings.Contains(dev.LastError, "sms_unmatched") {
		t.Errorf("last_error %q: want sms_unmatched with the raw text", dev.LastError)
	}
	if v := metricValue(t, a, "oxywatch_ingest_rejected_total", `reason="sms_unmatched"`); v != 1 {
		t.Errorf("sms_unmatched rejections %v, want 1", v)
	}
	if v := metricValue(t, a, "oxywatch_notify_inbound_sms_total", `result="device_reading"`); v != 3 {
		t.Errorf("device_reading SMS %v, want 3", v)
	}

	// An unknown number is a reply, as before.
	if code := postSMS(t, base, cfg.Notify.SMS.InboundToken, "+265888000222", "ALARM LOW PURITY 80%"); code != http.StatusOK {
		t.Fatalf("unknown number: %d", code)
	}
	if v := metricValue(t, a, "oxywatch_notify_inbound_sms_total", `result="unknown_sender"`); v != 1 {
		t.Errorf("unknown_sender %v, want 1", v)
	}
	// A wrong webhook token is refused, device number or not.
	if code := postSMS(t, base, "wrong", module, "PSA1 COMPRESSOR FAULT"); code != http.StatusForbidden {
		t.Errorf("wrong inbound token: %d, want 403", code)
	}
}
