package broker

import (
	"fmt"
	"strings"

	"github.com/oxywatch/oxywatch/ingest/sparkplug"
)

// Sparkplug B rules of the embedded broker's ACL. An edge node logs in with
// its edge node id as username (or GROUP/EDGE to be held to one group): it
// may publish its own NBIRTH, NDATA, NDEATH (also as its last will) and
// its devices' DBIRTH, DDATA, DDEATH, and read its own NCMD and DCMD and
// host applications' STATE. Nobody but the ingester sends commands.

// sparkplugOwner reports whether user owns the edge node GROUP/EDGE.
func sparkplugOwner(user, group, edge string) bool {
	if g, e, ok := strings.Cut(user, "/"); ok {
		return g == group && e == edge
	}
	return user == edge
}

// sparkplugMayPublish is the write rule for topics under spBv1.0/.
func sparkplugMayPublish(user, topic string) bool {
	t, err := sparkplug.ParseTopic(topic)
	if err != nil {
		return false
	}
	switch t.Type {
	case sparkplug.NBIRTH, sparkplug.NDATA, sparkplug.NDEATH, sparkplug.DBIRTH, sparkplug.DDATA, sparkplug.DDEATH:
		return sparkplugOwner(user, t.Group, t.Edge)
	}
	return false
}

// sparkplugMayRead is the read rule (for a subscription's filter and for
// each message delivered) for topics under spBv1.0/.
func sparkplugMayRead(user, topic string) bool {
	parts := strings.Split(topic, "/")
	if len(parts) >= 3 && parts[1] == sparkplug.STATE {
		return true
	}
	if len(parts) < 4 || len(parts) > 5 || strings.ContainsAny(parts[1]+parts[3], "+#") {
		return false
	}
	switch parts[2] {
	case sparkplug.NCMD:
		return len(parts) == 4 && sparkplugOwner(user, parts[1], parts[3])
	case sparkplug.DCMD:
		return len(parts) == 5 && sparkplugOwner(user, parts[1], parts[3])
	}
	return false
}

// Command publishes a Sparkplug command (a rebirth request) to the edge
// nodes subscribed to it, from the broker's own inline client, QoS 0 as
// Sparkplug commands are. It needs the intake (Options.Handle).
func (b *Broker) Command(topic string, payload []byte) error {
	if b.intake == nil {
		return fmt.Errorf("embedded broker without intake sends no commands")
	}
	return b.srv.Publish(topic, payload, false, 0)
}
