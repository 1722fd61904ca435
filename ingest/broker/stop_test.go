package broker

import (
	"context"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/oxywatch/oxywatch/internal/testenv"
)

// Stopping the broker while devices connect and leave ends, and the port
// is closed. mochi's own Close could deadlock then (its GetByListener
// takes a read lock twice; a device leaving in between blocks both for
// good), which would hang a shutdown or a restart in place with ingest
// stopped. Stop now never goes that way (closeClients); the race itself
// is nanoseconds wide, so this guards the end of Stop under churn rather
// than reproducing mochi's bug at will.
func TestBrokerStopsWhileDevicesComeAndGo(t *testing.T) {
	for round := range 5 {
		addr := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
		b, err := New(Options{Listen: addr, DataDir: t.TempDir(), TopicPrefix: "o2", Logger: testLogger(), Registerer: prometheus.NewRegistry(),
			Handle: func(context.Context, string, []byte) error { return nil }, HandleAsync: (&held{}).handle})
		if err != nil {
			t.Fatal(err)
		}
		b.Start(context.Background())
		var churn sync.WaitGroup
		var stop atomic.Bool
		var connects atomic.Int64
		for i := range 8 {
			churn.Go(func() {
				for n := 0; !stop.Load(); n++ {
					o := mqtt.NewClientOptions().AddBroker("tcp://" + addr).SetClientID(fmt.Sprintf("dev-%d-%d", i, n)).
						SetAutoReconnect(false).SetConnectRetry(false).SetConnectTimeout(2 * time.Second)
					c := mqtt.NewClient(o)
					if tok := c.Connect(); tok.WaitTimeout(3*time.Second) && tok.Error() == nil {
						connects.Add(1)
						c.Disconnect(0)
					}
				}
			})
		}
		testenv.Eventually(t, 10*time.Second, "devices connecting", func() bool { return connects.Load() > 20 })
		stopped := make(chan struct{})
		go func() { b.Stop(); close(stopped) }()
		select {
		case <-stopped:
		case <-time.After(30 * time.Second): // a hang, not a slow stop
			t.Fatalf("round %d: Stop has not returned after 30 s while devices came and went", round)
		}
		stop.Store(true)
		churn.Wait()
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			t.Fatalf("round %d: the broker still accepts connections after Stop", round)
		}
	}
}
