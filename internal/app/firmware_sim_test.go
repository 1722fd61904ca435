package app

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oxywatch/oxywatch/firmware-sim/httppub"
	"github.com/oxywatch/oxywatch/firmware-sim/sim"
	"github.com/oxywatch/oxywatch/internal/plant"
	"github.com/oxywatch/oxywatch/internal/testenv"
)

var buildSim = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "firmware-sim-bin-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "firmware-sim")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/oxywatch/oxywatch/firmware-sim").CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build firmware-sim: %v\n%s", err, out)
	}
	return bin, nil
})

// TestFirmwareSimOverHTTP runs firmware-sim --protocol http against the
// real server: a gateway token for the fleet, every payload acknowledged
// with 2xx, every reading sent in InfluxDB.
func TestFirmwareSimOverHTTP(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test; run without -short (make test does)")
	}
	bin, err := buildSim()
	if err != nil {
		t.Fatal(err)
	}
	in := testenv.StartInfluxd(t, "")
	block, _ := embedded(t)
	p := newProcess(t, in.URL, block+"admin_token: "+degradedToken+"\n")
	p.startWithin(30 * time.Second)

	out, err := exec.Command(bin, "--write-fleet", "-", "--devices", "12").Output()
	if err != nil {
		t.Fatal(err)
	}
	// Producers only: the count below is of purity_pct points.
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	fleet, ids := []string{lines[0]}, []string{}
	for _, l := range lines[1:] {
		if f := strings.Split(l, ","); f[1] == "psa" || f[1] == "concentrator" {
			fleet, ids = append(fleet, l), append(ids, f[0])
		}
	}
	dir := t.TempDir()
	fleetFile := filepath.Join(dir, "fleet.csv")
	if err := os.WriteFile(fleetFile, []byte(strings.Join(fleet, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, body := p.do("POST", "/api/v1/devices/import", strings.Join(fleet, "\n")+"\n"); code != 200 {
		t.Fatalf("import fleet: %d %s", code, body)
	}
	tok := p.deviceTokenFor(ids...)
	tokFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokFile, []byte("# gateway token for the whole fleet\n"+tok+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--protocol", "http", "--url", p.httpURL, "--device-token-file", tokFile, "--fleet", fleetFile,
		"--speed", "60", "--duration", "6s", "--random-faults", "0", "--gsm-drops", "0", "--progress", "1h")
	res, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("firmware-sim: %v\n%s", err, res)
	}
	m := regexp.MustCompile(`(\d+) sent .* (\d+) payloads acknowledged, (\d+) publish errors`).FindStringSubmatch(string(res))
	if m == nil {
		t.Fatalf("no summary line in:\n%s", res)
	}
	sent, _ := strconv.Atoi(m[1])
	if m[3] != "0" || m[2] == "0" || sent == 0 {
		t.Fatalf("firmware-sim: %s sent, %s acknowledged, %s errors:\n%s", m[1], m[2], m[3], res)
	}
	t.Logf("firmware-sim over HTTP: %d readings sent in %s payloads, all acknowledged", sent, m[2])
	waitCount(t, in, sent, 60*time.Second)
}

// TestFirmwareSimSMSModule: firmware-sim's SMS alarm module texts a
// compressor fault to the real inbound webhook; the alert fires.
func TestFirmwareSimSMSModule(t *testing.T) {
	s := newStack(t)
	cfg := s.config(t, t.TempDir())
	cfg.AdminToken = "sms-module-admin-token-0123456789"
	cfg.Notify.SMS.InboundToken = "inbound-secret-0815"
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	a := startApp(t, cfg)
	base := "http://" + a.HTTPAddr
	c := client{t: t, base: base, token: cfg.AdminToken}
	if code := c.do("PUT", "/api/v1/devices/psa-7", plant.Device{Kind: plant.KindPSA, Facility: "mzuzu-ch", Region: "north",
		ReportIntervalS: 3600, SMSNumber: "+265991000777"}, nil); code != 201 {
		t.Fatalf("register: %d", code)
	}
	results := make(chan error, 4)
	pub, err := httppub.NewSMS(httppub.SMSOptions{URL: base + InboundSMSPath + "?token=" + cfg.Notify.SMS.InboundToken,
		Numbers: map[string]string{"psa-7": "+265991000777"}, OnResult: func(_ time.Duration, err error) { results <- err }})
	if err != nil {
		t.Fatal(err)
	}
	l := pub.Link(sim.Spec{ID: "psa-7"})
	l.Connect()
	defer l.Close()
	for _, payload := range []string{
		`{"purity_pct":93,"state":"running","power":"mains"}`,
		`{"purity_pct":92,"state":"fault","power":"mains","alarms":["compressor_fault"]}`,
	} {
		if err := l.Publish([]byte(payload)); err != nil {
			t.Fatal(err)
		}
		if err := <-results; err != nil {
			t.Fatalf("SMS for %s: %v", payload, err)
		}
	}
	var firing struct{ Items []plant.Alert }
	testenv.Eventually(t, 20*time.Second, "device_fault for psa-7 from its SMS", func() bool {
		time.Sleep(100 * time.Millisecond) // pacing the polls under the API's rate limit
		c.do("GET", "/api/v1/alerts?device=psa-7&state=firing", nil, &firing)
		for _, al := range firing.Items {
			if al.Rule == "device_fault" {
				return true
			}
		}
		return false
	})
}
