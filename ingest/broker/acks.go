package broker

import (
	"hash/fnv"
	"strings"
	"sync"
	"time"

	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// Bounds of the QoS 1 messages taken but not yet acknowledged (waiting for
// their fsync, or for their PUBACK to be written). Past a bound the broker
// reads no more from a device until acks go out, so memory stays bounded
// however fast devices send. MQTT 5 devices are told maxPendingAcks as the
// broker's Receive Maximum.
const (
	maxPendingAcks = 64   // of one device
	maxPendingAll  = 4096 // of all devices together
	ackWriters     = 4
	decoders       = 4
	// ackWriteTimeout is how long a PUBACK may wait for a device to read
	// its connection; then the device is cut off (it sends its unacked
	// messages again) rather than holding up the acks of others.
	ackWriteTimeout = 10 * time.Second
)

// deviceAcks is what the intake keeps of one connection while its QoS 1
// messages wait to be acknowledged. Its PUBACKs leave in the order its
// messages came, as MQTT requires, each only after its own readings are
// durable; after a message that could not be made durable none of the
// later ones is acknowledged (the connection is closed and the device
// sends them again).
type deviceAcks struct {
	cl      *mochi.Client
	shard   int // its decoder
	mu      sync.Mutex
	room    sync.Cond // signalled when pending goes down
	first   uint64    // sequence number of slots[head]
	head    int
	slots   []ackSlot // messages taken, oldest at head, until their PUBACK is queued
	acks    []uint16  // packet ids whose PUBACK is to be written, in order
	pending int       // messages taken whose PUBACK is not written yet
	writing bool      // queued for, or in, an ack writer
	failed  bool      // a message was not made durable: nothing more is acknowledged
}

type ackSlot struct {
	id   uint16
	done bool
	err  error
}

// job is a QoS 1 message taken, for a decoder.
type job struct {
	d     *deviceAcks
	seq   uint64
	topic string
	body  []byte // mochi reads each packet into a new slice: it is ours
}

// startAsync starts the decoders and the ack writers.
func (h *intakeHook) startAsync() {
	h.stopped = make(chan struct{})
	h.all = make(chan struct{}, maxPendingAll)
	h.flush = make(chan *deviceAcks, maxPendingAll)
	for range ackWriters {
		go h.ackWriter()
	}
	h.decoders = make([]chan job, decoders)
	for i := range h.decoders {
		h.decoders[i] = make(chan job, maxPendingAll) // never full: a job holds a token of all
		go h.decoder(h.decoders[i])
	}
}

// OnPacketRead takes a device's QoS 1 telemetry as soon as mochi has read
// it, before mochi's own publish handling, and turns the packet into one
// that handling drops at once (a publish to $SYS, which MQTT forbids
// clients; mochi.IsValidFilter refuses it first thing). Why: mochi passes
// its 800-byte packet by value through every call, so a publish handled
// the usual way needs more than 16 KiB of stack, and Go then keeps a
// 32 KiB stack for each connection's reader. Taken here, the deepest call
// stays under 16 KiB: 16 MiB less at 1000 devices, and less stack copying
// and scanning by the GC. The message is checked as mochi would check it
// (validity, topic alias, ACL) first; anything else goes mochi's usual
// way. (mochi checks the ACL before it resolves a topic alias, so there a
// publish by alias alone is refused; here the alias is resolved first.)
func (h *intakeHook) OnPacketRead(cl *mochi.Client, pk packets.Packet) (packets.Packet, error) {
	if pk.FixedHeader.Type != packets.Publish || pk.FixedHeader.Qos != 1 || cl.Net.Inline || h.closing.Load() ||
		pk.PublishValidate(h.aliasMax) != packets.CodeSuccess {
		return pk, nil
	}
	topic := pk.TopicName
	if pk.TopicName != "" && !h.mayPublish(cl, pk.TopicName) {
		return pk, nil // refused by mochi's ACL check, before it keeps an alias to it
	}
	if pk.Properties.TopicAliasFlag { // as processPublish does it
		topic = cl.State.TopicAliases.Inbound.Set(pk.Properties.TopicAlias, pk.TopicName)
	}
	if !strings.HasSuffix(topic, "/telemetry") || !mochi.IsValidFilter(topic, true) || !h.mayPublish(cl, topic) {
		return pk, nil
	}
	h.take(cl, pk.PacketID, topic, pk.Payload)
	pk.TopicName = takenTopic
	return pk, nil
}

// takenTopic is what a taken publish becomes: mochi drops it unanswered.
const takenTopic = "$SYS/oxywatch/taken"

// decoder hands the messages of its devices, in the order they came, to
// the ingest path.
func (h *intakeHook) decoder(jobs <-chan job) {
	for {
		select {
		case j := <-jobs:
			h.handleAsync(h.ctx, j.topic, j.body, func(err error) { h.told(j.d, j.seq, err) })
		case <-h.stopped:
			return
		}
	}
}

// take queues a QoS 1 publish for its device's decoder, which queues its
// readings for the buffer's next fsync; the PUBACK is written by an ack
// writer once the message's readings are durable. Meanwhile the device's
// next messages are read and taken, in order, so they reach the buffer
// in the order they came. A device with maxPendingAcks messages pending
// waits here, and so is not read until acks go out.
func (h *intakeHook) take(cl *mochi.Client, id uint16, topic string, body []byte) {
	d := h.device(cl)
	select {
	case h.all <- struct{}{}:
	case <-h.stopped:
		cl.Stop(packets.ErrServerShuttingDown)
		return
	}
	d.mu.Lock()
	for d.pending >= maxPendingAcks && !d.failed && !h.halted.Load() {
		d.room.Wait()
	}
	if d.failed || h.halted.Load() {
		d.mu.Unlock()
		<-h.all
		return // the connection is closing
	}
	seq := d.first + uint64(len(d.slots)-d.head)
	d.slots = append(d.slots, ackSlot{id: id})
	d.pending++
	d.mu.Unlock()
	h.decoders[d.shard] <- job{d: d, seq: seq, topic: topic, body: body}
}

// told records the outcome of message seq and queues the PUBACKs that may
// now go out, in order.
func (h *intakeHook) told(d *deviceAcks, seq uint64, err error) {
	d.mu.Lock()
	s := &d.slots[d.head+int(seq-d.first)]
	s.done, s.err = true, err
	stop, dropped := false, 0
	for d.head < len(d.slots) && d.slots[d.head].done {
		s := d.slots[d.head]
		d.head++
		d.first++
		if s.err != nil && !d.failed {
			d.failed, stop = true, true
			h.m.refused.WithLabelValues("not_durable").Inc()
			h.log.Error("message not made durable; closing the device's connection so it sends again", "client", d.cl.ID, "err", s.err)
		}
		if d.failed {
			dropped++ // never acknowledged
			continue
		}
		d.acks = append(d.acks, s.id)
	}
	if d.head == len(d.slots) {
		d.head, d.slots = 0, d.slots[:0]
	}
	d.pending -= dropped
	queue := len(d.acks) > 0 && !d.writing
	if queue {
		d.writing = true
	}
	d.room.Broadcast()
	d.mu.Unlock()
	for range dropped {
		<-h.all
	}
	if stop {
		d.cl.Stop(packets.ErrUnspecifiedError)
	}
	if queue {
		h.flush <- d // never blocks: a device is queued once, and holds a slot of all
	}
}

// ackWriter writes the PUBACKs of the devices queued on flush.
func (h *intakeHook) ackWriter() {
	var ids []uint16
	for {
		var d *deviceAcks
		select {
		case d = <-h.flush:
		case <-h.stopped:
			return
		}
		for {
			d.mu.Lock()
			ids, d.acks = d.acks, ids[:0]
			if len(ids) == 0 {
				d.writing = false
				d.mu.Unlock()
				break
			}
			d.mu.Unlock()
			h.writeAcks(d.cl, ids)
			d.mu.Lock()
			d.pending -= len(ids)
			d.room.Broadcast()
			d.mu.Unlock()
			for range ids {
				<-h.all
			}
		}
	}
}

// writeAcks writes PUBACKs to a device. An error means the connection is
// gone or stuck: the device sends those messages again, and their readings
// are stored once more (InfluxDB keeps one point per device and time).
func (h *intakeHook) writeAcks(cl *mochi.Client, ids []uint16) {
	if cl.Net.Conn != nil {
		_ = cl.Net.Conn.SetWriteDeadline(time.Now().Add(ackWriteTimeout))
		defer cl.Net.Conn.SetWriteDeadline(time.Time{}) //nolint:errcheck // the connection is closing if it fails
	}
	for _, id := range ids {
		err := cl.WritePacket(packets.Packet{
			FixedHeader: packets.FixedHeader{Type: packets.Puback},
			PacketID:    id,
			ReasonCode:  packets.CodeSuccess.Code,
		})
		if err != nil {
			cl.Stop(err)
			return
		}
	}
}

// device returns the state kept for cl's connection.
func (h *intakeHook) device(cl *mochi.Client) *deviceAcks {
	if d, ok := h.devices.Load(cl); ok {
		return d.(*deviceAcks)
	}
	// by client id: a device that reconnects keeps its decoder, so what
	// it sent before is decoded before what it sends now
	f := fnv.New32a()
	_, _ = f.Write([]byte(cl.ID))
	d := &deviceAcks{cl: cl, shard: int(f.Sum32() % decoders)}
	d.room.L = &d.mu
	v, _ := h.devices.LoadOrStore(cl, d)
	return v.(*deviceAcks)
}

// settle waits until every QoS 1 message cl sent before is acknowledged or
// refused, so a message handled in place (QoS 0 or 2, a status) comes after
// them as it came after them on the wire.
func (h *intakeHook) settle(cl *mochi.Client) {
	v, ok := h.devices.Load(cl)
	if !ok {
		return
	}
	d := v.(*deviceAcks)
	d.mu.Lock()
	for d.pending > 0 && !d.failed && !h.halted.Load() {
		d.room.Wait()
	}
	d.mu.Unlock()
}

// stopAsync ends the ack writers and wakes every connection
// waiting for room: what is not acknowledged yet never will be (the devices
// send it again).
func (h *intakeHook) stopAsync() {
	h.halted.Store(true)
	close(h.stopped)
	h.devices.Range(func(_, v any) bool {
		d := v.(*deviceAcks)
		d.mu.Lock()
		d.room.Broadcast()
		d.mu.Unlock()
		return true
	})
}

// OnDisconnect forgets the connection's state; acks still to be written go
// nowhere (the device sends those messages again).
func (h *intakeHook) OnDisconnect(cl *mochi.Client, _ error, _ bool) {
	h.devices.Delete(cl)
}
