package app

import (
	"fmt"
	"net"
	neturl "net/url"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"google.golang.org/protobuf/proto"

	"github.com/oxywatch/oxywatch/ingest/sparkplug/sproto"
	"github.com/oxywatch/oxywatch/internal/config"
	"github.com/oxywatch/oxywatch/internal/plant"
	"github.com/oxywatch/oxywatch/internal/testenv"
)

// exampleMappings is the mapping file the README shows.
var exampleMappings = filepath.Join("..", "..", "ingest", "testdata", "mappings.yaml")

// brokers runs a test against real Mosquitto and against the embedded
// broker.
func brokers(t *testing.T, run func(t *testing.T, s *stack, cfg config.Config)) {
	for _, name := range []string{"mosquitto", "embedded"} {
		t.Run(name, func(t *testing.T) {
			s := newStack(t)
			cfg := s.config(t, t.TempDir())
			if name == "embedded" {
				cfg.MQTT.URL = ""
				cfg.MQTT.Listen = fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
			}
			cfg.Ingest.Mappings = exampleMappings
			run(t, s, cfg)
		})
	}
}

func brokerURL(cfg config.Config) string {
	if cfg.MQTT.URL != "" {
		return cfg.MQTT.URL
	}
	return "tcp://" + cfg.MQTT.Listen
}

// edgeNode is a Sparkplug B edge node as a gateway runs it: NDEATH as its
// will, NBIRTH and DBIRTH on connect, DDATA by alias (QoS 1).
type edgeNode struct {
	t     *testing.T
	c     mqtt.Client
	conn  net.Conn // cut it to lose the link without DISCONNECT
	group string
	edge  string
	bdSeq uint64
}

var nodeMetrics = []struct {
	name  string
	alias uint64
}{{"O2 Purity", 1}, {"Outlet Pressure", 2}, {"Flow", 3}, {"Run Hours", 4}, {"State", 5}, {"Alarms/Low Purity", 6}}

func spb(t testing.TB, ts time.Time, ms ...*sproto.Payload_Metric) []byte {
	b, err := proto.Marshal(&sproto.Payload{Timestamp: proto.Uint64(uint64(ts.UnixMilli())), Seq: proto.Uint64(0), Metrics: ms})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// spbMust is spb for code without a testing.T; ts nil is now.
func spbMust(ts *time.Time, ms ...*sproto.Payload_Metric) []byte {
	at := time.Now()
	if ts != nil {
		at = *ts
	}
	b, err := proto.Marshal(&sproto.Payload{Timestamp: proto.Uint64(uint64(at.UnixMilli())), Seq: proto.Uint64(0), Metrics: ms})
	if err != nil {
		panic(err)
	}
	return b
}

func dbl(name string, alias uint64, v float64) *sproto.Payload_Metric {
	m := &sproto.Payload_Metric{Alias: proto.Uint64(alias), Datatype: proto.Uint32(uint32(sproto.DataType_Double)), Value: &sproto.Payload_Metric_DoubleValue{DoubleValue: v}}
	if name != "" {
		m.Name = proto.String(name)
	}
	return m
}

func bdSeqMetric(n uint64) *sproto.Payload_Metric {
	return &sproto.Payload_Metric{Name: proto.String("bdSeq"), Datatype: proto.Uint32(uint32(sproto.DataType_Int64)), Value: &sproto.Payload_Metric_LongValue{LongValue: n}}
}

func connectEdge(t *testing.T, url, group, edge string, bdSeq uint64) *edgeNode {
	t.Helper()
	will := spb(t, time.Now(), bdSeqMetric(bdSeq))
	n := &edgeNode{t: t, group: group, edge: edge, bdSeq: bdSeq}
	o := mqtt.NewClientOptions().AddBroker(url).SetClientID("edge-"+edge).SetAutoReconnect(false).
		SetWill(spTopic(group, "NDEATH", edge, ""), string(will), 1, false).
		SetCustomOpenConnectionFn(func(u *neturl.URL, o mqtt.ClientOptions) (net.Conn, error) {
			c, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
			n.conn = c
			return c, err
		})
	n.c = mqtt.NewClient(o)
	if tok := n.c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("edge node connect: %v", tok.Error())
	}
	t.Cleanup(func() { n.c.Disconnect(50) })
	n.pub(spTopic(group, "NBIRTH", edge, ""), spb(t, time.Now(), bdSeqMetric(bdSeq)))
	return n
}

func spTopic(group, typ, edge, device string) string {
	s := "spBv1.0/" + group + "/" + typ + "/" + edge
	if device != "" {
		s += "/" + device
	}
	return s
}

func (n *edgeNode) pub(topic string, payload []byte) {
	n.t.Helper()
	if tok := n.c.Publish(topic, 1, false, payload); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		n.t.Fatalf("publish %s: %v", topic, tok.Error())
	}
}

// birth publishes a DBIRTH naming every metric with its alias.
func (n *edgeNode) birth(device string, ts time.Time) {
	ms := []*sproto.Payload_Metric{dbl("O2 Purity", 1, 94), dbl("Outlet Pressure", 2, 5.1), dbl("Flow", 3, 400), dbl("Run Hours", 4, 1000)}
	ms = append(ms, &sproto.Payload_Metric{Name: proto.String("State"), Alias: proto.Uint64(5), Datatype: proto.Uint32(uint32(sproto.DataType_String)), Value: &sproto.Payload_Metric_StringValue{StringValue: "running"}})
	n.pub(spTopic(n.group, "DBIRTH", n.edge, device), spb(n.t, ts, ms...))
}

// data publishes a DDATA by alias only: reading j of the device.
func (n *edgeNode) data(device string, j int) {
	ts := base.Add(time.Duration(j) * time.Minute)
	n.pub(spTopic(n.group, "DDATA", n.edge, device), spb(n.t, ts, dbl("", 1, 93+float64(j%5)/10), dbl("", 4, 1000+float64(j)/60)))
}

// TestSparkplugToInflux: NBIRTH, DBIRTH, then DDATA by alias land as
// readings; malformed protobuf is rejected, named and counted while the
// data around it lands; DDEATH and NDEATH make the devices offline.
func TestSparkplugToInflux(t *testing.T) {
	brokers(t, func(t *testing.T, s *stack, cfg config.Config) {
		a := startApp(t, cfg)
		n := connectEdge(t, brokerURL(cfg), "zomba", "gw-psa", 5)
		n.birth("PSA1", base.Add(-time.Minute))
		n.birth("PSA2", base.Add(-time.Minute))
		for j := range 20 {
			n.data("PSA1", j)
			if j == 10 {
				n.pub(spTopic("zomba", "DDATA", "gw-psa", "PSA1"), []byte("\x0a\x07not protobuf"))
			}
			n.data("PSA2", j)
		}
		waitCount(t, s.in, 2*21, 60*time.Second) // a DBIRTH and 20 DDATA each
		rows, err := s.in.Query(`SELECT purity_pct, pressure_bar, flow_lpm, runtime_h, state FROM "oxywatch"."autogen"."o2_reading" WHERE device = 'zomba-psa-1' AND time = '2026-11-01T00:03:00Z'`)
		if err != nil || len(rows) != 1 {
			t.Fatalf("PSA1 reading 3: %v %v", rows, err)
		}
		want := []any{"2026-11-01T00:03:00Z", 93.3, 5.1, 400.0, 1000.05, "running"}
		if !reflect.DeepEqual(rows[0], want) {
			t.Errorf("PSA1 reading 3 in InfluxDB: got %v, want %v (DDATA by alias, the rest held from DBIRTH)", rows[0], want)
		}
		if got := metricValue(t, a, "oxywatch_ingest_rejected_total", `reason="bad_protobuf"`); got != 1 {
			t.Errorf("rejected{bad_protobuf} = %v, want 1", got)
		}
		n.pub(spTopic("zomba", "DDEATH", "gw-psa", "PSA2"), spb(t, time.Now()))
		testenv.Eventually(t, 10*time.Second, "PSA2 offline after DDEATH", func() bool {
			st, _ := a.ingest.Fleet().Get("PSA2")
			return st.Connectivity == plant.Offline
		})
		if st, _ := a.ingest.Fleet().Get("zomba-psa-1"); st.Connectivity != plant.Online {
			t.Errorf("PSA1 is %q before NDEATH, want online", st.Connectivity)
		}
		m := connectEdge(t, brokerURL(cfg), "zomba", "gw-2", 1)
		m.birth("conc-9", base)
		n.conn.Close() // the link drops: the broker publishes the NDEATH will
		testenv.Eventually(t, 10*time.Second, "PSA1 offline after NDEATH", func() bool {
			st, _ := a.ingest.Fleet().Get("zomba-psa-1")
			return st.Connectivity == plant.Offline
		})
		if st, _ := a.ingest.Fleet().Get("conc-9"); st.Connectivity != plant.Online {
			t.Errorf("another node's device is %q, want online", st.Connectivity)
		}

		// DDATA from an edge node OxyWatch has no session of: it asks for a
		// rebirth, and the edge node gets the NCMD through the broker.
		rebirth := make(chan []byte, 1)
		x := connectEdge(t, brokerURL(cfg), "zomba", "gw-x", 1)
		if tok := x.c.Subscribe(spTopic("zomba", "NCMD", "gw-x", ""), 0, func(_ mqtt.Client, m mqtt.Message) {
			select {
			case rebirth <- m.Payload():
			default:
			}
		}); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			t.Fatal(tok.Error())
		}
		x.pub(spTopic("zomba", "DDATA", "gw-x", "conc-x"), spb(t, base, dbl("", 1, 93)))
		select {
		case p := <-rebirth:
			var cmd sproto.Payload
			if err := proto.Unmarshal(p, &cmd); err != nil || cmd.GetMetrics()[0].GetName() != "Node Control/Rebirth" || !cmd.GetMetrics()[0].GetBooleanValue() {
				t.Errorf("NCMD %v (%v), want Node Control/Rebirth = true", &cmd, err)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("no rebirth request reached the edge node")
		}
		if got := metricValue(t, a, "oxywatch_ingest_sparkplug_messages_total", `type="REBIRTH_SENT"`); got != 1 {
			t.Errorf("REBIRTH_SENT = %v, want 1", got)
		}
	})
}

// A vendor's JSON (Spanish keys, flow in Nm³/h, its own words) from a
// device of a mapped model lands with exactly the fields a CONTRACT §3
// reading of another device gets.
func TestVendorPayloadLandsAsContractFields(t *testing.T) {
	brokers(t, func(t *testing.T, s *stack, cfg config.Config) {
		a := startApp(t, cfg)
		for _, id := range []plant.DeviceID{"cm-vendor", "cm-contract"} {
			if _, err := a.devs.Put(t.Context(), plant.Device{ID: id, Kind: plant.KindConcentrator, Model: "Oxivida CM-10", Facility: "f1"}); err != nil {
				t.Fatal(err)
			}
		}
		p := newPublisher(t, brokerURL(cfg), "pub-vendor")
		ts := base.Add(time.Hour).Format(time.RFC3339)
		pub(t, p, "o2/cm-vendor/telemetry", `{"marca_tiempo":"`+ts+`","pureza_pct":93.4,"presion_bar":0.62,"flujo_nm3h":0.3,"horas_marcha":1234.5,"estado":"marcha","energia":"bateria","alarmas":["BAJA_PUREZA"],"temperatura_c":31}`)
		pub(t, p, "o2/cm-contract/telemetry", `{"ts":"`+ts+`","purity_pct":93.4,"pressure_bar":0.62,"flow_m3h":0.3,"runtime_h":1234.5,"state":"running","power":"battery","alarms":["low_purity"],"temp_c":31}`)
		pub(t, p, "o2/cm-vendor/telemetry", `{"marca_tiempo":"`+base.Add(2*time.Hour).Format(time.RFC3339)+`","pureza_pct":92,"estado":"purgando"}`)
		waitCount(t, s.in, 3, 30*time.Second)
		q := `SELECT * FROM "oxywatch"."autogen"."o2_reading" WHERE device = '%s' AND time = '` + ts + `'`
		v, err1 := s.in.Query(fmt.Sprintf(q, "cm-vendor"))
		c, err2 := s.in.Query(fmt.Sprintf(q, "cm-contract"))
		if err1 != nil || err2 != nil || len(v) != 1 || len(c) != 1 {
			t.Fatalf("rows %v %v (%v %v)", v, c, err1, err2)
		}
		cols, _ := s.in.Query(`SHOW FIELD KEYS FROM "oxywatch"."autogen"."o2_reading"`)
		for i := range v[0] {
			if fmt.Sprint(v[0][i]) != fmt.Sprint(c[0][i]) && fmt.Sprint(c[0][i]) != "cm-contract" {
				t.Errorf("column %d: vendor %v, contract %v (fields %v)", i, v[0][i], c[0][i], cols)
			}
		}
		// An unknown state word keeps the reading, as state unknown, counted.
		rows, err := s.in.Query(`SELECT state FROM "oxywatch"."autogen"."o2_reading" WHERE device = 'cm-vendor' AND time = '` + base.Add(2*time.Hour).Format(time.RFC3339) + `'`)
		if err != nil || len(rows) != 1 || rows[0][1] != "unknown" {
			t.Errorf("state of the reading with an unknown word: %v %v, want unknown", rows, err)
		}
		if got := metricValue(t, a, "oxywatch_ingest_unknown_words_total", `field="state"`); got != 1 {
			t.Errorf("unknown_words_total{state} = %v, want 1", got)
		}
	})
}
