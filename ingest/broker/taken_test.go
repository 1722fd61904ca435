package broker

import (
	"bufio"
	"bytes"
	"fmt"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/oxywatch/oxywatch/internal/testenv"
)

// rawV5 is an MQTT 5 connection spoken with mochi's own packet codec, so a
// test controls each packet (topic aliases, packet ids) and sees every
// packet the broker sends back, including any it should not.
type rawV5 struct {
	t       *testing.T
	c       net.Conn
	r       *bufio.Reader
	connack packets.Packet
}

func dialV5(t *testing.T, addr, id, user, pass string) *rawV5 {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	rc := &rawV5{t: t, c: c, r: bufio.NewReader(c)}
	rc.send(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Connect}, Connect: packets.ConnectParams{
		ProtocolName: []byte("MQTT"), Clean: true, Keepalive: 30, ClientIdentifier: id,
		UsernameFlag: true, Username: []byte(user), PasswordFlag: true, Password: []byte(pass),
	}, Properties: packets.Properties{TopicAliasMaximum: 10}})
	rc.connack = rc.read()
	if ack := rc.connack; ack.FixedHeader.Type != packets.Connack || ack.ReasonCode != packets.CodeSuccess.Code {
		t.Fatalf("connect %s: got packet type %d reason %#x, want a successful CONNACK", id, ack.FixedHeader.Type, ack.ReasonCode)
	}
	return rc
}

func (rc *rawV5) send(pk packets.Packet) {
	rc.t.Helper()
	pk.ProtocolVersion = 5
	var buf bytes.Buffer
	var err error
	switch pk.FixedHeader.Type {
	case packets.Connect:
		err = pk.ConnectEncode(&buf)
	case packets.Publish:
		err = pk.PublishEncode(&buf)
	case packets.Pingreq:
		err = pk.PingreqEncode(&buf)
	default:
		rc.t.Fatalf("rawV5 cannot send packet type %d", pk.FixedHeader.Type)
	}
	if err != nil {
		rc.t.Fatal(err)
	}
	if _, err := rc.c.Write(buf.Bytes()); err != nil {
		rc.t.Fatal(err)
	}
}

// read returns the next packet the broker sends (CONNACK, PUBACK,
// PINGRESP or DISCONNECT), within 10 s.
func (rc *rawV5) read() packets.Packet {
	rc.t.Helper()
	_ = rc.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	hb, err := rc.r.ReadByte()
	if err != nil {
		rc.t.Fatalf("reading from the broker: %v", err)
	}
	pk := packets.Packet{ProtocolVersion: 5}
	if err := pk.FixedHeader.Decode(hb); err != nil {
		rc.t.Fatal(err)
	}
	n, _, err := packets.DecodeLength(rc.r)
	if err != nil {
		rc.t.Fatal(err)
	}
	pk.FixedHeader.Remaining = n
	body := make([]byte, n)
	if _, err := io.ReadFull(rc.r, body); err != nil {
		rc.t.Fatal(err)
	}
	switch pk.FixedHeader.Type {
	case packets.Connack:
		err = pk.ConnackDecode(body)
	case packets.Puback:
		err = pk.PubackDecode(body)
	case packets.Disconnect:
		err = pk.DisconnectDecode(body)
	case packets.Pingresp:
	default:
		rc.t.Fatalf("the broker sent packet type %d", pk.FixedHeader.Type)
	}
	if err != nil {
		rc.t.Fatal(err)
	}
	return pk
}

func publishV5(id uint16, topic string, alias uint16, payload string) packets.Packet {
	return packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Publish, Qos: 1}, PacketID: id, TopicName: topic,
		Properties: packets.Properties{TopicAlias: alias, TopicAliasFlag: alias > 0}, Payload: []byte(payload)}
}

// Telemetry is taken as soon as mochi has read it (OnPacketRead), topic
// aliases resolved: the messages reach ingest in the order the device sent
// them, each gets exactly one PUBACK, from us and none from mochi, in
// order, and a publish to another device's topic, by name or by alias, is
// refused as mochi would refuse it.
func TestBrokerTakesTelemetryAsRead(t *testing.T) {
	h := &held{}
	b, url := startAsyncBroker(t, h, User{"dev1", "pw1"}, User{"dev2", "pw2"}, User{"oxywatch", "pw0"})
	rc := dialV5(t, strings.TrimPrefix(url, "tcp://"), "dev1", "dev1", "pw1")
	rc.send(publishV5(1, "o2/dev1/telemetry", 0, `{"seq":0}`))
	rc.send(publishV5(2, "o2/dev1/telemetry", 7, `{"seq":1}`)) // sets alias 7
	rc.send(publishV5(3, "", 7, `{"seq":2}`))                  // by alias only
	rc.send(publishV5(4, "o2/dev1/telemetry", 0, `{"seq":3}`))
	testenv.Eventually(t, 10*time.Second, "4 messages handed on", func() bool { return h.count() == 4 })
	for i := 3; i >= 0; i-- {
		h.tell(i, nil)
	}
	for want := uint16(1); want <= 4; want++ {
		ack := rc.read()
		if ack.FixedHeader.Type != packets.Puback || ack.PacketID != want || ack.ReasonCode != packets.CodeSuccess.Code {
			t.Fatalf("got packet type %d id %d reason %#x, want PUBACK %d success", ack.FixedHeader.Type, ack.PacketID, ack.ReasonCode, want)
		}
	}
	// mochi would have answered at once, before our PUBACKs: nothing more
	// may come before the answer to a ping sent now
	rc.send(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Pingreq}})
	if pk := rc.read(); pk.FixedHeader.Type != packets.Pingresp {
		t.Fatalf("after the 4 PUBACKs got packet type %d id %d, want PINGRESP (a PUBACK twice?)", pk.FixedHeader.Type, pk.PacketID)
	}
	h.mu.Lock()
	for i, p := range h.payloads {
		if want := fmt.Sprintf(`{"seq":%d}`, i); p != want {
			t.Errorf("message %d handed on as %s, want %s", i, p, want)
		}
	}
	h.mu.Unlock()

	// another device's topic: MQTT 5 gets PUBACK "not authorized", and
	// nothing is handed on
	rc.send(publishV5(5, "o2/dev2/telemetry", 0, `{"seq":99}`))
	if ack := rc.read(); ack.FixedHeader.Type != packets.Puback || ack.PacketID != 5 || ack.ReasonCode != packets.ErrNotAuthorized.Code {
		t.Fatalf("publish to another device's topic: got packet type %d id %d reason %#x, want PUBACK 5 not authorized", ack.FixedHeader.Type, ack.PacketID, ack.ReasonCode)
	}
	rc.send(publishV5(6, "o2/dev2/telemetry", 8, `{"seq":98}`))
	if ack := rc.read(); ack.FixedHeader.Type != packets.Puback || ack.PacketID != 6 || ack.ReasonCode != packets.ErrNotAuthorized.Code {
		t.Fatalf("publish to another device's topic with an alias: got packet type %d id %d reason %#x, want PUBACK 6 not authorized", ack.FixedHeader.Type, ack.PacketID, ack.ReasonCode)
	}
	// a topic far longer than any device's is refused too
	rc.send(publishV5(7, "o2/dev1/"+strings.Repeat("x", 600)+"/telemetry", 0, `{"seq":97}`))
	if ack := rc.read(); ack.FixedHeader.Type != packets.Puback || ack.PacketID != 7 || ack.ReasonCode != packets.ErrNotAuthorized.Code {
		t.Fatalf("publish to a 600-byte topic: got packet type %d id %d reason %#x, want PUBACK 7 not authorized", ack.FixedHeader.Type, ack.PacketID, ack.ReasonCode)
	}
	if n := h.count(); n != 4 {
		t.Fatalf("%d messages handed on, want 4: a publish to another device's topic got through", n)
	}
	if got := testutil.ToFloat64(b.intake.m.refused.WithLabelValues("topic_not_allowed")); got != 3 {
		t.Errorf("oxywatch_broker_refused_total{reason=topic_not_allowed} = %v, want 3", got)
	}
}

// A device may keep a few topic aliases, not mochi's default 65535 (each
// holding a topic of up to 64 KiB): alias 16 is taken, and a device that
// sets a 17th is cut off. The CONNACK says 16 (mochi would not say it,
// and MQTT 5 clients that are not told use none).
func TestBrokerBoundsTopicAliases(t *testing.T) {
	h := &held{}
	_, url := startAsyncBroker(t, h, User{"dev1", "pw1"}, User{"oxywatch", "pw0"})
	rc := dialV5(t, strings.TrimPrefix(url, "tcp://"), "dev1", "dev1", "pw1")
	if got := rc.connack.Properties.TopicAliasMaximum; got != maxTopicAliases {
		t.Errorf("CONNACK says Topic Alias Maximum %d, want %d", got, maxTopicAliases)
	}
	rc.send(publishV5(1, "o2/dev1/telemetry", maxTopicAliases, `{"seq":0}`))
	testenv.Eventually(t, 10*time.Second, "the message with alias 16 handed on", func() bool { return h.count() == 1 })
	rc.send(publishV5(2, "o2/dev1/telemetry", maxTopicAliases+1, `{"seq":1}`))
	if pk := rc.read(); pk.FixedHeader.Type != packets.Disconnect || pk.ReasonCode != packets.ErrTopicAliasInvalid.Code {
		t.Fatalf("alias %d: got packet type %d reason %#x, want DISCONNECT topic alias invalid", maxTopicAliases+1, pk.FixedHeader.Type, pk.ReasonCode)
	}
}
