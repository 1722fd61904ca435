// Package sparkplug reads Sparkplug B (Eclipse Sparkplug 3.0) messages for
// the ingester: it parses the topics, decodes the protobuf payloads, keeps
// each edge node's session (bdSeq, the metric aliases its BIRTH messages
// declare, the devices it has born) and turns DATA into readings, one JSON
// object per device and timestamp keyed by metric name, that the ingest
// decoder maps like any vendor payload. It imports nothing of ingest, so
// the ingester owns durability and everything stays on one path.
package sparkplug

import (
	"fmt"
	"strings"
)

// Namespace is the first topic level of Sparkplug B.
const Namespace = "spBv1.0"

// Message types (the third topic level).
const (
	NBIRTH = "NBIRTH"
	NDATA  = "NDATA"
	NDEATH = "NDEATH"
	DBIRTH = "DBIRTH"
	DDATA  = "DDATA"
	DDEATH = "DDEATH"
	NCMD   = "NCMD"
	DCMD   = "DCMD"
	STATE  = "STATE"
)

// IsTopic reports whether a topic is in the Sparkplug B namespace.
func IsTopic(topic string) bool {
	return len(topic) > len(Namespace) && topic[len(Namespace)] == '/' && strings.HasPrefix(topic, Namespace)
}

// Topic is a parsed spBv1.0/GROUP/TYPE/EDGE[/DEVICE].
type Topic struct {
	Group, Type, Edge, Device string
}

// ParseTopic splits a Sparkplug B topic. STATE topics (a host
// application's) parse with Type STATE and the host id in Edge.
func ParseTopic(topic string) (Topic, error) {
	var buf [6]string
	parts := split(topic, buf[:0])
	if len(parts) < 3 || parts[0] != Namespace {
		return Topic{}, fmt.Errorf("topic %q is not %s/GROUP/TYPE/EDGE[/DEVICE]", clip(topic), Namespace)
	}
	if parts[1] == STATE && len(parts) == 3 {
		return Topic{Type: STATE, Edge: parts[2]}, nil
	}
	if len(parts) < 4 || len(parts) > 5 {
		return Topic{}, fmt.Errorf("topic %q is not %s/GROUP/TYPE/EDGE[/DEVICE]", clip(topic), Namespace)
	}
	t := Topic{Group: parts[1], Type: parts[2], Edge: parts[3]}
	if len(parts) == 5 {
		t.Device = parts[4]
	}
	for _, p := range parts[1:] {
		if p == "" || strings.ContainsAny(p, "+#") {
			return Topic{}, fmt.Errorf("topic %q has an empty or wildcard level", clip(topic))
		}
	}
	switch t.Type {
	case NBIRTH, NDATA, NDEATH, NCMD:
		if t.Device != "" {
			return Topic{}, fmt.Errorf("topic %q: %s takes no device level", clip(topic), t.Type)
		}
	case DBIRTH, DDATA, DDEATH, DCMD:
		if t.Device == "" {
			return Topic{}, fmt.Errorf("topic %q: %s needs a device level", clip(topic), t.Type)
		}
	default:
		return Topic{}, fmt.Errorf("topic %q: message type %q is not one of NBIRTH, NDATA, NDEATH, DBIRTH, DDATA, DDEATH, NCMD, DCMD", clip(topic), clip(t.Type))
	}
	return t, nil
}

// split cuts a topic at its slashes into parts (up to 6; a seventh part
// holds the rest) without allocating.
func split(topic string, parts []string) []string {
	for len(parts) < cap(parts)-1 {
		before, after, ok := strings.Cut(topic, "/")
		parts = append(parts, before)
		if !ok {
			return parts
		}
		topic = after
	}
	return append(parts, topic)
}

// Node is the edge node's topic for a message type: spBv1.0/GROUP/TYPE/EDGE.
func (t Topic) Node(typ string) string { return Namespace + "/" + t.Group + "/" + typ + "/" + t.Edge }

func clip(s string) string {
	if len(s) <= 80 {
		return s
	}
	return s[:80] + "…"
}
