package mqttpub

import (
	"encoding/json"
	"fmt"
	mqtt "github.com/eclipse/paho.mqtt.golang"
	"math"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/oxywatch/oxywatch/ingest/sparkplug/sproto"
)

// Protocol is how the simulated devices put their readings on the wire.
type Protocol string

const (
	// JSON is CONTRACT §3: o2/ID/telemetry and o2/ID/status.
	JSON Protocol = "json"
	// VendorJSON is a vendor's own JSON on o2/ID/telemetry: Spanish keys,
	// flow in Nm³/h, Spanish state and power words, vendor alarm codes (the
	// model "Oxivida CM-10" of ingest/testdata/mappings.yaml).
	VendorJSON Protocol = "vendor-json"
	// Sparkplug is Sparkplug B: each device is an edge node ID with one
	// device ID (spBv1.0/GROUP/…/ID/ID): NBIRTH and DBIRTH with aliases on
	// connect and on a rebirth request, DDATA by alias, NDEATH as will.
	Sparkplug Protocol = "sparkplug"
)

// VendorModel is the device model whose payload VendorJSON imitates.
const VendorModel = "Oxivida CM-10"

// ParseProtocol checks a --protocol value.
func ParseProtocol(s string) (Protocol, error) {
	switch p := Protocol(s); p {
	case JSON, VendorJSON, Sparkplug:
		return p, nil
	}
	return "", fmt.Errorf("protocol %q is not json, vendor-json or sparkplug", s)
}

// vendorKeys are the vendor's names of CONTRACT §3 keys.
var vendorKeys = map[string]string{
	"ts": "marca_tiempo", "purity_pct": "pureza_pct", "pressure_bar": "presion_bar",
	"flow_lpm": "flujo_nm3h", "runtime_h": "horas_marcha", "state": "estado", "power": "energia",
	"alarms": "alarmas", "temp_c": "temperatura_c",
}

var vendorWords = map[string]string{
	"running": "marcha", "standby": "espera", "fault": "falla", "off": "apagado", "maintenance": "mantenimiento",
	"mains": "red", "generator": "generador", "battery": "bateria", "none": "sin_energia",
	"low_purity": "BAJA_PUREZA", "compressor_fault": "FALLA_COMPRESOR",
}

// toVendor rewrites a CONTRACT §3 payload (a reading or a backlog) in the
// vendor's words.
func toVendor(payload []byte) ([]byte, error) {
	var one map[string]any
	if json.Unmarshal(payload, &one) == nil {
		return json.Marshal(vendorReading(one))
	}
	var many []map[string]any
	if err := json.Unmarshal(payload, &many); err != nil {
		return nil, fmt.Errorf("vendor-json: %w", err)
	}
	for i := range many {
		many[i] = vendorReading(many[i])
	}
	return json.Marshal(many)
}

func vendorReading(r map[string]any) map[string]any {
	out := make(map[string]any, len(r))
	for k, v := range r {
		switch x := v.(type) {
		case string:
			if w, ok := vendorWords[x]; ok {
				v = w
			}
		case []any:
			for i, a := range x {
				if w, ok := vendorWords[fmt.Sprint(a)]; ok {
					x[i] = w
				}
			}
		}
		if k == "flow_lpm" {
			v = math.Round(v.(float64)*60/1000*1e6) / 1e6 // L/min → m³/h
		}
		if n, ok := vendorKeys[k]; ok {
			k = n
		}
		out[k] = v
	}
	return out
}

// Sparkplug metric names and aliases of the simulated edge nodes: the
// names OxyWatch understands without a mapping.
var spMetrics = []struct {
	key, name string
	alias     uint64
	typ       sproto.DataType
}{
	{"purity_pct", "O2 Purity", 1, sproto.DataType_Float},
	{"pressure_bar", "Outlet Pressure", 2, sproto.DataType_Float},
	{"flow_lpm", "Flow", 3, sproto.DataType_Float},
	{"runtime_h", "Run Hours", 4, sproto.DataType_Double},
	{"temp_c", "Temperature", 5, sproto.DataType_Float},
	{"dew_point_c", "Dew Point", 6, sproto.DataType_Float},
	{"supply_v", "Supply Voltage", 7, sproto.DataType_Float},
	{"cylinders_filled", "Cylinders Filled", 8, sproto.DataType_UInt32},
	{"tank_pressure_bar", "Tank Pressure", 9, sproto.DataType_Float},
	{"battery_pct", "Battery", 10, sproto.DataType_Float},
	{"rssi_dbm", "RSSI", 11, sproto.DataType_Float},
	{"state", "State", 12, sproto.DataType_String},
	{"power", "Power Source", 13, sproto.DataType_String},
}

// spAlarms are the alarm flags each simulated edge node declares.
var spAlarms = []string{"low_purity", "compressor_fault", "dryer_fault", "high_temp", "sieve_fault", "power_fail", "low_pressure", "high_pressure"}

const spAlarmAlias = 100 // aliases of the alarm flags start here

func alarmName(code string) string {
	words := strings.Split(code, "_")
	for i, w := range words {
		if w != "" {
			words[i] = strings.ToUpper(w[:1]) + w[1:]
		}
	}
	return "Alarms/" + strings.Join(words, " ")
}

// spTopic is a Sparkplug topic of this edge node.
func (l *link) spTopic(typ string) string {
	t := "spBv1.0/" + l.opts.Group + "/" + typ + "/" + l.id
	if typ[0] == 'D' {
		t += "/" + l.id
	}
	return t
}

func spPayload(ts time.Time, ms []*sproto.Payload_Metric) []byte {
	b, _ := proto.Marshal(&sproto.Payload{Timestamp: proto.Uint64(uint64(ts.UnixMilli())), Seq: proto.Uint64(0), Metrics: ms})
	return b
}

func bdSeqPayload(n uint64) []byte {
	return spPayload(time.Now(), []*sproto.Payload_Metric{{Name: proto.String("bdSeq"),
		Datatype: proto.Uint32(uint32(sproto.DataType_Int64)), Value: &sproto.Payload_Metric_LongValue{LongValue: n}}})
}

// nbirth is the edge node's NBIRTH: its bdSeq and the rebirth control.
func nbirth(bdSeq uint64) []byte {
	return spPayload(time.Now(), []*sproto.Payload_Metric{
		{Name: proto.String("bdSeq"), Datatype: proto.Uint32(uint32(sproto.DataType_Int64)), Value: &sproto.Payload_Metric_LongValue{LongValue: bdSeq}},
		{Name: proto.String("Node Control/Rebirth"), Datatype: proto.Uint32(uint32(sproto.DataType_Boolean)), Value: &sproto.Payload_Metric_BooleanValue{BooleanValue: false}},
	})
}

// dbirth declares every metric with its alias; values are null until the
// first DDATA.
func dbirth() []byte {
	var ms []*sproto.Payload_Metric
	for _, m := range spMetrics {
		ms = append(ms, &sproto.Payload_Metric{Name: proto.String(m.name), Alias: proto.Uint64(m.alias), Datatype: proto.Uint32(uint32(m.typ)), IsNull: proto.Bool(true)})
	}
	for i, a := range spAlarms {
		ms = append(ms, &sproto.Payload_Metric{Name: proto.String(alarmName(a)), Alias: proto.Uint64(spAlarmAlias + uint64(i)),
			Datatype: proto.Uint32(uint32(sproto.DataType_Boolean)), Value: &sproto.Payload_Metric_BooleanValue{BooleanValue: false}})
	}
	return spPayload(time.Now(), ms)
}

// toDDATA turns a CONTRACT §3 payload into a DDATA by alias. A backlog's
// metrics carry their own timestamps and are marked historical.
func toDDATA(payload []byte, now time.Time) ([]byte, error) {
	var rs []map[string]any
	var one map[string]any
	if json.Unmarshal(payload, &one) == nil {
		rs = []map[string]any{one}
	} else if err := json.Unmarshal(payload, &rs); err != nil {
		return nil, fmt.Errorf("sparkplug: %w", err)
	}
	var ms []*sproto.Payload_Metric
	for _, r := range rs {
		ts := now
		if s, ok := r["ts"].(string); ok {
			if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
				ts = t
			}
		}
		ms = append(ms, readingMetrics(r, ts, len(rs) > 1)...)
	}
	return spPayload(now, ms), nil
}

func readingMetrics(r map[string]any, ts time.Time, historical bool) []*sproto.Payload_Metric {
	var ms []*sproto.Payload_Metric
	add := func(m *sproto.Payload_Metric) {
		m.Timestamp = proto.Uint64(uint64(ts.UnixMilli()))
		if historical {
			m.IsHistorical = proto.Bool(true)
		}
		ms = append(ms, m)
	}
	for _, d := range spMetrics {
		v, ok := r[d.key]
		if !ok {
			continue
		}
		m := &sproto.Payload_Metric{Alias: proto.Uint64(d.alias), Datatype: proto.Uint32(uint32(d.typ))}
		switch x := v.(type) {
		case float64:
			switch d.typ {
			case sproto.DataType_Float:
				m.Value = &sproto.Payload_Metric_FloatValue{FloatValue: float32(x)}
			case sproto.DataType_UInt32:
				m.Value = &sproto.Payload_Metric_IntValue{IntValue: uint32(x)}
			default:
				m.Value = &sproto.Payload_Metric_DoubleValue{DoubleValue: x}
			}
		case string:
			m.Value = &sproto.Payload_Metric_StringValue{StringValue: x}
		default:
			continue
		}
		add(m)
	}
	active := map[string]bool{}
	if as, ok := r["alarms"].([]any); ok {
		for _, a := range as {
			active[fmt.Sprint(a)] = true
		}
	}
	for i, a := range spAlarms {
		add(&sproto.Payload_Metric{Alias: proto.Uint64(spAlarmAlias + uint64(i)), Datatype: proto.Uint32(uint32(sproto.DataType_Boolean)),
			Value: &sproto.Payload_Metric_BooleanValue{BooleanValue: active[a]}})
		delete(active, a)
	}
	for a := range active { // a code no BIRTH declared goes by name
		add(&sproto.Payload_Metric{Name: proto.String(alarmName(a)), Datatype: proto.Uint32(uint32(sproto.DataType_Boolean)),
			Value: &sproto.Payload_Metric_BooleanValue{BooleanValue: true}})
	}
	return ms
}

// isRebirth reports whether an NCMD asks for a rebirth.
func isRebirth(payload []byte) bool {
	var p sproto.Payload
	if proto.Unmarshal(payload, &p) != nil {
		return false
	}
	for _, m := range p.GetMetrics() {
		if m.GetName() == "Node Control/Rebirth" && m.GetBooleanValue() {
			return true
		}
	}
	return false
}

// encode rewrites a CONTRACT §3 payload for the link's protocol. A payload
// that is not JSON (a scenario's malformed one on purpose) goes as it is:
// on Sparkplug it is then malformed protobuf.
func (l *link) encode(payload []byte) []byte {
	var out []byte
	var err error
	switch l.opts.Protocol {
	case VendorJSON:
		out, err = toVendor(payload)
	case Sparkplug:
		out, err = toDDATA(payload, time.Now())
	default:
		return payload
	}
	if err != nil {
		return payload
	}
	return out
}

// announce says the device is there: "online" on its status topic, or for
// Sparkplug its NBIRTH and DBIRTH, after subscribing to its NCMD so a
// rebirth request gets them again.
func (l *link) announce(c mqtt.Client) error {
	if l.opts.Protocol != Sparkplug {
		if err := wait(c.Publish(l.status, 1, true, "online"), 10*time.Second); err != nil {
			return fmt.Errorf("publish online: %w", err)
		}
		return nil
	}
	onCmd := func(c mqtt.Client, m mqtt.Message) {
		if isRebirth(m.Payload()) {
			go func() { // never publish and wait inside a handler
				if err := l.births(c); err != nil {
					l.log.Warn("rebirth", "err", err)
				}
			}()
		}
	}
	if err := wait(c.Subscribe(l.spTopic("NCMD"), 0, onCmd), 10*time.Second); err != nil {
		return fmt.Errorf("subscribe to NCMD: %w", err)
	}
	return l.births(c)
}

// births publishes NBIRTH and DBIRTH (QoS 1, so the server has them in
// order before any DDATA).
func (l *link) births(c mqtt.Client) error {
	l.mu.Lock()
	bd := l.bdSeq
	l.mu.Unlock()
	if err := wait(c.Publish(l.spTopic("NBIRTH"), 1, false, nbirth(bd)), 10*time.Second); err != nil {
		return fmt.Errorf("publish NBIRTH: %w", err)
	}
	if err := wait(c.Publish(l.spTopic("DBIRTH"), 1, false, dbirth()), 10*time.Second); err != nil {
		return fmt.Errorf("publish DBIRTH: %w", err)
	}
	return nil
}
