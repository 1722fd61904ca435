package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Mosquitto is a real mosquitto broker on a loopback port.
type Mosquitto struct {
	URL  string // tcp://127.0.0.1:PORT
	Addr string // 127.0.0.1:PORT
	Dir  string
	proc *process
}

// MosquittoOptions adds to the test broker's configuration.
type MosquittoOptions struct {
	Extra string // appended to mosquitto.conf
	// Stock starts mosquitto with only a listener and allow_anonymous:
	// every limit at its default (20 in flight, 1000 queued per client),
	// as a ministry's existing broker may be.
	Stock bool
}

// StartMosquitto starts mosquitto with persistence, raised queue and
// in-flight limits (so a lost message in a test is ours, not the broker's
// default limits) and TCP_NODELAY. It is stopped when the test ends.
func StartMosquitto(t testing.TB, opts MosquittoOptions) *Mosquitto {
	t.Helper()
	bin := Require(t, "mosquitto")
	dir := t.TempDir()
	port := FreePort(t)
	conf := fmt.Sprintf(`listener %d 127.0.0.1
allow_anonymous true
persistence true
persistence_location %s/
autosave_interval 1
max_queued_messages 1000000
max_inflight_messages 1000
set_tcp_nodelay true
log_dest stderr
log_type error
log_type warning
%s
`, port, dir, opts.Extra)
	if opts.Stock {
		conf = fmt.Sprintf("listener %d 127.0.0.1\nallow_anonymous true\n", port)
	}
	confPath := filepath.Join(dir, "mosquitto.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	m := &Mosquitto{
		URL:  fmt.Sprintf("tcp://127.0.0.1:%d", port),
		Addr: fmt.Sprintf("127.0.0.1:%d", port),
		Dir:  dir,
		proc: &process{t: t, name: "mosquitto", args: []string{bin, "-c", confPath}, log: filepath.Join(dir, "mosquitto.log")},
	}
	m.Start()
	t.Cleanup(func() { m.proc.stop(syscall.SIGTERM) })
	return m
}

// Start starts the broker (again) and waits until it listens.
func (m *Mosquitto) Start() {
	m.proc.t.Helper()
	m.proc.start()
	waitTCP(m.proc.t, m.Addr, m.proc)
}

// Stop stops the broker cleanly (it saves its persistence file).
func (m *Mosquitto) Stop() { m.proc.stop(syscall.SIGTERM) }

// Log returns the broker's log.
func (m *Mosquitto) Log() string { return m.proc.Log() }

// CPU is the CPU time the broker process has used so far (user + system),
// read from /proc; 0 when it is not running or /proc cannot tell.
func (m *Mosquitto) CPU() time.Duration {
	if m.proc.cmd == nil {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", m.proc.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	// fields after the command name, which is in parentheses: state is
	// field 3, utime 14 and stime 15 (proc(5)), in clock ticks of 1/100 s
	_, rest, ok := strings.Cut(string(b), ") ")
	if !ok {
		return 0
	}
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// PeakRSSMiB is the broker process's peak resident memory so far (VmHWM
// in /proc), in MiB; 0 when it is not running or /proc cannot tell.
func (m *Mosquitto) PeakRSSMiB() int64 {
	if m.proc.cmd == nil {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", m.proc.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			if f := strings.Fields(rest); len(f) > 0 {
				kb, _ := strconv.ParseInt(f[0], 10, 64)
				return kb / 1024
			}
		}
	}
	return 0
}
