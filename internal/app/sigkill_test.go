package app

import (
	"fmt"
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

func (p *process) start() {
	p.t.Helper()
	p.cmd = exec.Command(p.bin, "serve", "--config", p.config)
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	p.cmd.Env = append(os.Environ(), "OXYWATCH_CONFIG=")
	if err := p.cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	testenv.Eventually(p.t, 30*time.Second, "oxywatch ready", func() bool {
		resp, err := http.Get(p.httpURL + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
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

// TestSIGKILLLosesNoAcknowledgedReading kills oxywatch with SIGKILL while
// readings stream in, restarts it, and checks that every reading the broker
// acknowledged to the device reaches InfluxDB exactly once.
func TestSIGKILLLosesNoAcknowledgedReading(t *testing.T) {
	s := newStack(t)
	bin, err := buildOnce()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	port := testenv.FreePort(t)
	cfgPath := filepath.Join(dir, "oxywatch.yaml")
	cfg := fmt.Sprintf(`data_dir: %s
http:
  addr: 127.0.0.1:%d
mqtt:
  url: %s
  client_id: oxywatch-sigkill
influx:
  url: %s
  max_retry_wait: 1s
`, filepath.Join(dir, "data"), port, s.mq.URL, s.in.URL)
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
			t.Logf("oxywatch log:\n%s", b)
		}
	})
	p.start()

	pubr := newPublisher(t, s.mq.URL, "pub-sigkill")
	const devices, perDevice = 50, 80
	kills := map[int]bool{20: true, 45: true, 60: true}
	pubr.publishFleet(t, devices, perDevice, func(j int) {
		if !kills[j] {
			return
		}
		p.kill()
		// the device side goes on publishing while oxywatch is dead for
		// a few rounds; the broker keeps its session
		if j == 60 {
			return // restarted below, after more readings
		}
		p.start()
	})
	p.start()
	if got := pubr.acked.Load(); got != devices*perDevice {
		t.Fatalf("broker acknowledged %d readings, want %d", got, devices*perDevice)
	}
	waitCount(t, s.in, devices*perDevice, 120*time.Second)
}
