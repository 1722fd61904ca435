package app

import (
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/oxywatch/oxywatch/internal/testenv"
)

const degradedToken = "degraded-test-admin-token-5f3a9c2e71"

// get answers the status and body of an authenticated GET.
func (p *process) get(path string) (int, string) {
	return p.do(http.MethodGet, path, "")
}

func (p *process) do(method, path, body string) (int, string) {
	req, _ := http.NewRequest(method, p.httpURL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+degradedToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// mountTmpfs puts a small RAM file system at p's data dir for the test (as
// root, which make test runs as on the CI machine class). p is stopped
// before it is unmounted: unmounted under it, it would find its files gone.
func mountTmpfs(t *testing.T, p *process, size string) {
	t.Helper()
	dir := p.dataDir()
	if err := os.MkdirAll(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Fatalf("this test fills a small disk: mounting a tmpfs needs root: %v %s", err, out)
	}
	t.Cleanup(func() {
		p.stop()
		_ = exec.Command("umount", "-l", dir).Run()
	})
}

// fill writes a file until the disk is full.
func fill(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 1<<20)
	for {
		if _, err := f.Write(chunk); err != nil {
			if errors.Is(err, syscall.ENOSPC) {
				return
			}
			t.Fatal(err)
		}
	}
}

// TestDiskFullKeepsServing fills the data dir's disk under a running
// oxywatch (default path): readings are not acknowledged (devices keep
// them), /readyz and a metric say why, the process stays up, and when
// space returns every reading gets in without a restart.
func TestDiskFullKeepsServing(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test; run without -short (make test does)")
	}
	in := testenv.StartInfluxd(t, "")
	block, url := embedded(t)
	p := newProcess(t, in.URL, block+"admin_token: "+degradedToken+"\n")
	fleet, filler, stop := fillDiskUnder(t, p, in, url)
	if _, body := p.get("/metrics"); !strings.Contains(body, "oxywatch_buffer_append_failing 1") {
		t.Error("oxywatch_buffer_append_failing is not 1 while the disk is full")
	}
	before := fleet.acked()
	// The process stays up and answers while full; nothing is acknowledged.
	for range 10 {
		if code, _ := p.get("/healthz"); code != http.StatusOK {
			t.Fatalf("/healthz answered %d while the disk is full", code)
		}
		time.Sleep(500 * time.Millisecond) // spacing the probes over 5 s, not waiting for a result
	}
	if after := fleet.acked(); after != before {
		t.Errorf("%d readings acknowledged while the disk was full", after-before)
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 60*time.Second, "/readyz ready again", func() bool {
		code, _ := p.get("/readyz")
		return code == http.StatusOK
	})
	testenv.Eventually(t, 60*time.Second, "readings acknowledged again", func() bool { return fleet.acked() > before+20 })
	total := 50 + stop()
	waitCount(t, in, total, 90*time.Second)
}

// fillDiskUnder starts p on a 64 MiB disk of its own, stores 5 readings
// of each of 10 devices publishing to the broker at url, fills the disk,
// sets the devices streaming, and waits for /readyz to say the disk is
// full. Removing filler gives the space back; stop ends the stream and
// says how many readings it published.
func fillDiskUnder(t *testing.T, p *process, in *testenv.Influxd, url string) (f *fleet, filler string, stop func() int) {
	t.Helper()
	mountTmpfs(t, p, "64m")
	p.startWithin(30 * time.Second)
	f = newFleet(url, 10)
	f.publishEach(t, 5)
	waitCount(t, in, 50, 60*time.Second)
	filler = filepath.Join(p.dataDir(), "filler")
	fill(t, filler)
	stop = f.stream(t)
	testenv.Eventually(t, 20*time.Second, "/readyz to say the disk is full", func() bool {
		code, body := p.get("/readyz")
		return code == http.StatusServiceUnavailable && strings.Contains(body, "disk full")
	})
	return f, filler, stop
}

// TestSQLiteDeletedWhileRunning deletes the SQLite file (and its journal)
// under a running oxywatch: it puts the file back and starts again
// by itself, and whatever the API acknowledged, before or after, survives a
// later restart.
func TestSQLiteDeletedWhileRunning(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test; run without -short (make test does)")
	}
	in := testenv.StartInfluxd(t, "")
	block, _ := embedded(t)
	p := newProcess(t, in.URL, block+"admin_token: "+degradedToken+"\n")
	p.startWithin(30 * time.Second)
	put := func(id string) int {
		code, _ := p.do(http.MethodPut, "/api/v1/devices/"+id, `{"kind":"psa","facility":"Zomba DH","region":"south","country":"MW","rated_flow_lpm":500}`)
		return code
	}
	if code := put("psa-before"); code != http.StatusCreated {
		t.Fatalf("PUT before the deletion: %d", code)
	}
	db := filepath.Join(p.dataDir(), "oxywatch.db")
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(db + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
	}
	acknowledged := []string{"psa-before"}
	if put("psa-during") == http.StatusCreated { // before or after it noticed: either way, never a silent loss
		acknowledged = append(acknowledged, "psa-during")
	}
	testenv.Eventually(t, 30*time.Second, "the SQLite file put back", func() bool {
		_, err := os.Stat(db)
		code, _ := p.get("/readyz")
		return err == nil && code == http.StatusOK && put("psa-after") == http.StatusCreated
	})
	acknowledged = append(acknowledged, "psa-after")
	p.stop()
	p.startWithin(30 * time.Second)
	for _, id := range acknowledged {
		if code, body := p.get("/api/v1/devices/" + id); code != http.StatusOK {
			t.Errorf("%s, acknowledged by the API, is gone after a restart: %d %s", id, code, body)
		}
	}
	if log, _ := os.ReadFile(p.log.Name()); !strings.Contains(string(log), "put the SQLite file back") {
		t.Error("the log does not say the SQLite file was written back")
	}
}

// TestDiskFullExternalBroker is the disk filling under oxywatch behind an
// external broker: messages that cannot be made durable are left
// unacknowledged, each subscriber connection that had one steps back
// and comes again, /readyz says why, and once space returns the broker
// sends them again and every reading the devices published is stored.
func TestDiskFullExternalBroker(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test; run without -short (make test does)")
	}
	in := testenv.StartInfluxd(t, "")
	mq := testenv.StartMosquitto(t, testenv.MosquittoOptions{})
	p := newProcess(t, in.URL, "admin_token: "+degradedToken+"\nmqtt:\n  url: "+mq.URL+"\n  client_id: oxywatch-diskfull\n")
	_, filler, stop := fillDiskUnder(t, p, in, mq.URL)
	testenv.Eventually(t, 20*time.Second, "messages left unacknowledged, counted", func() bool {
		_, body := p.get("/metrics")
		return strings.Contains(body, "oxywatch_mqtt_not_durable_total ") && !strings.Contains(body, "oxywatch_mqtt_not_durable_total 0\n")
	})
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 60*time.Second, "/readyz ready again", func() bool {
		code, _ := p.get("/readyz")
		return code == http.StatusOK
	})
	total := 50 + stop()
	waitCount(t, in, total, 90*time.Second)
	if log, _ := os.ReadFile(p.log.Name()); !strings.Contains(string(log), "message not made durable; reconnecting later") {
		t.Error("the log does not say a connection stepped back")
	}
}
