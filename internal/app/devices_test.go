package app

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"google.golang.org/protobuf/proto"

	"github.com/oxywatch/oxywatch/ingest/sparkplug/sproto"
)

// fleet is a set of devices that behave as field devices do when the
// broker goes away: a reading is sent again until the broker acknowledges
// it, over a new connection if need be. Each device publishes one reading
// at a time, as a device's firmware does.
type fleet struct {
	url   string
	devs  []*device
	total atomic.Int64
}

type device struct {
	id     string
	next   int // index of the next reading; all before it are acknowledged
	client mqtt.Client
	// spb: the device sits behind a Sparkplug B edge node of its own
	// (edge-ID): every connection sends NBIRTH and a DBIRTH declaring the
	// aliases, readings go as DDATA by alias.
	spb   bool
	bdSeq uint64
}

func newFleet(url string, n int) *fleet {
	f := &fleet{url: url}
	for i := range n {
		f.devs = append(f.devs, &device{id: fmt.Sprintf("dev-%03d", i)})
	}
	return f
}

// newMixedFleet is newFleet with every other device speaking Sparkplug B.
func newMixedFleet(url string, n int) *fleet {
	f := newFleet(url, n)
	for i, d := range f.devs {
		d.spb = i%2 == 1
	}
	return f
}

// acked is how many readings brokers acknowledged so far.
func (f *fleet) acked() int64 { return f.total.Load() }

// publishEach sends n more readings from every device and returns when
// all were acknowledged.
func (f *fleet) publishEach(t *testing.T, n int) {
	t.Helper()
	var wg sync.WaitGroup
	for _, d := range f.devs {
		wg.Go(func() {
			for range n {
				if !d.publishOne(t, f) {
					return
				}
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
}

// stream publishes from every device, a reading every 20 ms at most, until
// the returned stop is called;
// stop waits for the readings in flight to be acknowledged and returns how
// many were acknowledged during the stream.
func (f *fleet) stream(t *testing.T) (stop func() int) {
	start := f.acked()
	var halt atomic.Bool
	var wg sync.WaitGroup
	for _, d := range f.devs {
		wg.Go(func() {
			for !halt.Load() && d.publishOne(t, f) {
				time.Sleep(20 * time.Millisecond) // the device's pace, not a wait for a result
			}
		})
	}
	return func() int {
		halt.Store(true)
		wg.Wait()
		if t.Failed() {
			t.FailNow()
		}
		return int(f.acked() - start)
	}
}

// publishOne sends the device's next reading until it is acknowledged,
// reconnecting as needed, for at most two minutes.
func (d *device) publishOne(t *testing.T, f *fleet) bool {
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		if d.client == nil || !d.client.IsConnectionOpen() {
			if !d.connect(f.url) {
				time.Sleep(100 * time.Millisecond) // back off before the next try, as firmware does
				continue
			}
		}
		topic, payload := "o2/"+d.id+"/telemetry", []byte(reading(d.next))
		if d.spb {
			topic, payload = spTopic("chaos", "DDATA", "edge-"+d.id, d.id), spbReading(d.next)
		}
		tok := d.client.Publish(topic, 1, false, payload)
		if tok.WaitTimeout(10*time.Second) && tok.Error() == nil {
			d.next++
			f.total.Add(1)
			return true
		}
		d.client.Disconnect(0)
		d.client = nil
	}
	t.Errorf("%s: reading %d never acknowledged", d.id, d.next)
	return false
}

func (d *device) connect(url string) bool {
	o := mqtt.NewClientOptions().AddBroker(url).SetClientID(d.id).SetProtocolVersion(4).
		SetAutoReconnect(false).SetConnectTimeout(2 * time.Second).SetWriteTimeout(5 * time.Second)
	if d.spb {
		d.bdSeq++
		o.SetWill(spTopic("chaos", "NDEATH", "edge-"+d.id, ""), string(spbMust(nil, bdSeqMetric(d.bdSeq))), 1, false)
	}
	c := mqtt.NewClient(o)
	tok := c.Connect()
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		return false
	}
	if d.spb && !d.births(c) {
		c.Disconnect(0)
		return false
	}
	d.client = c
	return true
}

// births sends the edge node's NBIRTH and the device's DBIRTH, which
// declares the aliases with null values (so it adds no reading).
func (d *device) births(c mqtt.Client) bool {
	var ms []*sproto.Payload_Metric
	for _, m := range nodeMetrics {
		ms = append(ms, &sproto.Payload_Metric{Name: proto.String(m.name), Alias: proto.Uint64(m.alias), IsNull: proto.Bool(true),
			Datatype: proto.Uint32(uint32(sproto.DataType_Double))})
	}
	for _, m := range []struct {
		topic   string
		payload []byte
	}{
		{spTopic("chaos", "NBIRTH", "edge-"+d.id, ""), spbMust(nil, bdSeqMetric(d.bdSeq))},
		{spTopic("chaos", "DBIRTH", "edge-"+d.id, d.id), spbMust(nil, ms...)},
	} {
		tok := c.Publish(m.topic, 1, false, m.payload)
		if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			return false
		}
	}
	return true
}

// spbReading is reading(j) as a DDATA by alias.
func spbReading(j int) []byte {
	ts := base.Add(time.Duration(j) * time.Minute)
	state := &sproto.Payload_Metric{Alias: proto.Uint64(5), Datatype: proto.Uint32(uint32(sproto.DataType_String)),
		Value: &sproto.Payload_Metric_StringValue{StringValue: "running"}}
	return spbMust(&ts, dbl("", 1, 93.1), dbl("", 2, 4.8), dbl("", 3, 410), dbl("", 4, float64(1000+j)), state)
}
