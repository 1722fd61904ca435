// Package testenv starts real servers for integration tests: mosquitto and
// influxd on free loopback ports in temporary directories. Under `make test`
// (OXYWATCH_REQUIRE_INTEGRATION=1) a missing server fails the test; with a
// plain `go test` it skips, saying what to install.
package testenv

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Require reports a missing program: fatal under make test, a skip otherwise.
func Require(t testing.TB, program string) string {
	t.Helper()
	path, err := LookPath(program)
	if err == nil {
		return path
	}
	msg := fmt.Sprintf("%s not found: run `make deps` (it installs mosquitto, chromium and influxd)", program)
	if os.Getenv("OXYWATCH_REQUIRE_INTEGRATION") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// LookPath finds program on PATH, in /usr/sbin, or in GOPATH/bin.
func LookPath(program string) (string, error) {
	if p, err := exec.LookPath(program); err == nil {
		return p, nil
	}
	candidates := []string{"/usr/sbin/" + program}
	if gopath, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		candidates = append(candidates, filepath.Join(strings.TrimSpace(string(gopath)), "bin", program))
	}
	if home, err := os.UserHomeDir(); err == nil {
		candidates = append(candidates, filepath.Join(home, "go", "bin", program))
	}
	for _, c := range candidates {
		if st, err := os.Stat(c); err == nil && !st.IsDir() {
			return c, nil
		}
	}
	return "", fmt.Errorf("%s not found", program)
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Eventually polls cond every 20 ms until it holds or the deadline passes.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// process is a server child process that can be stopped and started again.
type process struct {
	t    testing.TB
	name string
	args []string
	log  string
	cmd  *exec.Cmd
}

func (p *process) start() {
	p.t.Helper()
	logf, err := os.OpenFile(p.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		p.t.Fatal(err)
	}
	cmd := exec.Command(p.args[0], p.args[1:]...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		p.t.Fatalf("start %s: %v", p.name, err)
	}
	logf.Close()
	p.cmd = cmd
}

// stop sends sig and waits for the process to end.
func (p *process) stop(sig syscall.Signal) {
	if p.cmd == nil {
		return
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, sig)
	done := make(chan struct{})
	go func() { p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
	p.cmd = nil
}

// Log returns what the server printed so far, for failure messages.
func (p *process) Log() string {
	b, _ := os.ReadFile(p.log)
	return string(b)
}

func waitTCP(t testing.TB, addr string, p *process) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not listen on %s: %v\n%s", p.name, addr, err, p.Log())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func waitHTTP(t testing.TB, url string, p *process) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode < 300 {
				return
			}
		}
		if ctx.Err() != nil {
			t.Fatalf("%s did not answer %s: %v\n%s", p.name, url, err, p.Log())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
