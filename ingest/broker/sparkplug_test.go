package broker

import (
	"fmt"
	"strings"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/oxywatch/oxywatch/internal/testenv"
)

// The embedded broker's ACL for Sparkplug: an edge node publishes only
// under its own edge id, leaves only its own NDEATH as will, reads only its
// own commands; the ingester's rebirth request reaches it.
func TestBrokerSparkplugACLAndRebirth(t *testing.T) {
	users := []User{{"oxywatch", "ing-pass-1234567890"}, {"gw1", "pw1"}, {"plants/gw2", "pw2"}}
	tk := &taken{}
	env := startTestBroker(t, t.TempDir(), users, tk)
	login := func(user, pass, will string) func(*mqtt.ClientOptions) {
		return func(o *mqtt.ClientOptions) {
			o.SetUsername(user).SetPassword(pass)
			if will != "" {
				o.SetWill(will, "x", 1, false)
			}
		}
	}
	if _, err := device(t, env.url, "gw1-bad-will", login("gw1", "pw1", "spBv1.0/plants/NDEATH/gw2")); err == nil {
		t.Error("gw1 connected with gw2's NDEATH as its will")
	}
	if _, err := device(t, env.url, "gw2-bad-group", login("plants/gw2", "pw2", "spBv1.0/other/NDEATH/gw2")); err == nil {
		t.Error("plants/gw2 connected with a will in another group")
	}
	c, err := device(t, env.url, "gw1", login("gw1", "pw1", "spBv1.0/plants/NDEATH/gw1"))
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 4)
	if tok := c.Subscribe("spBv1.0/plants/NCMD/gw1", 0, func(_ mqtt.Client, m mqtt.Message) { got <- m.Topic() }); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	sub := c.Subscribe("spBv1.0/plants/NCMD/gw2", 0, nil)
	if sub.WaitTimeout(5 * time.Second); sub.Error() == nil && c.IsConnectionOpen() {
		if r := sub.(*mqtt.SubscribeToken).Result()["spBv1.0/plants/NCMD/gw2"]; r < 0x80 {
			t.Errorf("gw1 may read gw2's commands (suback %#x)", r)
		}
	}
	for i, topic := range []string{"spBv1.0/plants/DDATA/gw2/d1", "spBv1.0/plants/NCMD/gw1", "spBv1.0/plants/DDATA/gw1"} {
		// a refused QoS 1 publish costs a 3.1.1 client its connection
		if x, err := device(t, env.url, fmt.Sprintf("gw1-%d", i), login("gw1", "pw1", "")); err == nil {
			x.Publish(topic, 1, false, "p").WaitTimeout(2 * time.Second)
		}
	}
	if tok := c.Publish("spBv1.0/plants/DDATA/gw1/d1", 1, false, "p"); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	testenv.Eventually(t, 5*time.Second, "gw1's DDATA taken", func() bool { return tk.has("spBv1.0/plants/DDATA/gw1/d1 p") })
	for _, m := range tk.all() {
		if strings.Contains(m, "gw2") || strings.Contains(m, "NCMD") {
			t.Errorf("a message gw1 may not send got in: %q", m)
		}
	}
	if err := env.b.Command("spBv1.0/plants/NCMD/gw1", []byte("rebirth")); err != nil {
		t.Fatal(err)
	}
	select {
	case topic := <-got:
		if topic != "spBv1.0/plants/NCMD/gw1" {
			t.Errorf("got command on %s", topic)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the rebirth command never reached the edge node")
	}
}
