package notify

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/oxywatch/oxywatch/internal/plant"
	"github.com/oxywatch/oxywatch/internal/store"
)

// Environment of the child process the crash test starts and kills.
const (
	envChildDB   = "OXYWATCH_NOTIFY_CHILD_DB"
	envChildURL  = "OXYWATCH_NOTIFY_CHILD_URL"
	envChildMode = "OXYWATCH_NOTIFY_CHILD_MODE"
)

func TestMain(m *testing.M) {
	if os.Getenv(envChildDB) != "" {
		crashChild()
		return
	}
	os.Exit(m.Run())
}

// crashChild is OxyWatch from a notifier's point of view: it stores a
// firing alert's transition, says so on stdout, and (in mode "sending")
// runs the workers, until the test kills it with SIGKILL.
func crashChild() {
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(2)
	}
	db, err := store.OpenSQLiteFile(os.Getenv(envChildDB))
	if err != nil {
		fail(err)
	}
	cfg := testConfig()
	cfg.SMS.Provider, cfg.SMS.HTTP.URL = "http", os.Getenv(envChildURL)
	senders, err := SendersFromConfig(cfg, nil)
	if err != nil {
		fail(err)
	}
	s, err := New(Options{DB: db, Config: cfg, Senders: senders, Registerer: prometheus.NewRegistry()})
	if err != nil {
		fail(err)
	}
	ctx := context.Background()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		fail(err)
	}
	if err := s.Enqueue(ctx, tx, []plant.Transition{firing(7, "mulago", "psa-3", time.Now())}); err != nil {
		fail(err)
	}
	if err := tx.Commit(); err != nil {
		fail(err)
	}
	fmt.Println("COMMITTED")
	if os.Getenv(envChildMode) == "sending" {
		go s.Run(ctx)
	}
	time.Sleep(time.Minute) // the test kills us long before
	os.Exit(3)
}

// countingGateway is an SMS gateway that drops repeats of an idempotency
// key, as the generic gateway contract asks, and counts what it saw.
type countingGateway struct {
	mu       sync.Mutex
	requests []string // idempotency keys, in order
	first    chan struct{}
	release  chan struct{} // when not nil, the first request waits for it
}

func (g *countingGateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body struct {
		To, Text       string
		IdempotencyKey string `json:"idempotency_key"`
	}
	b, _ := io.ReadAll(r.Body)
	json.Unmarshal(b, &body)
	g.mu.Lock()
	g.requests = append(g.requests, body.IdempotencyKey)
	n := len(g.requests)
	g.mu.Unlock()
	if n == 1 {
		close(g.first)
		if g.release != nil {
			<-g.release
		}
	}
	w.WriteHeader(http.StatusAccepted)
}

func (g *countingGateway) seen() (requests int, distinct []string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	d := slices.Clone(g.requests)
	sort.Strings(d)
	return len(g.requests), slices.Compact(d)
}

// TestSIGKILLBetweenTransitionAndSend kills the process after the
// transition committed, before the send ("queued") or while the provider
// holds the request ("sending"); after a restart on the same SQLite file the
// message goes out, and the provider sees one idempotency key.
func TestSIGKILLBetweenTransitionAndSend(t *testing.T) {
	for _, tc := range []struct {
		mode         string
		wantRequests int
	}{{"queued", 1}, {"sending", 2}} {
		t.Run(tc.mode, func(t *testing.T) {
			gw := &countingGateway{first: make(chan struct{})}
			if tc.mode == "sending" {
				gw.release = make(chan struct{})
			}
			srv := httptest.NewServer(gw)
			defer srv.Close()
			path := filepath.Join(t.TempDir(), "oxywatch.db")
			seedContact(t, path)

			child := exec.Command(os.Args[0])
			child.Env = append(os.Environ(), envChildDB+"="+path, envChildURL+"="+srv.URL, envChildMode+"="+tc.mode)
			child.Stderr = os.Stderr
			out, err := child.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := child.Start(); err != nil {
				t.Fatal(err)
			}
			committed := make(chan bool, 1)
			go func() {
				line, _ := bufio.NewReader(out).ReadString('\n')
				committed <- line == "COMMITTED\n"
			}()
			wait(t, committed, "the child to commit the transition")
			if tc.mode == "sending" {
				wait(t, gw.first, "the child's request to reach the provider")
			}
			if err := child.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			child.Wait()
			if ws, ok := child.ProcessState.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGKILL {
				t.Fatalf("child ended with %v, want killed by SIGKILL", child.ProcessState)
			}
			if gw.release != nil {
				close(gw.release) // the provider accepted; nobody heard
			}
			if n, _ := gw.seen(); tc.mode == "queued" && n != 0 {
				t.Fatalf("provider got %d requests before the restart, want 0", n)
			}

			restartAndDeliver(t, path, srv.URL)
			n, keys := gw.seen()
			if len(keys) != 1 || n != tc.wantRequests {
				t.Fatalf("provider got %d requests with keys %q, want %d requests under one key", n, keys, tc.wantRequests)
			}
		})
	}
}

func wait[T any](t *testing.T, c <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-c:
		return v
	case <-time.After(20 * time.Second):
		t.Fatalf("gave up waiting for %s", what)
	}
	var zero T
	return zero
}

func seedContact(t *testing.T, path string) {
	t.Helper()
	db, err := store.OpenSQLiteFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s, err := New(Options{DB: db, Config: testConfig(), Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateContact(context.Background(), Contact{Name: "Grace", Phone: "+256772000111", Facilities: []string{"mulago"}}); err != nil {
		t.Fatal(err)
	}
}

// restartAndDeliver opens the database again, runs the workers until the
// outbox holds no pending row, and stops them.
func restartAndDeliver(t *testing.T, path, url string) {
	t.Helper()
	db, err := store.OpenSQLiteFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cfg := testConfig()
	cfg.SMS.Provider, cfg.SMS.HTTP.URL = "http", url
	senders, err := SendersFromConfig(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{DB: db, Config: cfg, Senders: senders, Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	var ds []Delivery
	poll(t, 20*time.Second, "the outbox to be sent", func() bool {
		ds, err = s.Deliveries(ctx, DeliveryFilter{})
		return err == nil && len(ds) == 1 && ds[0].State == StateSent
	})
	cancel()
	if err := wait(t, done, "Run to return"); err != nil {
		t.Fatalf("Run: %v", err)
	}
}
