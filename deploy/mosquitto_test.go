package deploy

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/csv"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/oxywatch/oxywatch/internal/testenv"
)

// broker is the shipped mosquitto.conf running on loopback ports.
type broker struct {
	*server
	plain string // tcp://127.0.0.1:P, the loopback listener OxyWatch uses
	tls   string // ssl://127.0.0.1:P, the devices' listener
	ca    *x509.CertPool
	creds map[string]string // device id → password, from provision-devices.sh
	etc   string            // stands in for /etc/mosquitto
}

// ingesterPassword is what the test gives the "oxywatch" login, as the
// README's mosquitto_passwd step does.
const ingesterPassword = "ingester-secret"

// startShippedMosquitto provisions devices with provision-devices.sh, adds the
// ingester's login with mosquitto_passwd, and starts mosquitto with
// deploy/mosquitto/mosquitto.conf rewritten only for ports and paths.
func startShippedMosquitto(t *testing.T, devices ...string) *broker {
	t.Helper()
	bin := testenv.Require(t, "mosquitto")
	passwdBin := testenv.Require(t, "mosquitto_passwd")
	dir := t.TempDir()
	b := &broker{etc: filepath.Join(dir, "etc"), creds: map[string]string{}}
	for _, d := range []string{"etc/certs", "data", "conf.d"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	b.ca = writeTestCerts(t, filepath.Join(b.etc, "certs"))

	inventory := "id,kind,facility\n" + strings.Join(devices, ",psa,Test Hospital\n") + ",psa,Test Hospital\n"
	writeFile(t, filepath.Join(dir, "devices.csv"), []byte(inventory), 0o644)
	passwd := filepath.Join(b.etc, "oxywatch.passwd")
	credsFile := filepath.Join(dir, "credentials.csv")
	run(t, dir, []string{"PATH=" + filepath.Dir(passwdBin) + ":" + os.Getenv("PATH")},
		"sh", filepath.Join(deployDir(t), "mosquitto", "provision-devices.sh"),
		"--passwd", passwd, "--out", credsFile, filepath.Join(dir, "devices.csv"))
	run(t, dir, nil, passwdBin, "-b", passwd, "oxywatch", ingesterPassword)
	b.creds = readCredentials(t, credsFile)
	if len(b.creds) != len(devices) {
		t.Fatalf("provision-devices.sh wrote %d logins, want %d", len(b.creds), len(devices))
	}
	writeFile(t, filepath.Join(b.etc, "oxywatch.acl"), readFile(t, filepath.Join(deployDir(t), "mosquitto", "oxywatch.acl")), 0o644)

	plainPort, tlsPort := testenv.FreePort(t), testenv.FreePort(t)
	conf := rewriteMosquittoConf(t, string(readFile(t, filepath.Join(deployDir(t), "mosquitto", "mosquitto.conf"))), b.etc, dir, plainPort, tlsPort)
	confPath := filepath.Join(b.etc, "mosquitto.conf")
	writeFile(t, confPath, []byte(conf), 0o644)

	b.server = startServer(t, "mosquitto", nil, bin, "-c", confPath)
	b.plain = fmt.Sprintf("tcp://127.0.0.1:%d", plainPort)
	b.tls = fmt.Sprintf("ssl://127.0.0.1:%d", tlsPort)
	waitListening(t, b.server, plainPort, tlsPort)
	return b
}

// waitListening waits until the server accepts connections on every port.
func waitListening(t *testing.T, s *server, ports ...int) {
	t.Helper()
	for _, port := range ports {
		addr := fmt.Sprintf("127.0.0.1:%d", port)
		testenv.Eventually(t, 30*time.Second, s.name+" listening on "+addr, func() bool {
			if s.exited() {
				t.Fatalf("%s exited:\n%s", s.name, s.log())
			}
			c, err := net.DialTimeout("tcp", addr, time.Second)
			if err == nil {
				c.Close()
			}
			return err == nil
		})
	}
}

// rewriteMosquittoConf moves the shipped config's listeners to free loopback
// ports, /etc/mosquitto to etc and its other Debian paths under dir. Every
// line it expects to change must be there, so a reshaped config fails here
// rather than testing something else.
func rewriteMosquittoConf(t *testing.T, conf, etc, dir string, plainPort, tlsPort int) string {
	t.Helper()
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	replacements := []struct{ old, new string }{
		{"user mosquitto\n", "user " + me.Username + "\n"},
		{"listener 1883 127.0.0.1\n", fmt.Sprintf("listener %d 127.0.0.1\n", plainPort)},
		{"listener 8883\n", fmt.Sprintf("listener %d 127.0.0.1\n", tlsPort)},
		{"/etc/mosquitto/conf.d", filepath.Join(dir, "conf.d")},
		{"/etc/mosquitto/", etc + "/"},
		{"/var/lib/mosquitto/", filepath.Join(dir, "data") + "/"},
		{"log_dest stdout\n", "log_dest stderr\n"},
	}
	for _, r := range replacements {
		if !strings.Contains(conf, r.old) {
			t.Fatalf("deploy/mosquitto/mosquitto.conf has no %q; update the test with the config", r.old)
		}
		conf = strings.ReplaceAll(conf, r.old, r.new)
	}
	for _, want := range []string{"allow_anonymous false", "persistence true", "set_tcp_nodelay true", "message_size_limit", "max_queued_messages"} {
		if !strings.Contains(conf, "\n"+want) {
			t.Errorf("mosquitto.conf lacks %q", want)
		}
	}
	return conf
}

func readCredentials(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	creds := map[string]string{}
	for _, r := range rows[1:] {
		creds[r[0]] = r[1]
	}
	return creds
}

// writeTestCerts makes a CA and a server certificate for 127.0.0.1 and
// writes server.crt and server.key where mosquitto.conf expects them.
func writeTestCerts(t *testing.T, dir string) *x509.CertPool {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "OxyWatch test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:    x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "server.crt"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	writeFile(t, filepath.Join(dir, "server.key"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600)
	pool := x509.NewCertPool()
	pool.AddCert(caCert)
	return pool
}

// connect logs in to url; it returns the client and the connect error.
func (b *broker) connect(url, id, username, password string, cleanSession bool) (mqtt.Client, error) {
	opts := mqtt.NewClientOptions().AddBroker(url).SetClientID(id).
		SetUsername(username).SetPassword(password).
		SetCleanSession(cleanSession).SetAutoReconnect(false).SetOrderMatters(false).
		SetConnectTimeout(10 * time.Second).
		SetTLSConfig(&tls.Config{RootCAs: b.ca, MinVersion: tls.VersionTLS12})
	c := mqtt.NewClient(opts)
	tok := c.Connect()
	if !tok.WaitTimeout(15 * time.Second) {
		return c, fmt.Errorf("connect to %s timed out", url)
	}
	return c, tok.Error()
}

func (b *broker) mustConnect(t *testing.T, url, id, username, password string) mqtt.Client {
	t.Helper()
	c, err := b.connect(url, id, username, password, true)
	if err != nil {
		t.Fatalf("%s connecting to %s: %v\n%s", username, url, err, b.log())
	}
	t.Cleanup(func() { c.Disconnect(100) })
	return c
}

// inbox collects messages by topic.
type inbox struct {
	mu  sync.Mutex
	got map[string][]string
}

func (in *inbox) handle(_ mqtt.Client, m mqtt.Message) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.got == nil {
		in.got = map[string][]string{}
	}
	in.got[m.Topic()] = append(in.got[m.Topic()], string(m.Payload()))
}

func (in *inbox) has(topic, payload string) bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, p := range in.got[topic] {
		if p == payload {
			return true
		}
	}
	return false
}

func (in *inbox) count(topic string) int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return len(in.got[topic])
}

func publish(t *testing.T, c mqtt.Client, topic, payload string) {
	t.Helper()
	tok := c.Publish(topic, 1, false, payload)
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("publish %s: %v", topic, tok.Error())
	}
}

func TestShippedMosquittoEnforcesDeviceACL(t *testing.T) {
	integration(t)
	b := startShippedMosquitto(t, "PSA-1", "CONC-2")

	// The ingester, on the loopback listener with a persistent session, as
	// oxywatch subscribes.
	ingester, err := b.connect(b.plain, "oxywatch", "oxywatch", ingesterPassword, false)
	if err != nil {
		t.Fatalf("ingester login: %v\n%s", err, b.log())
	}
	t.Cleanup(func() { ingester.Disconnect(100) })
	var got inbox
	if tok := ingester.SubscribeMultiple(map[string]byte{"o2/+/telemetry": 1, "o2/+/status": 1, "spBv1.0/#": 1}, got.handle); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("ingester subscribe: %v", tok.Error())
	}

	psa := b.mustConnect(t, b.tls, "PSA-1", "PSA-1", b.creds["PSA-1"])
	conc := b.mustConnect(t, b.tls, "CONC-2", "CONC-2", b.creds["CONC-2"])

	// A device snooping on others: its subscription must bring nothing.
	var snooped inbox
	conc.Subscribe("o2/#", 1, snooped.handle).WaitTimeout(10 * time.Second)

	reading := `{"ts":"2026-01-01T00:00:00Z","purity_pct":93.5}`
	publish(t, psa, "o2/PSA-1/telemetry", reading)
	publish(t, psa, "o2/PSA-1/status", "online")
	testenv.Eventually(t, 10*time.Second, "the ingester to receive PSA-1's reading and status", func() bool {
		return got.has("o2/PSA-1/telemetry", reading) && got.has("o2/PSA-1/status", "online")
	})

	// PSA-1 pretends to be CONC-2, then sends a marker on its own topic. The
	// broker handles one client's messages in order, so once the marker is
	// in, the forged reading would have been too.
	forged := `{"ts":"2026-01-01T00:00:01Z","purity_pct":20}`
	publish(t, psa, "o2/CONC-2/telemetry", forged)
	publish(t, psa, "o2/PSA-1/status", "marker")
	testenv.Eventually(t, 10*time.Second, "PSA-1's marker", func() bool { return got.has("o2/PSA-1/status", "marker") })
	if got.count("o2/CONC-2/telemetry") != 0 {
		t.Errorf("a reading PSA-1 published on CONC-2's topic was delivered to the ingester")
	}

	// Payloads over CONTRACT §3's 64 KiB stop at the broker; 64 KiB passes.
	atLimit := `[` + strings.Repeat(" ", 64*1024-2) + `]`
	publish(t, psa, "o2/PSA-1/telemetry", atLimit+" ")
	publish(t, psa, "o2/PSA-1/telemetry", atLimit)
	testenv.Eventually(t, 10*time.Second, "a 64 KiB backlog", func() bool { return got.has("o2/PSA-1/telemetry", atLimit) })
	if got.has("o2/PSA-1/telemetry", atLimit+" ") {
		t.Errorf("a payload of 64 KiB + 1 byte was delivered; message_size_limit should stop it")
	}

	// CONC-2's own reading still goes through.
	own := `{"ts":"2026-01-01T00:00:02Z","purity_pct":94}`
	publish(t, conc, "o2/CONC-2/telemetry", own)
	testenv.Eventually(t, 10*time.Second, "CONC-2's own reading", func() bool { return got.has("o2/CONC-2/telemetry", own) })
	if n := snooped.count("o2/PSA-1/telemetry") + snooped.count("o2/PSA-1/status") + snooped.count("o2/CONC-2/telemetry"); n != 0 {
		t.Errorf("CONC-2 subscribed to o2/# and read %d messages; devices must not read", n)
	}

	// Sparkplug B: an edge node logged in as PSA-1 publishes under its own
	// edge id only.
	publish(t, psa, "spBv1.0/plants/DDATA/CONC-2/d1", "forged")
	publish(t, psa, "spBv1.0/plants/DDATA/PSA-1/d1", "own")
	testenv.Eventually(t, 10*time.Second, "PSA-1's own DDATA", func() bool { return got.has("spBv1.0/plants/DDATA/PSA-1/d1", "own") })
	if got.count("spBv1.0/plants/DDATA/CONC-2/d1") != 0 {
		t.Errorf("a DDATA PSA-1 published under edge node CONC-2 was delivered to the ingester")
	}
}

func TestShippedMosquittoRefusesStrangers(t *testing.T) {
	integration(t)
	b := startShippedMosquitto(t, "PSA-1")
	cases := []struct {
		name, url, user, pass string
	}{
		{"anonymous over TLS", b.tls, "", ""},
		{"anonymous on loopback", b.plain, "", ""},
		{"wrong password", b.tls, "PSA-1", "not-the-password"},
		{"unknown device", b.tls, "PSA-9", b.creds["PSA-1"]},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := b.connect(tc.url, "stranger", tc.user, tc.pass, true)
			if err == nil {
				c.Disconnect(100)
				t.Fatalf("%s: connected, want refused", tc.name)
			}
		})
	}
	// TLS must not accept a client that does not trust the server's CA.
	opts := mqtt.NewClientOptions().AddBroker(b.tls).SetClientID("PSA-1").
		SetUsername("PSA-1").SetPassword(b.creds["PSA-1"]).SetConnectTimeout(10 * time.Second).
		SetTLSConfig(&tls.Config{MinVersion: tls.VersionTLS12})
	c := mqtt.NewClient(opts)
	if tok := c.Connect(); tok.WaitTimeout(15*time.Second) && tok.Error() == nil {
		c.Disconnect(100)
		t.Fatal("connected with a client that does not know the test CA; the listener is not TLS")
	}
}

// TestProvisionFromAPI has provision-devices.sh read the registry from a
// stand-in for OxyWatch's CSV export, with the token from the environment.
func TestProvisionFromAPI(t *testing.T) {
	integration(t)
	curl := testenv.Require(t, "curl")
	passwdBin := testenv.Require(t, "mosquitto_passwd")
	const token = "viewer-token-for-the-test"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/devices" || r.URL.Query().Get("format") != "csv" {
			http.NotFound(w, r)
			return
		}
		if r.Header.Get("Authorization") != "Bearer "+token {
			http.Error(w, "no token", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "text/csv")
		fmt.Fprint(w, "id,kind,model,facility,region,country,rated_flow_lpm,report_interval_s,status,last_seen\r\n"+
			"PSA-1,psa,,\"Mulago, ward 3\",Central,UG,250,60,operational,2026-01-01T00:00:00Z\r\n"+
			"CONC-2,concentrator,,Mulago,Central,UG,10,60,no_data,\r\n")
	}))
	defer srv.Close()
	dir := t.TempDir()
	passwd, creds := filepath.Join(dir, "passwd"), filepath.Join(dir, "creds.csv")
	path := "PATH=" + filepath.Dir(passwdBin) + ":" + filepath.Dir(curl) + ":" + os.Getenv("PATH")
	script := filepath.Join(deployDir(t), "mosquitto", "provision-devices.sh")
	run(t, dir, []string{path, "OXYWATCH_TOKEN=" + token}, "sh", script, "--api", srv.URL, "--passwd", passwd, "--out", creds)
	got := readCredentials(t, creds)
	if len(got) != 2 || got["PSA-1"] == "" || got["CONC-2"] == "" {
		t.Fatalf("logins from the API export: got %v, want PSA-1 and CONC-2", got)
	}
	// Run again: nothing new, nothing rotated.
	run(t, dir, []string{path, "OXYWATCH_TOKEN=" + token}, "sh", script, "--api", srv.URL, "--passwd", passwd, "--out", creds)
	if again := readCredentials(t, creds); len(again) != 2 || again["PSA-1"] != got["PSA-1"] {
		t.Errorf("a second run changed the logins: %v, want %v", again, got)
	}
	// A wrong token must fail the script, not provision nothing quietly.
	cmd := exec.Command("sh", script, "--api", srv.URL, "--passwd", passwd, "--out", creds)
	cmd.Env = append(os.Environ(), path, "OXYWATCH_TOKEN=wrong")
	if out, err := cmd.CombinedOutput(); err == nil {
		t.Errorf("provision-devices.sh with a refused token exited 0:\n%s", out)
	}
}
