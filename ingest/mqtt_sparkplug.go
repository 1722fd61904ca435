package ingest

import (
	"errors"
	mqtt "github.com/eclipse/paho.mqtt.golang"
	"hash/maphash"
	"strings"

	"github.com/oxywatch/oxywatch/ingest/sparkplug"
)

// Sparkplug B on an external broker.
//
// A Sparkplug edge node's messages only make sense in order: a DBIRTH
// declares the aliases its DDATA use, and an NDEATH ends the session its
// NBIRTH began (bdSeq). A shared subscription would deal one node's
// messages out to several connections. Sparkplug therefore has a
// connection of its own, subscribed without sharing to spBv1.0/#: its
// handler appends each message to one of sparkplugLanes queues, chosen by
// GROUP/EDGE, and each lane makes its messages durable one after the other
// (a Sparkplug message is handled whole, its fsync waited for, before the
// next: a DBIRTH's aliases must be known to the DDATA after it). One node's messages stay in order; different nodes' go in
// parallel and share the buffer's group commit. The broker delivers a
// node's last will (its NDEATH) after its earlier messages on the same
// subscription, so a death never overtakes the data before it.
const (
	sparkplugFilter = sparkplug.Namespace + "/#"
	sparkplugLanes  = 32
	laneQueue       = 1024
)

var laneSeed = maphash.MakeSeed()

// laneOf picks the lane of a topic's edge node (spBv1.0/GROUP/TYPE/EDGE…).
func laneOf(topic string) int {
	parts := strings.SplitN(topic, "/", 5)
	key := topic
	if len(parts) >= 4 {
		key = parts[1] + "/" + parts[3]
	}
	return int(maphash.String(laneSeed, key) % sparkplugLanes)
}

// Command publishes a Sparkplug command (a rebirth request) on the
// Sparkplug connection, QoS 0 as Sparkplug commands are, without waiting.
func (s *Subscriber) Command(topic string, payload []byte) error {
	for _, c := range s.conns {
		if c.ordered && c.client != nil && c.client.IsConnectionOpen() {
			c.client.Publish(topic, 0, false, payload)
			return nil
		}
	}
	return errors.New("the Sparkplug connection to the broker is down")
}

// refused logs the filters the broker refused in its SUBACK (0x80: an ACL
// that does not let the ingester read them, such as an older one without
// spBv1.0/#). paho counts such a subscription as done.
func (c *conn) refused(tok mqtt.Token) {
	st, ok := tok.(*mqtt.SubscribeToken)
	if !ok {
		return
	}
	for filter, code := range st.Result() {
		if code >= 0x80 {
			c.s.log.Error("the broker refused a subscription: nothing on it reaches OxyWatch; let the ingester's user read it in the broker's ACL (deploy/mosquitto/oxywatch.acl)",
				"client_id", c.id, "filter", filter, "code", code)
		}
	}
}
