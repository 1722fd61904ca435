// Package deploy holds no code: only tests that prove the files under deploy/
// (Mosquitto, Compose, Grafana, Kubernetes, systemd, Prometheus) run or at
// least parse, and name only what OxyWatch really exports.
package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// integration skips tests that start servers or build binaries under
// -short (make test-short); make test runs them.
func integration(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test; run without -short (make test does)")
	}
}

// deployDir is the folder of this file; tests run with it as working dir.
func deployDir(t testing.TB) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return wd
}

// repoRoot is the module root, one level up.
func repoRoot(t testing.TB) string { return filepath.Dir(deployDir(t)) }

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t testing.TB, path string, data []byte, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, mode); err != nil {
		t.Fatal(err)
	}
}

// server is a child process stopped when the test ends; its output is kept
// for failure messages.
type server struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	done    chan struct{}
}

func startServer(t testing.TB, name string, env []string, args ...string) *server {
	t.Helper()
	s := &server{name: name, done: make(chan struct{})}
	s.cmd = exec.Command(args[0], args[1:]...)
	s.cmd.Env = append(os.Environ(), env...)
	s.logPath = filepath.Join(t.TempDir(), name+".log")
	logf, err := os.Create(s.logPath)
	if err != nil {
		t.Fatal(err)
	}
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { _ = s.cmd.Wait(); logf.Close(); close(s.done) }()
	t.Cleanup(s.stop)
	return s
}

func (s *server) stop() {
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(15 * time.Second):
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.done
	}
}

// exited reports whether the process has ended.
func (s *server) exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// log returns what the process printed so far.
func (s *server) log() string {
	b, _ := os.ReadFile(s.logPath)
	return string(b)
}

// run runs a command and fails the test with its output when it fails.
func run(t testing.TB, dir string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}
