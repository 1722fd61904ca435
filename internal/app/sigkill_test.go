package app

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/oxywatch/oxywatch/internal/testenv"
)

// buildOxywatch compiles cmd/oxywatch once per test binary.
var buildOnce = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "oxywatch-bin-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "oxywatch")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/oxywatch/oxywatch/cmd/oxywatch")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

// process is oxywatch serve running as a child process.
type process struct {
	t       *testing.T
	bin     string
	config  string
	httpURL string
	log     *os.File
	cmd     *exec.Cmd
}

func (p *process) kill() {
	p.t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		p.t.Fatal(err)
	}
	_ = p.cmd.Wait()
}

func (p *process) stop() {
	if p.cmd != nil && p.cmd.ProcessState == nil {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		_ = p.cmd.Wait()
	}
}

// newProcess writes a config for oxywatch serve with the given mqtt block
// (empty: the embedded broker on mqttListen) and returns it, not started.
func newProcess(t *testing.T, influxURL, mqttBlock string) *process {
	t.Helper()
	bin, err := buildOnce()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	port := testenv.FreePort(t)
	cfgPath := filepath.Join(dir, "oxywatch.yaml")
	cfg := fmt.Sprintf("data_dir: %s\nhttp:\n  addr: 127.0.0.1:%d\n%sinflux:\n  url: %s\n  max_retry_wait: 1s\n",
		filepath.Join(dir, "data"), port, mqttBlock, influxURL)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(filepath.Join(dir, "oxywatch.log"))
	if err != nil {
		t.Fatal(err)
	}
	p := &process{t: t, bin: bin, config: cfgPath, httpURL: "http://127.0.0.1:" + strconv.Itoa(port), log: logf}
	t.Cleanup(func() {
		p.stop()
		logf.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			if len(b) > 20000 {
				b = b[len(b)-20000:]
			}
			t.Logf("oxywatch log (end):\n%s", b)
		}
	})
	return p
}

func (p *process) dataDir() string { return filepath.Join(filepath.Dir(p.config), "data") }

// embedded returns the mqtt block for the embedded broker on a free port.
func embedded(t *testing.T) (block, url string) {
	addr := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	return fmt.Sprintf("mqtt:\n  listen: %s\n", addr), "tcp://" + addr
}

// interrupt stops oxywatch as Ctrl-C does.
func (p *process) interrupt() {
	p.t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil {
		p.t.Fatal(err)
	}
	if err := p.cmd.Wait(); err != nil {
		p.t.Fatalf("oxywatch after SIGINT: %v", err)
	}
}

// TestEmbeddedBrokerComesBack is the newcomer's second day: the default
// path (embedded broker) started again on the data dir a previous run left
// after a clean stop, after SIGKILL mid-stream, and after a store file was
// truncated by hand. Each time it is ready within 10 s and new readings are
// stored, and every reading the broker acknowledged is in InfluxDB.
func TestEmbeddedBrokerComesBack(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test; run without -short (make test does)")
	}
	in := testenv.StartInfluxd(t, "")
	block, url := embedded(t)
	p := newProcess(t, in.URL, block)
	p.startWithin(30 * time.Second) // the first start creates the database
	fleet := newFleet(url, 20)
	want := 0
	round := func(what string, n int) {
		t.Helper()
		fleet.publishEach(t, n)
		want += 20 * n
		waitCount(t, in, want, 60*time.Second)
		t.Logf("%s: %d readings stored", what, want)
	}
	round("first start", 10)

	p.interrupt()
	p.startWithin(10 * time.Second)
	round("after Ctrl-C", 10)

	stop := fleet.stream(t)
	testenv.Eventually(t, 10*time.Second, "readings streaming", func() bool { return fleet.acked() > int64(want)+100 })
	p.kill()
	p.startWithin(10 * time.Second)
	want += stop()
	waitCount(t, in, want, 60*time.Second)
	round("after SIGKILL mid-stream", 10)

	p.interrupt()
	truncateNewest(t, filepath.Join(p.dataDir(), "buffer"))
	// a broker store left by an earlier version, torn by the same power cut
	if err := os.MkdirAll(filepath.Join(p.dataDir(), "broker"), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(p.dataDir(), "broker", "broker.db"), []byte("torn"), 0o600); err != nil {
		t.Fatal(err)
	}
	p.startWithin(10 * time.Second)
	round("after truncated store files", 10)
}

// truncateNewest cuts the newest file in dir to half its size, as a power
// cut during a write can.
func truncateNewest(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var newest string
	var at time.Time
	for _, e := range entries {
		info, err := e.Info()
		if err == nil && info.Mode().IsRegular() && !info.ModTime().Before(at) {
			newest, at = filepath.Join(dir, e.Name()), info.ModTime()
		}
	}
	if newest == "" {
		t.Fatalf("no file in %s to truncate", dir)
	}
	info, _ := os.Stat(newest)
	if err := os.Truncate(newest, info.Size()/2); err != nil {
		t.Fatal(err)
	}
}

// TestChaosSIGKILL kills oxywatch with SIGKILL 20 times at random moments
// while devices publish, on the default path (embedded broker) and with an
// external Mosquitto, and checks that every reading a broker acknowledged
// to a device reaches InfluxDB exactly once. Half the devices speak
// Sparkplug B (DDATA by alias): after a restart their aliases must still
// resolve, from the BIRTHs kept on disk (Mosquitto hands over the DDATA it
// queued; the edge nodes have no reason to rebirth).
func TestChaosSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test; run without -short (make test does)")
	}
	for _, mode := range []string{"embedded", "mosquitto"} {
		t.Run(mode, func(t *testing.T) {
			in := testenv.StartInfluxd(t, "")
			var block, url string
			if mode == "embedded" {
				block, url = embedded(t)
			} else {
				mq := testenv.StartMosquitto(t, testenv.MosquittoOptions{})
				block, url = fmt.Sprintf("mqtt:\n  url: %s\n  client_id: oxywatch-chaos\n", mq.URL), mq.URL
			}
			p := newProcess(t, in.URL, block)
			p.startWithin(30 * time.Second)
			fleet := newMixedFleet(url, 20)
			stop := fleet.stream(t)
			rng := rand.New(rand.NewPCG(12, uint64(len(mode))))
			for range 20 {
				// let some readings through, then kill at a random moment
				floor := fleet.acked() + 50
				testenv.Eventually(t, 30*time.Second, "readings acknowledged", func() bool { return fleet.acked() >= floor })
				time.Sleep(time.Duration(rng.IntN(300)) * time.Millisecond) // the random moment, not a wait for a result
				p.kill()
				p.startWithin(30 * time.Second)
			}
			want := stop()
			t.Logf("%s: %d readings acknowledged across 20 SIGKILLs", mode, want)
			waitCount(t, in, want, 120*time.Second)
		})
	}
}

// startWithin starts oxywatch and fails unless it is ready within d.
func (p *process) startWithin(d time.Duration) {
	p.t.Helper()
	p.cmd = exec.Command(p.bin, "serve", "--config", p.config)
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	p.cmd.Env = append(os.Environ(), "OXYWATCH_CONFIG=")
	if err := p.cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	testenv.Eventually(p.t, d, "oxywatch ready", func() bool {
		resp, err := http.Get(p.httpURL + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}
