package deploy

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/oxywatch/oxywatch/internal/testenv"
)

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// buildOxywatch builds cmd/oxywatch from this checkout once per test run.
func buildOxywatch(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "oxywatch-deploy-bin-")
		if buildErr != nil {
			return
		}
		cmd := exec.Command("go", "build", "-o", filepath.Join(binDir, "oxywatch"), "./cmd/oxywatch")
		cmd.Dir = repoRoot(t)
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build ./cmd/oxywatch: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(binDir, "oxywatch")
}

// oxywatch is a running `oxywatch serve`.
type oxywatch struct {
	*server
	http string // http://127.0.0.1:P
	mqtt string // tcp://127.0.0.1:P of the embedded broker
}

// startOxywatch runs `oxywatch serve --config` with the embedded broker, the
// given device logins (password = "pw-" + id) and the ingester login
// oxywatch/ingester-secret, writing to influxURL.
func startOxywatch(t *testing.T, influxURL string, devices ...string) *oxywatch {
	t.Helper()
	bin := buildOxywatch(t)
	dir := t.TempDir()
	httpPort, mqttPort := testenv.FreePort(t), testenv.FreePort(t)
	var users strings.Builder
	fmt.Fprintf(&users, "    - {username: oxywatch, password: %s}\n", ingesterPassword)
	for _, d := range devices {
		fmt.Fprintf(&users, "    - {username: %s, password: pw-%s}\n", d, d)
	}
	conf := fmt.Sprintf(`data_dir: %s
log_level: info
admin_token: %s
http:
  addr: 127.0.0.1:%d
mqtt:
  listen: 127.0.0.1:%d
  username: oxywatch
  password: %s
  users:
%sinflux:
  url: %s
  bucket: oxywatch/autogen
  max_retry_wait: 1s
`, filepath.Join(dir, "data"), testAdminToken, httpPort, mqttPort, ingesterPassword, users.String(), influxURL)
	confPath := filepath.Join(dir, "oxywatch.yaml")
	writeFile(t, confPath, []byte(conf), 0o600)
	run(t, dir, nil, bin, "check-config", confPath)
	o := &oxywatch{
		server: startServer(t, "oxywatch", nil, bin, "serve", "--config", confPath),
		http:   fmt.Sprintf("http://127.0.0.1:%d", httpPort),
		mqtt:   fmt.Sprintf("tcp://127.0.0.1:%d", mqttPort),
	}
	testenv.Eventually(t, 60*time.Second, "oxywatch /readyz", func() bool {
		if o.exited() {
			t.Fatalf("oxywatch exited:\n%s", o.log())
		}
		resp, err := http.Get(o.http + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return o
}

// metrics scrapes /metrics and returns every series name with its samples
// summed over labels.
func (o *oxywatch) metrics(t *testing.T) map[string]float64 {
	t.Helper()
	resp, err := http.Get(o.http + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: got %d, want 200", resp.StatusCode)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		name, rest, _ := strings.Cut(line, " ")
		if i := strings.IndexByte(name, '{'); i >= 0 {
			name = line[:i]
			rest = line[strings.LastIndexByte(line, '}')+2:]
		}
		var v float64
		fmt.Sscan(rest, &v)
		out[name] += v
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// devicePublish connects as a device to the embedded broker and publishes.
func devicePublish(t *testing.T, url, device string, msgs map[string]string) {
	t.Helper()
	c := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(url).SetClientID(device).
		SetUsername(device).SetPassword("pw-" + device).SetConnectTimeout(10 * time.Second))
	if tok := c.Connect(); !tok.WaitTimeout(15*time.Second) || tok.Error() != nil {
		t.Fatalf("device %s connect: %v", device, tok.Error())
	}
	defer c.Disconnect(100)
	for topic, payload := range msgs {
		publish(t, c, topic, payload)
	}
}

// liveEnv is influxd and oxywatch with readings written through the whole
// ingest path.
type liveEnv struct {
	influx  *testenv.Influxd
	ox      *oxywatch
	metrics map[string]float64
}

// testAdminToken is the admin_token in startOxywatch's config.
const testAdminToken = "deploy-test-admin-token-0123456789"

// Devices the live environment registers and publishes for.
var liveInventory = "id,kind,facility,region,country,rated_flow_lpm,report_interval_s\n" +
	"PSA-1,psa,Mulago,Central,UG,250,60\n" +
	"CONC-2,concentrator,Mulago,Central,UG,10,60\n"

// startLiveEnv starts influxd and oxywatch, registers two devices, sends good
// readings and a bad one (so that labelled counters exist) and waits until
// the good ones are in InfluxDB.
func startLiveEnv(t *testing.T) *liveEnv {
	t.Helper()
	env := &liveEnv{influx: testenv.StartInfluxd(t, "")}
	env.ox = startOxywatch(t, env.influx.URL, "PSA-1", "CONC-2")
	env.ox.importDevices(t, liveInventory)
	now := time.Now().UTC()
	for i := range 3 {
		ts := now.Add(time.Duration(i-3) * time.Minute).Format(time.RFC3339)
		devicePublish(t, env.ox.mqtt, "PSA-1", map[string]string{
			"o2/PSA-1/telemetry": `{"ts":"` + ts + `","purity_pct":93.1,"pressure_bar":4.2,"flow_lpm":250,"runtime_h":1200.5,"state":"running","power":"mains","temp_c":31.5,"dew_point_c":-40,"supply_v":229}`,
		})
		devicePublish(t, env.ox.mqtt, "CONC-2", map[string]string{
			"o2/CONC-2/telemetry": `{"ts":"` + ts + `","purity_pct":88,"flow_lpm":5,"runtime_h":300,"state":"fault","power":"solar","rssi_dbm":-85,"battery_pct":60}`,
		})
	}
	devicePublish(t, env.ox.mqtt, "PSA-1", map[string]string{"o2/PSA-1/status": "online"})
	devicePublish(t, env.ox.mqtt, "PSA-1", map[string]string{"o2/PSA-1/telemetry": `{"ts":"` + now.Format(time.RFC3339) + `","purity_pct":140}`})
	testenv.Eventually(t, 60*time.Second, "6 readings written to InfluxDB and a rejection counted in /metrics", func() bool {
		env.metrics = env.ox.metrics(t)
		return env.metrics["oxywatch_store_points_written_total"] >= 6 && env.metrics["oxywatch_ingest_rejected_total"] >= 1
	})
	return env
}

// importDevices posts the CSV to the registry import as the admin.
func (o *oxywatch) importDevices(t *testing.T, csv string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, o.http+"/api/v1/devices/import", strings.NewReader(csv))
	req.Header.Set("Authorization", "Bearer "+testAdminToken)
	req.Header.Set("Content-Type", "text/csv")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST /api/v1/devices/import: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("POST /api/v1/devices/import: %d %s", resp.StatusCode, strings.TrimSpace(string(body)))
	}
}

// TestAgainstLiveOxywatch checks the dashboards and rules against one
// running influxd and oxywatch.
func TestAgainstLiveOxywatch(t *testing.T) {
	integration(t)
	env := startLiveEnv(t)
	t.Run("metrics in rules and dashboards are exported", func(t *testing.T) { checkMetricUses(t, env.metrics) })
	t.Run("dashboard Flux queries run", func(t *testing.T) { checkFluxQueriesRun(t, env) })
}
