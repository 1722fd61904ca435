package sparkplug

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/oxywatch/oxywatch/ingest/mapping"
	"github.com/oxywatch/oxywatch/ingest/sparkplug/sproto"
	"github.com/oxywatch/oxywatch/internal/plant"
)

// Reasons of rejection this package gives; the ingester counts them in
// oxywatch_ingest_rejected_total{reason}.
const (
	ReasonBadProtobuf    = "bad_protobuf"  // the payload is not a Sparkplug B protobuf
	ReasonUnknownAlias   = "unknown_alias" // a DATA metric's alias was declared by no BIRTH
	ReasonBadTopic       = "bad_topic"
	ReasonBadDeviceID    = "bad_device_id"
	ReasonNonFinite      = "non_finite"
	ReasonTooBig         = "too_big"
	ReasonBacklogTooLong = "backlog_too_long"
)

// Limits. A BIRTH lists every metric with its properties, so the payload
// limit is above the JSON one (and equal to the embedded broker's packet
// limit); the session limits bound what one edge node can make us hold.
const (
	MaxPayloadBytes   = 256 << 10
	maxDevicesPerNode = 1024
	maxMetrics        = 1000 // per device or node
)

// RebirthEvery is how often at most one edge node is asked to rebirth.
const RebirthEvery = 30 * time.Second

// Problem is one rejected message or metric.
type Problem struct {
	Device plant.DeviceID // empty when no device could be named
	Reason string
	Detail string
}

// Data is the readings of one registry device from one message: a JSON
// object (or an array of them, one per timestamp) keyed by metric name,
// with "ts" in Unix milliseconds. Decode it with the model's Sparkplug
// mapping (mapping.Set.ForSparkplug).
type Data struct {
	Device plant.DeviceID
	JSON   []byte
	// Birth: the values came with a BIRTH, which declares metrics and may
	// hold none of a reading's core values (then there is nothing to store,
	// and nothing wrong).
	Birth bool
}

// Command is a message to publish to an edge node (QoS 0, not retained, as
// Sparkplug commands are).
type Command struct {
	Topic   string
	Payload []byte
}

// Result is what one message means.
type Result struct {
	Type            string
	Data            []Data
	Online, Offline []plant.DeviceID
	Problems        []Problem
	// Rebirth is a Node Control/Rebirth request for the edge node when the
	// message could not be understood without its BIRTH; nil when none is
	// due (one per node per RebirthEvery).
	Rebirth *Command
	// RebirthWhy says why a rebirth was needed (sent or not); empty when
	// none was.
	RebirthWhy string
	// Err is set when a BIRTH could not be kept on disk: the message must
	// not be acknowledged, so that it comes again.
	Err error
}

// Decoder holds the session of every edge node. Its methods are safe for
// concurrent use; messages of one edge node must come in order.
type Decoder struct {
	mu       sync.Mutex
	nodes    map[nodeKey]*node
	mappings *mapping.Set
	dir      string
}

// Options configure a Decoder.
type Options struct {
	// Mappings name registry devices; nil uses the Sparkplug device (or
	// edge node) id.
	Mappings *mapping.Set
	// Dir keeps the edge nodes' BIRTH messages across restarts (see
	// store.go); empty keeps sessions in memory only.
	Dir string
}

// New returns a decoder with the sessions kept in opts.Dir. An error
// reading them is returned with the decoder, which works without them.
func New(opts Options) (*Decoder, error) {
	d := &Decoder{nodes: map[nodeKey]*node{}, mappings: opts.Mappings, dir: opts.Dir}
	if d.dir == "" {
		return d, nil
	}
	if err := os.MkdirAll(d.dir, 0o700); err != nil {
		return d, fmt.Errorf("sparkplug session directory: %w", err)
	}
	return d, d.restore()
}

// node is one edge node's session.
type node struct {
	mu          sync.Mutex
	born        bool
	bdSeq       uint64
	hasBdSeq    bool
	own         *metrics // the node's own metrics
	devices     map[string]*metrics
	lastRebirth time.Time

	// The BIRTHs of the session as received, to rewrite the session file
	// when DBIRTHs of devices coming and going have made it long.
	nbirth    []byte
	dbirths   map[string][]byte
	fileBytes int64
}

type nodeKey struct{ group, edge string }

func (d *Decoder) node(t Topic) *node {
	k := nodeKey{t.Group, t.Edge}
	d.mu.Lock()
	defer d.mu.Unlock()
	n, ok := d.nodes[k]
	if !ok {
		n = &node{own: newMetrics(), devices: map[string]*metrics{}}
		d.nodes[k] = n
	}
	return n
}

// Handle reads one message received at now.
func (d *Decoder) Handle(topic string, payload []byte, now time.Time) Result {
	return d.handle(topic, payload, now, false)
}

// handle reads a message, or replays a kept BIRTH (replay: nothing is
// written and no rebirth is asked for).
func (d *Decoder) handle(topic string, payload []byte, now time.Time, replay bool) Result {
	t, err := ParseTopic(topic)
	if err != nil {
		return Result{Type: "other", Problems: []Problem{{Reason: ReasonBadTopic, Detail: err.Error()}}}
	}
	res := Result{Type: t.Type}
	switch t.Type {
	case NCMD, DCMD, STATE:
		return res // commands and host state: not telemetry
	}
	dev := d.mappings.SparkplugDevice(t.Group, t.Edge, t.Device)
	if !plant.ValidDeviceID(string(dev)) {
		res.problem("", ReasonBadDeviceID, fmt.Sprintf("Sparkplug %s/%s/%s gives device id %q, which must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$: map it in the ingest mapping file (sparkplug.devices)", t.Group, t.Edge, t.Device, clip(string(dev))))
		return res
	}
	if len(payload) > MaxPayloadBytes {
		res.problem(dev, ReasonTooBig, fmt.Sprintf("Sparkplug payload is %d bytes, limit %d", len(payload), MaxPayloadBytes))
		return res
	}
	var p sproto.Payload
	if err := proto.Unmarshal(payload, &p); err != nil {
		res.problem(dev, ReasonBadProtobuf, fmt.Sprintf("%s payload is not a Sparkplug B protobuf: %v", t.Type, err))
		return res
	}
	n := d.node(t)
	n.mu.Lock()
	defer n.mu.Unlock()
	if !replay {
		if res.Err = d.keep(t, topic, payload, &p, n); res.Err != nil {
			return res
		}
	}
	s := session{d: d, n: n, t: t, dev: dev, p: &p, now: now, res: &res, replay: replay}
	s.handle()
	return res
}

// keep writes a BIRTH to the session directory, or removes the node's file
// on an NDEATH that ends the current session.
func (d *Decoder) keep(t Topic, topic string, payload []byte, p *sproto.Payload, n *node) error {
	switch t.Type {
	case NBIRTH, DBIRTH:
		return d.saveBirth(t, topic, payload, n)
	case NDEATH:
		if seq, has := bdSeq(p); n.born && has && n.hasBdSeq && seq != n.bdSeq {
			return nil // stale
		}
		return d.forget(t)
	}
	return nil
}

func (r *Result) problem(dev plant.DeviceID, reason, detail string) {
	r.Problems = append(r.Problems, Problem{Device: dev, Reason: reason, Detail: detail})
}

// session handles one message with its node locked.
type session struct {
	d   *Decoder
	n   *node
	t   Topic
	dev plant.DeviceID
	p   *sproto.Payload
	now time.Time
	res *Result

	replay bool
}

func (s *session) handle() {
	switch s.t.Type {
	case NBIRTH:
		s.nbirth()
	case NDEATH:
		s.ndeath()
	case DBIRTH:
		s.dbirth()
	case DDEATH:
		s.ddeath()
	case NDATA:
		s.data(s.n.own, s.n.born)
	case DDATA:
		m := s.n.devices[s.t.Device]
		if m == nil {
			s.data(newMetrics(), false)
			return
		}
		s.data(m, s.n.born && m.born)
	}
}

// nbirth starts a new session: every alias and device of the last one is
// forgotten, and bdSeq is what the matching NDEATH will carry. The devices
// are not said offline: their DBIRTHs follow (a rebirth we asked for must
// not cut their timelines), and one that stays silent goes offline by its
// report interval as any device does.
func (s *session) nbirth() {
	n := s.n
	n.born, n.own, n.devices = true, newMetrics(), map[string]*metrics{}
	n.bdSeq, n.hasBdSeq = bdSeq(s.p)
	n.own.born = true
	if s.birth(n.own) {
		s.res.Online = append(s.res.Online, s.dev)
	}
}

// dbirth starts a device's session. Without its node's NBIRTH the node is
// asked to rebirth, and the device is read meanwhile.
func (s *session) dbirth() {
	if !s.n.born {
		s.rebirth("DBIRTH before NBIRTH")
	}
	if _, ok := s.n.devices[s.t.Device]; !ok && len(s.n.devices) >= maxDevicesPerNode {
		s.res.problem(s.dev, ReasonTooBig, fmt.Sprintf("edge node %s/%s has more than %d devices", s.t.Group, s.t.Edge, maxDevicesPerNode))
		return
	}
	m := newMetrics()
	m.born = true
	s.n.devices[s.t.Device] = m
	s.birth(m)
	s.res.Online = append(s.res.Online, s.dev)
}

// ndeath ends the session whose bdSeq it carries: the node and its devices
// go offline. An NDEATH of an earlier session (a will delivered after the
// node came back) changes nothing.
func (s *session) ndeath() {
	n := s.n
	seq, has := bdSeq(s.p)
	if n.born && has && n.hasBdSeq && seq != n.bdSeq {
		return // stale
	}
	if n.own.born && n.own.readings {
		s.res.Offline = append(s.res.Offline, s.dev)
	}
	for id := range n.devices {
		if dev := s.d.mappings.SparkplugDevice(s.t.Group, s.t.Edge, id); plant.ValidDeviceID(string(dev)) {
			s.res.Offline = append(s.res.Offline, dev)
		}
	}
	if !n.born && len(n.devices) == 0 {
		s.res.Offline = append(s.res.Offline, s.dev) // unknown session: at least the node's own id
	}
	n.born, n.own, n.devices = false, newMetrics(), map[string]*metrics{}
}

func (s *session) ddeath() {
	delete(s.n.devices, s.t.Device)
	delete(s.n.dbirths, s.t.Device)
	s.res.Offline = append(s.res.Offline, s.dev)
}

// birth declares the metrics (names and aliases) and reads their values as
// a reading. It reports whether the birth held any telemetry metric.
func (s *session) birth(m *metrics) bool {
	for _, mt := range s.p.GetMetrics() {
		if len(m.aliases) >= maxMetrics {
			s.res.problem(s.dev, ReasonTooBig, fmt.Sprintf("%s declares more than %d metrics", s.t.Type, maxMetrics))
			break
		}
		if mt.Name != nil && mt.Alias != nil {
			m.aliases[mt.GetAlias()] = mt.GetName()
		}
		if u := engUnit(mt); u != "" && mt.Name != nil {
			m.units[mt.GetName()] = u
		}
	}
	return s.values(m, s.p.GetMetrics())
}

// data reads a DATA message; metrics only known by an alias no BIRTH
// declared are dropped, and the node is asked to rebirth.
func (s *session) data(m *metrics, born bool) {
	if !born {
		s.rebirth(s.t.Type + " before its BIRTH")
	}
	s.values(m, s.p.GetMetrics())
}

// rebirth asks the edge node to send its BIRTH messages again, at most once
// per RebirthEvery.
func (s *session) rebirth(why string) {
	s.res.RebirthWhy = why
	if s.replay {
		return
	}
	if !s.n.lastRebirth.IsZero() && s.now.Sub(s.n.lastRebirth) < RebirthEvery {
		return
	}
	s.n.lastRebirth = s.now
	s.res.Rebirth = RebirthCommand(s.t, s.now)
}

// RebirthCommand is the NCMD that asks an edge node for its BIRTH messages.
func RebirthCommand(t Topic, now time.Time) *Command {
	b, _ := proto.Marshal(&sproto.Payload{
		Timestamp: proto.Uint64(uint64(now.UnixMilli())),
		Metrics: []*sproto.Payload_Metric{{
			Name:     proto.String("Node Control/Rebirth"),
			Datatype: proto.Uint32(uint32(sproto.DataType_Boolean)),
			Value:    &sproto.Payload_Metric_BooleanValue{BooleanValue: true},
		}},
	})
	return &Command{Topic: t.Node(NCMD), Payload: b}
}

// unitKeys are the property names gateways give a metric's unit under.
var unitKeys = []string{"engUnit", "EngUnit", "engUnits", "EngineeringUnits", "engineeringUnits", "Units", "units", "Unit", "unit"}

// engUnit returns the engineering unit a BIRTH's metric properties give.
func engUnit(mt *sproto.Payload_Metric) string {
	ps := mt.GetProperties()
	for i, k := range ps.GetKeys() {
		if i >= len(ps.GetValues()) {
			break
		}
		for _, uk := range unitKeys {
			if k == uk {
				if u := ps.GetValues()[i].GetStringValue(); u != "" && len(u) <= 16 && !strings.ContainsAny(u, "[]") {
					return u
				}
			}
		}
	}
	return ""
}

// bdSeq returns the bdSeq metric of an NBIRTH or NDEATH.
func bdSeq(p *sproto.Payload) (uint64, bool) {
	for _, m := range p.GetMetrics() {
		if m.GetName() == "bdSeq" {
			switch v := m.GetValue().(type) {
			case *sproto.Payload_Metric_LongValue:
				return v.LongValue, true
			case *sproto.Payload_Metric_IntValue:
				return uint64(v.IntValue), true
			}
		}
	}
	return 0, false
}
