package mqttpub_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/oxywatch/oxywatch/firmware-sim/mqttpub"
	"github.com/oxywatch/oxywatch/firmware-sim/sim"
	"github.com/oxywatch/oxywatch/ingest"
	"github.com/oxywatch/oxywatch/ingest/broker"
	"github.com/oxywatch/oxywatch/internal/plant"
	"github.com/oxywatch/oxywatch/internal/testenv"
)

// watcher subscribes to everything under o2/ and keeps what arrives.
type watcher struct {
	mu        sync.Mutex
	status    map[string][]string
	telemetry map[string][][]byte
}

func watch(t *testing.T, url string) *watcher { return watchAs(t, url, "", "") }

// watchAs watches with a username and password.
func watchAs(t *testing.T, url, user, pass string) *watcher {
	t.Helper()
	w := &watcher{status: map[string][]string{}, telemetry: map[string][][]byte{}}
	c := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(url).SetClientID("test-watcher").SetOrderMatters(true).
		SetUsername(user).SetPassword(pass))
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("watcher connect: %v", tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(100) })
	tok := c.Subscribe("o2/#", 1, func(_ mqtt.Client, m mqtt.Message) {
		parts := strings.Split(m.Topic(), "/")
		w.mu.Lock()
		defer w.mu.Unlock()
		switch parts[2] {
		case "status":
			w.status[parts[1]] = append(w.status[parts[1]], string(m.Payload()))
		case "telemetry":
			w.telemetry[parts[1]] = append(w.telemetry[parts[1]], slices.Clone(m.Payload()))
		}
	})
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}
	return w
}

func (w *watcher) statuses(dev string) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.status[dev])
}

func (w *watcher) payloads(dev string) [][]byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.telemetry[dev])
}

// TestOutageBacklogThroughMosquitto runs three devices for two simulated
// hours against a real mosquitto, one of them cut off for 40 minutes: the
// broker publishes its last will, and on reconnect the device sends what it
// kept as a backlog with the original timestamps. Every reading arrives and
// passes the server's decoder.
func TestOutageBacklogThroughMosquitto(t *testing.T) {
	mq := testenv.StartMosquitto(t, testenv.MosquittoOptions{})
	w := watch(t, mq.URL)
	pub, err := mqttpub.New(mqttpub.Options{Broker: mq.URL})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	start := now.Add(-2 * time.Hour)
	fleet := []sim.Spec{
		{ID: "psa-001", Kind: sim.KindPSA, RatedFlowLPM: 500, ReportInterval: time.Minute},
		{ID: "conc-001", Kind: sim.KindConcentrator, RatedFlowLPM: 5, ReportInterval: time.Minute},
		{ID: "conc-002", Kind: sim.KindConcentrator, RatedFlowLPM: 5, ReportInterval: time.Minute},
	}
	cutFrom, cutFor := 30*time.Minute, 40*time.Minute
	// ×1200: two simulated hours in six seconds, slow enough for the
	// connections to follow simulated time.
	clock := &sim.Clock{RealStart: time.Now(), SimStart: start, Speed: 1200}
	s, err := sim.New(sim.Config{Fleet: fleet, Seed: 5, Start: start, Until: now, Publisher: pub, Clock: clock,
		Events: []sim.Event{{At: cutFrom, For: cutFor, Device: "conc-001", Fault: sim.FaultOffline}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if err := s.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	sent := s.Stats.Sent.Load()
	got := func() int {
		n := 0
		for _, f := range fleet {
			for _, p := range w.payloads(f.ID) {
				n += len(ingest.DecodeTelemetry(plant.DeviceID(f.ID), p, now).Readings)
			}
		}
		return n
	}
	testenv.Eventually(t, 20*time.Second, "every sent reading at the watcher", func() bool { return got() >= int(sent) })
	s.Close()
	testenv.Eventually(t, 10*time.Second, "offline from every device after Close", func() bool {
		for _, f := range fleet {
			if st := w.statuses(f.ID); len(st) == 0 || st[len(st)-1] != "offline" {
				return false
			}
		}
		return true
	})

	// QoS 1 is at least once: a status may reach the watcher twice (seen
	// on a loaded CI machine), so repeats in a row count once.
	if st := slices.Compact(w.statuses("conc-001")); !slices.Equal(st, []string{"online", "offline", "online", "offline"}) {
		t.Errorf("conc-001 status %q, want online, offline (last will), online, offline", st)
	}
	if st := w.statuses("psa-001"); !slices.Equal(st, []string{"online", "offline"}) {
		t.Errorf("psa-001 status %q, want online, offline", st)
	}
	unique := map[string]map[time.Time]bool{}
	var outage []plant.Reading
	for _, f := range fleet {
		unique[f.ID] = map[time.Time]bool{}
		for _, p := range w.payloads(f.ID) {
			d := ingest.DecodeTelemetry(plant.DeviceID(f.ID), p, now)
			if len(d.Rejected) > 0 {
				t.Fatalf("%s: rejected %v in %.200s", f.ID, d.Rejected[0], p)
			}
			for _, r := range d.Readings {
				unique[f.ID][r.Time] = true
				if f.ID == "conc-001" && d.Backlog && !r.Time.Before(start.Add(cutFrom)) && r.Time.Before(start.Add(cutFrom+cutFor)) {
					outage = append(outage, r)
				}
			}
		}
	}
	total := 0
	for _, u := range unique {
		total += len(u)
	}
	if total != int(sent) {
		t.Errorf("watcher got %d distinct readings, the simulator sent %d", total, sent)
	}
	if len(outage) < 39 || len(outage) > 41 {
		t.Errorf("conc-001 sent %d backlog readings stamped within its 40 min outage, want 40", len(outage))
	}
}

// TestDropPublishesLastWill: a link dropped like a lost GSM connection
// makes the broker publish the retained offline will; the next connection
// says online and delivers what was queued.
func TestDropPublishesLastWill(t *testing.T) {
	mq := testenv.StartMosquitto(t, testenv.MosquittoOptions{})
	w := watch(t, mq.URL)
	var mu sync.Mutex
	var results []error
	pub, err := mqttpub.New(mqttpub.Options{Broker: mq.URL, OnResult: func(_ time.Duration, err error) {
		mu.Lock()
		results = append(results, err)
		mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	l := pub.Link(sim.Spec{ID: "conc-009"})
	l.Connect()
	testenv.Eventually(t, 10*time.Second, "link up", l.Connected)
	if err := l.Publish([]byte(`{"ts":"2026-11-23T10:00:00Z","purity_pct":93}`)); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 10*time.Second, "first reading acknowledged", func() bool { return l.Pending() == 0 })
	l.Drop()
	if err := l.Publish([]byte(`{}`)); err == nil {
		t.Error("Publish on a dropped link succeeded")
	}
	testenv.Eventually(t, 10*time.Second, "last will", func() bool {
		st := w.statuses("conc-009")
		return len(st) == 2 && st[1] == "offline"
	})
	l.Connect()
	testenv.Eventually(t, 10*time.Second, "link up again", l.Connected)
	if err := l.Publish([]byte(`[{"ts":"2026-11-23T10:01:00Z","purity_pct":93}]`)); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 10*time.Second, "backlog at the watcher", func() bool { return len(w.payloads("conc-009")) == 2 })
	l.Close()
	testenv.Eventually(t, 10*time.Second, "offline on close", func() bool { return len(w.statuses("conc-009")) == 4 })
	if st := w.statuses("conc-009"); !slices.Equal(st, []string{"online", "offline", "online", "offline"}) {
		t.Errorf("status %q", st)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(results) != 2 || results[0] != nil || results[1] != nil {
		t.Errorf("publish results %v, want two acknowledgements", results)
	}
}

// TestDeviceCredentials: with a broker that wants passwords, each device
// logs in as its id with its own password; a wrong one never connects.
func TestDeviceCredentials(t *testing.T) {
	dir := t.TempDir()
	// mosquitto started as root reads the file as its own user.
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	pwfile := dir + "/passwd"
	mosquittoPasswd := testenv.Require(t, "mosquitto_passwd")
	for _, u := range [][2]string{{"conc-001", "pw-conc-001"}, {"psa-001", "own-secret"}} {
		args := []string{"-b", pwfile, u[0], u[1]}
		if _, err := os.Stat(pwfile); err != nil {
			args = append([]string{"-c"}, args...)
		}
		if out, err := exec.Command(mosquittoPasswd, args...).CombinedOutput(); err != nil {
			t.Fatalf("mosquitto_passwd: %v: %s", err, out)
		}
	}
	if err := os.Chmod(pwfile, 0o644); err != nil {
		t.Fatal(err)
	}
	mq := testenv.StartMosquitto(t, testenv.MosquittoOptions{Extra: "allow_anonymous false\npassword_file " + pwfile + "\n"})
	var mu sync.Mutex
	attempts := map[string]error{}
	pub, err := mqttpub.New(mqttpub.Options{Broker: mq.URL, DevicePassword: "pw-{id}", OnConnect: func(dev string, err error) {
		mu.Lock()
		attempts[dev] = err
		mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	good := pub.Link(sim.Spec{ID: "conc-001"})
	own := pub.Link(sim.Spec{ID: "psa-001", Password: "own-secret"})
	bad := pub.Link(sim.Spec{ID: "conc-002", Password: "wrong"})
	for _, l := range []sim.Link{good, own, bad} {
		l.Connect()
		defer l.Close()
	}
	testenv.Eventually(t, 10*time.Second, "three connection attempts", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(attempts) == 3
	})
	mu.Lock()
	defer mu.Unlock()
	if attempts["conc-001"] != nil || attempts["psa-001"] != nil || !good.Connected() || !own.Connected() {
		t.Errorf("devices with good passwords: %v, %v", attempts["conc-001"], attempts["psa-001"])
	}
	if attempts["conc-002"] == nil || bad.Connected() {
		t.Error("a device with a wrong password connected")
	}
}

// TestFastRunLosesNothing runs a simulated day of 40 devices with random
// faults and GSM drop-outs as fast as mosquitto takes them (no clock, as a
// Go test of reports would): every reading taken arrives, none is dropped
// for speed.
func TestFastRunLosesNothing(t *testing.T) {
	mq := testenv.StartMosquitto(t, testenv.MosquittoOptions{})
	w := watch(t, mq.URL)
	var failed atomic.Int64
	pub, err := mqttpub.New(mqttpub.Options{Broker: mq.URL, OnResult: func(_ time.Duration, err error) {
		if err != nil {
			failed.Add(1)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	fleet := sim.GenerateFleet(40, 0, 4, time.Minute)
	s, err := sim.New(sim.Config{Fleet: fleet, Seed: 4, Start: now.Add(-24 * time.Hour), Until: now, Publisher: pub,
		RandomFaultsPerDay: 1, DropsPerDay: 3})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	began := time.Now()
	if err := s.Run(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("run took %s", time.Since(began).Round(time.Millisecond))
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	st := &s.Stats
	t.Logf("%d readings delivered in %s, %d backlog payloads, %d injections",
		st.Readings.Load(), time.Since(began).Round(time.Millisecond), st.Backlogs.Load(), len(s.Injections()))
	if st.Dropped.Load() != 0 || st.Queued.Load() != 0 || st.Sent.Load() != st.Readings.Load() {
		t.Fatalf("took %d readings, sent %d, %d waiting, %d dropped", st.Readings.Load(), st.Sent.Load(), st.Queued.Load(), st.Dropped.Load())
	}
	distinct := func() int {
		n := 0
		for _, f := range fleet {
			seen := map[time.Time]bool{}
			for _, p := range w.payloads(f.ID) {
				d := ingest.DecodeTelemetry(plant.DeviceID(f.ID), p, now.Add(time.Minute))
				if len(d.Rejected) > 0 {
					t.Fatalf("%s: %v", f.ID, d.Rejected[0])
				}
				for _, r := range d.Readings {
					seen[r.Time] = true
				}
			}
			n += len(seen)
		}
		return n
	}
	testenv.Eventually(t, 30*time.Second, "every reading at the watcher", func() bool { return distinct() >= int(st.Readings.Load()) })
	if n := distinct(); n != int(st.Sent.Load()) || failed.Load() != 0 {
		t.Errorf("watcher has %d distinct readings, simulator sent %d; %d publishes failed", n, st.Sent.Load(), failed.Load())
	}
	s.Close()
}

// TestEmbeddedBrokerCredentials: against OxyWatch's embedded broker with
// users configured, devices log in as their id with their own password,
// publish their telemetry and status, and their last will gets through.
func TestEmbeddedBrokerCredentials(t *testing.T) {
	addr := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	b, err := broker.Start(broker.Options{Listen: addr, DataDir: t.TempDir(), TopicPrefix: "o2", Ingester: "oxywatch", Logger: slog.New(slog.DiscardHandler),
		Users: []broker.User{{Username: "oxywatch", Password: "ing"}, {Username: "conc-001", Password: "pw-conc-001"},
			{Username: "psa-001", Password: "pw-psa-001"}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	url := "tcp://" + addr
	w := watchAs(t, url, "oxywatch", "ing")
	var mu sync.Mutex
	attempts := map[string]error{}
	pub, err := mqttpub.New(mqttpub.Options{Broker: url, DevicePassword: "pw-{id}", OnConnect: func(dev string, err error) {
		mu.Lock()
		attempts[dev] = err
		mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	fleet := []sim.Spec{
		{ID: "psa-001", Kind: sim.KindPSA, RatedFlowLPM: 500, ReportInterval: time.Minute},
		{ID: "conc-001", Kind: sim.KindConcentrator, RatedFlowLPM: 5, ReportInterval: time.Minute},
	}
	// Paced at ×1200 (an hour in three seconds) so the 10 minutes offline
	// last long enough in real time for the broker to see the link go.
	clock := &sim.Clock{RealStart: time.Now(), SimStart: now.Add(-time.Hour), Speed: 1200}
	s, err := sim.New(sim.Config{Fleet: fleet, Seed: 1, Start: now.Add(-time.Hour), Until: now, Publisher: pub, Clock: clock,
		Events: []sim.Event{{At: 20 * time.Minute, For: 10 * time.Minute, Device: "conc-001", Fault: sim.FaultOffline}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if err := s.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	sent := int(s.Stats.Sent.Load())
	count := func() int {
		n := 0
		for _, f := range fleet {
			for _, p := range w.payloads(f.ID) {
				n += len(ingest.DecodeTelemetry(plant.DeviceID(f.ID), p, now.Add(time.Minute)).Readings)
			}
		}
		return n
	}
	testenv.Eventually(t, 20*time.Second, "every reading through the embedded broker", func() bool { return count() >= sent })
	s.Close()
	testenv.Eventually(t, 10*time.Second, "offline from both devices", func() bool {
		a, b := w.statuses("psa-001"), w.statuses("conc-001")
		return len(a) > 0 && a[len(a)-1] == "offline" && len(b) > 0 && b[len(b)-1] == "offline"
	})
	// QoS 1 is at least once: a status may reach the watcher twice (seen
	// on a loaded CI machine), so repeats in a row count once.
	if st := slices.Compact(w.statuses("conc-001")); !slices.Equal(st, []string{"online", "offline", "online", "offline"}) {
		t.Errorf("conc-001 status %q, want online, offline (last will), online, offline", st)
	}
	wrong, err := mqttpub.New(mqttpub.Options{Broker: url, DevicePassword: "guess", OnConnect: func(dev string, err error) {
		mu.Lock()
		attempts["wrong "+dev] = err
		mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	l := wrong.Link(sim.Spec{ID: "conc-001"})
	l.Connect()
	defer l.Close()
	testenv.Eventually(t, 10*time.Second, "the wrong password's attempt", func() bool {
		mu.Lock()
		defer mu.Unlock()
		_, done := attempts["wrong conc-001"]
		return done
	})
	mu.Lock()
	defer mu.Unlock()
	if attempts["wrong conc-001"] == nil || attempts["psa-001"] != nil || attempts["conc-001"] != nil {
		t.Errorf("connection attempts %v: want the fleet in and the wrong password out", attempts)
	}
}
