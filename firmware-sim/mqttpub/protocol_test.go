package mqttpub_test

import (
	"context"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"google.golang.org/protobuf/proto"

	"github.com/oxywatch/oxywatch/firmware-sim/mqttpub"
	"github.com/oxywatch/oxywatch/firmware-sim/sim"
	"github.com/oxywatch/oxywatch/ingest"
	"github.com/oxywatch/oxywatch/ingest/mapping"
	"github.com/oxywatch/oxywatch/ingest/sparkplug"
	"github.com/oxywatch/oxywatch/ingest/sparkplug/sproto"
	"github.com/oxywatch/oxywatch/internal/plant"
	"github.com/oxywatch/oxywatch/internal/testenv"
)

// spWatcher reads every Sparkplug message in order with the server's own
// decoder and mapping, as the ingester does.
type spWatcher struct {
	mu       sync.Mutex
	c        mqtt.Client
	dec      *sparkplug.Decoder
	readings map[plant.DeviceID]map[time.Time]bool
	types    []string
	problems []string
	offline  []plant.DeviceID
}

func watchSparkplug(t *testing.T, url string) *spWatcher {
	t.Helper()
	dec, _ := sparkplug.New(sparkplug.Options{})
	w := &spWatcher{dec: dec, readings: map[plant.DeviceID]map[time.Time]bool{}}
	w.c = mqtt.NewClient(mqtt.NewClientOptions().AddBroker(url).SetClientID("test-sp-watcher").SetOrderMatters(true))
	if tok := w.c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("watcher connect: %v", tok.Error())
	}
	t.Cleanup(func() { w.c.Disconnect(100) })
	tok := w.c.Subscribe("spBv1.0/#", 1, func(_ mqtt.Client, m mqtt.Message) {
		w.mu.Lock()
		defer w.mu.Unlock()
		now := time.Now().Add(time.Hour) // the simulated clock may run a little ahead
		res := w.dec.Handle(m.Topic(), m.Payload(), now)
		w.types = append(w.types, res.Type)
		for _, p := range res.Problems {
			w.problems = append(w.problems, p.Reason+": "+p.Detail)
		}
		for _, d := range res.Data {
			got := ingest.DecodeMapped(d.Device, d.JSON, now, mapping.Empty().ForSparkplug(""))
			for _, r := range got.Rejected {
				if !d.Birth || r.Reason != ingest.ReasonNoValues {
					w.problems = append(w.problems, r.Error())
				}
			}
			if w.readings[d.Device] == nil {
				w.readings[d.Device] = map[time.Time]bool{}
			}
			for _, r := range got.Readings {
				w.readings[d.Device][r.Time] = true
			}
		}
		w.offline = append(w.offline, res.Offline...)
	})
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}
	return w
}

func (w *spWatcher) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, ts := range w.readings {
		n += len(ts)
	}
	return n
}

func (w *spWatcher) seen(typ string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, t := range w.types {
		if t == typ {
			n++
		}
	}
	return n
}

// TestSparkplugEdgeNodes: simulated devices speak Sparkplug B (an outage's
// backlog included) and every reading comes out of OxyWatch's decoder;
// a rebirth request gets NBIRTH and DBIRTH again; Close sends NDEATH.
func TestSparkplugEdgeNodes(t *testing.T) {
	mq := testenv.StartMosquitto(t, testenv.MosquittoOptions{})
	w := watchSparkplug(t, mq.URL)
	pub, err := mqttpub.New(mqttpub.Options{Broker: mq.URL, Protocol: mqttpub.Sparkplug, Group: "sim"})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	start := now.Add(-time.Hour)
	fleet := []sim.Spec{
		{ID: "psa-001", Kind: sim.KindPSA, RatedFlowLPM: 500, ReportInterval: time.Minute},
		{ID: "conc-001", Kind: sim.KindConcentrator, RatedFlowLPM: 5, ReportInterval: time.Minute},
	}
	clock := &sim.Clock{RealStart: time.Now(), SimStart: start, Speed: 1200}
	s, err := sim.New(sim.Config{Fleet: fleet, Seed: 3, Start: start, Until: now, Publisher: pub, Clock: clock,
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
	testenv.Eventually(t, 20*time.Second, "every reading decoded", func() bool { return w.count() >= sent })
	if n := w.count(); n != sent {
		t.Errorf("decoded %d distinct readings, the simulator sent %d", n, sent)
	}

	births := w.seen(sparkplug.DBIRTH)
	cmd := sparkplug.RebirthCommand(sparkplug.Topic{Group: "sim", Edge: "psa-001"}, time.Now())
	w.c.Publish(cmd.Topic, 0, false, cmd.Payload).WaitTimeout(5 * time.Second)
	testenv.Eventually(t, 10*time.Second, "DBIRTH again after a rebirth request", func() bool { return w.seen(sparkplug.DBIRTH) > births })

	s.Close()
	testenv.Eventually(t, 10*time.Second, "NDEATH from both edge nodes", func() bool { return w.seen(sparkplug.NDEATH) >= 2 })
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.problems) > 0 {
		t.Errorf("problems decoding what the simulator sent: %q", w.problems)
	}
	slices.Sort(w.offline)
	if !slices.Contains(w.offline, "psa-001") || !slices.Contains(w.offline, "conc-001") {
		t.Errorf("offline after NDEATH: %v, want both devices", w.offline)
	}
}

// TestVendorJSON: the vendor payload decodes with the example mapping into
// readings without rejection or unknown words.
func TestVendorJSON(t *testing.T) {
	mq := testenv.StartMosquitto(t, testenv.MosquittoOptions{})
	w := watch(t, mq.URL)
	pub, err := mqttpub.New(mqttpub.Options{Broker: mq.URL, Protocol: mqttpub.VendorJSON})
	if err != nil {
		t.Fatal(err)
	}
	set, err := ingest.LoadMappings(filepath.Join("..", "..", "ingest", "testdata", "mappings.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	fleet := []sim.Spec{{ID: "psa-001", Kind: sim.KindPSA, RatedFlowLPM: 500, ReportInterval: time.Minute, Model: mqttpub.VendorModel}}
	clock := &sim.Clock{RealStart: time.Now(), SimStart: now.Add(-30 * time.Minute), Speed: 1200}
	s, err := sim.New(sim.Config{Fleet: fleet, Seed: 3, Start: now.Add(-30 * time.Minute), Until: now, Publisher: pub, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	sent := int(s.Stats.Sent.Load())
	decode := func() (n int, problems []string) {
		for _, p := range w.payloads("psa-001") {
			d := ingest.DecodeMapped("psa-001", p, now.Add(time.Minute), set.For(mqttpub.VendorModel))
			n += len(d.Readings)
			for _, r := range d.Rejected {
				problems = append(problems, r.Error())
			}
			if d.UnknownKeys+d.UnknownStates+d.UnknownPowers > 0 {
				problems = append(problems, "unknown keys or words in "+string(p))
			}
		}
		return n, problems
	}
	testenv.Eventually(t, 20*time.Second, "every vendor reading", func() bool { n, _ := decode(); return n >= sent })
	if n, problems := decode(); n != sent || len(problems) > 0 {
		t.Errorf("decoded %d readings of %d sent; problems %q", n, sent, problems)
	}
	s.Close()
}

// The rebirth payload the server sends is what the simulated edge node
// understands.
func TestRebirthCommandShape(t *testing.T) {
	cmd := sparkplug.RebirthCommand(sparkplug.Topic{Group: "g", Edge: "e"}, time.Now())
	var p sproto.Payload
	if err := proto.Unmarshal(cmd.Payload, &p); err != nil || p.GetMetrics()[0].GetName() != "Node Control/Rebirth" {
		t.Fatalf("rebirth command %v: %v", &p, err)
	}
}
