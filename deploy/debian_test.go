package deploy

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/oxywatch/oxywatch/internal/testenv"
)

// TestDebianInstallBringsUpIngest follows deploy/debian/README.md's quick
// start into a temporary root: install.sh, Debian's mosquitto with the
// installed configuration, a device provisioned with the installed script,
// the installed oxywatch with the installed config and generated secrets.
// A reading the device publishes over TLS must land in InfluxDB. Then the
// installed backup script copies the live data dir and OxyWatch starts on
// the restored copy.
func TestDebianInstallBringsUpIngest(t *testing.T) {
	integration(t)
	testenv.Require(t, "mosquitto")
	testenv.Require(t, "mosquitto_passwd")
	sqlite := testenv.Require(t, "sqlite3")
	in := testenv.StartInfluxd(t, "")
	root := t.TempDir()
	secrets := installIntoRoot(t, root)

	b := startInstalledMosquitto(t, root)
	run(t, root, nil, "sh", filepath.Join(root, "usr/local/sbin/oxywatch-provision-devices"),
		"--passwd", filepath.Join(root, "etc/mosquitto/oxywatch.passwd"),
		"--out", filepath.Join(root, "creds.csv"), filepath.Join(deployDir(t), "compose", "demo-fleet.csv"))
	// The broker reads new logins on SIGHUP, as `systemctl reload mosquitto` sends.
	if err := b.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	b.creds = readCredentials(t, filepath.Join(root, "creds.csv"))

	// The installed server as oxywatch.service runs it: the installed config
	// and the env file; only what must differ in a test is overridden.
	dataDir := filepath.Join(root, "var/lib/oxywatch")
	env := []string{
		fmt.Sprintf("OXYWATCH_HTTP_ADDR=127.0.0.1:%d", testenv.FreePort(t)),
		"OXYWATCH_MQTT_URL=" + b.plain,
		"OXYWATCH_INFLUX_URL=" + in.URL,
		"OXYWATCH_INFLUX_ORG=",
		"OXYWATCH_INFLUX_BUCKET=oxywatch/autogen",
		"OXYWATCH_INFLUX_CREATE_DATABASE=true",
	}
	for k, v := range secrets {
		env = append(env, k+"="+v)
	}
	ox := startInstalledOxywatch(t, root, "oxywatch", slices.Concat(env, []string{"OXYWATCH_DATA_DIR=" + dataDir}))

	device := "PSA-KLA-01"
	var c mqtt.Client
	testenv.Eventually(t, 10*time.Second, device+" accepted after the broker re-read its password file", func() bool {
		var err error
		c, err = b.connect(b.tls, device, device, b.creds[device], true)
		return err == nil
	})
	defer c.Disconnect(100)
	ts := time.Now().UTC().Add(-time.Minute).Format(time.RFC3339)
	publish(t, c, "o2/"+device+"/telemetry", `{"ts":"`+ts+`","purity_pct":93.4,"flow_lpm":410,"state":"running"}`)
	testenv.Eventually(t, 60*time.Second, "the reading in InfluxDB", func() bool {
		n, _ := in.Count(context.Background(), "oxywatch", "o2_reading", "purity_pct")
		return n == 1
	})

	restored := backupAndRestore(t, root, sqlite, dataDir)
	ox.stop()
	ox2 := startInstalledOxywatch(t, root, "oxywatch-restored", slices.Concat(env, []string{"OXYWATCH_DATA_DIR=" + restored}))
	if strings.Contains(ox2.log(), "damaged") {
		t.Errorf("oxywatch found the restored buffer damaged:\n%s", ox2.log())
	}
}

// installIntoRoot runs install.sh --root, checks what it put where, and
// returns the secrets it generated.
func installIntoRoot(t *testing.T, root string) map[string]string {
	t.Helper()
	binDir := filepath.Dir(buildOxywatch(t))
	run(t, repoRoot(t), nil, "sh", "deploy/debian/install.sh", "--root", root, "--bin", binDir)
	for _, f := range []string{
		"usr/local/bin/oxywatch", "usr/local/sbin/oxywatch-backup", "usr/local/sbin/oxywatch-provision-devices",
		"etc/oxywatch/oxywatch.yaml", "etc/oxywatch/oxywatch.env",
		"etc/systemd/system/oxywatch.service", "etc/systemd/system/oxywatch-backup.timer",
		"etc/mosquitto/mosquitto.conf", "etc/mosquitto/oxywatch.acl", "etc/mosquitto/oxywatch.passwd",
	} {
		if _, err := os.Stat(filepath.Join(root, f)); err != nil {
			t.Errorf("install.sh did not install %s: %v", f, err)
		}
	}
	envFile := filepath.Join(root, "etc/oxywatch/oxywatch.env")
	if st, err := os.Stat(envFile); err == nil && st.Mode().Perm()&0o007 != 0 {
		t.Errorf("oxywatch.env is mode %v, readable by everyone", st.Mode().Perm())
	}
	secrets := readEnvFile(t, envFile)
	if len(secrets["OXYWATCH_MQTT_PASSWORD"]) < 20 || len(secrets["OXYWATCH_ADMIN_TOKEN"]) < 20 {
		t.Fatalf("install.sh generated weak or no secrets: %v", secrets)
	}
	return secrets
}

// startInstalledOxywatch runs the installed binary with the installed config.
func startInstalledOxywatch(t *testing.T, root, name string, env []string) *oxywatch {
	t.Helper()
	var addr string
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "OXYWATCH_HTTP_ADDR="); ok {
			addr = v
		}
	}
	ox := &oxywatch{
		server: startServer(t, name, env, filepath.Join(root, "usr/local/bin/oxywatch"),
			"serve", "--config", filepath.Join(root, "etc/oxywatch/oxywatch.yaml")),
		http: "http://" + addr,
	}
	waitReady(t, ox)
	return ox
}

// backupAndRestore runs the installed backup script on the live data dir,
// unpacks the archive as the README's restore steps do, checks the copy and
// returns the restored data dir.
func backupAndRestore(t *testing.T, root, sqlite, dataDir string) string {
	t.Helper()
	backups := filepath.Join(root, "var/backups/oxywatch")
	run(t, root, nil, "sh", filepath.Join(root, "usr/local/sbin/oxywatch-backup"), "--keep", "2", dataDir, backups)
	archives, _ := filepath.Glob(filepath.Join(backups, "oxywatch-*.tar.gz"))
	if len(archives) != 1 {
		t.Fatalf("backup archives: %v, want one", archives)
	}
	restored := filepath.Join(root, "var/lib/oxywatch-restored")
	if err := os.MkdirAll(restored, 0o750); err != nil {
		t.Fatal(err)
	}
	run(t, root, nil, "tar", "-C", restored, "--strip-components=1", "-xzf", archives[0])
	db := filepath.Join(restored, "oxywatch.db")
	if got := strings.TrimSpace(run(t, root, nil, sqlite, db, "PRAGMA integrity_check;")); got != "ok" {
		t.Fatalf("restored oxywatch.db: integrity_check %q", got)
	}
	want := run(t, root, nil, sqlite, filepath.Join(dataDir, "oxywatch.db"), ".tables")
	if got := run(t, root, nil, sqlite, db, ".tables"); got != want || strings.TrimSpace(got) == "" {
		t.Errorf("restored tables %q, want %q", got, want)
	}
	if _, err := os.Stat(filepath.Join(restored, "buffer")); err != nil {
		t.Errorf("the backup lacks the ingest buffer: %v", err)
	}
	return restored
}

func waitReady(t *testing.T, o *oxywatch) {
	t.Helper()
	testenv.Eventually(t, 60*time.Second, o.name+" /readyz", func() bool {
		if o.exited() {
			t.Fatalf("%s exited:\n%s", o.name, o.log())
		}
		resp, err := http.Get(o.http + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

// startInstalledMosquitto runs the mosquitto.conf install.sh put under root,
// with ports and paths moved into root, and a test certificate.
func startInstalledMosquitto(t *testing.T, root string) *broker {
	t.Helper()
	bin := testenv.Require(t, "mosquitto")
	etc := filepath.Join(root, "etc/mosquitto")
	b := &broker{etc: etc, ca: writeTestCerts(t, filepath.Join(etc, "certs"))}
	for _, d := range []string{"data", "conf.d"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	plainPort, tlsPort := testenv.FreePort(t), testenv.FreePort(t)
	conf := rewriteMosquittoConf(t, string(readFile(t, filepath.Join(etc, "mosquitto.conf"))), etc, root, plainPort, tlsPort)
	confPath := filepath.Join(etc, "mosquitto.test.conf")
	writeFile(t, confPath, []byte(conf), 0o644)
	b.server = startServer(t, "mosquitto", nil, bin, "-c", confPath)
	b.plain = fmt.Sprintf("tcp://127.0.0.1:%d", plainPort)
	b.tls = fmt.Sprintf("ssl://127.0.0.1:%d", tlsPort)
	waitListening(t, b.server, plainPort, tlsPort)
	return b
}

func readEnvFile(t *testing.T, path string) map[string]string {
	t.Helper()
	env := map[string]string{}
	for _, line := range strings.Split(string(readFile(t, path)), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("%s: %q is not KEY=value", path, line)
		}
		env[k] = v
	}
	return env
}

// TestSystemdUnitsVerify runs systemd-analyze verify on the shipped units,
// with their programs pointed at this checkout's builds.
func TestSystemdUnitsVerify(t *testing.T) {
	integration(t)
	analyze, err := testenv.LookPath("systemd-analyze")
	if err != nil {
		if os.Getenv("OXYWATCH_REQUIRE_INTEGRATION") == "1" {
			t.Fatalf("%s not found: run `make deps` (it installs Debian package systemd)", "systemd-analyze")
		}
		t.Log("NOT RUN: systemd-analyze verify, because systemd-analyze is not installed (Debian package systemd); the units were not checked")
		return
	}
	dir := t.TempDir()
	units, _ := filepath.Glob("systemd/*")
	if len(units) < 3 {
		t.Fatalf("want oxywatch.service, oxywatch-backup.service and .timer in systemd/, got %v", units)
	}
	repl := strings.NewReplacer(
		"/usr/local/bin/oxywatch", buildOxywatch(t),
		"/usr/local/sbin/oxywatch-backup", filepath.Join(deployDir(t), "debian", "oxywatch-backup"),
	)
	var paths []string
	for _, u := range units {
		p := filepath.Join(dir, filepath.Base(u))
		writeFile(t, p, []byte(repl.Replace(string(readFile(t, u)))), 0o644)
		paths = append(paths, p)
	}
	cmd := exec.Command(analyze, append([]string{"verify"}, paths...)...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}
