package deploy

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/oxywatch/oxywatch/ingest"
	"github.com/oxywatch/oxywatch/internal/plant"
	"github.com/oxywatch/oxywatch/internal/testenv"
)

// The example PSA controller of deploy/README.md: 9 holding registers.
// 93.4 %, 4.52 bar, dew point -40.5 °C, 12.3 Nm³/h, 74565 run hours
// (0x0001_2345), running, alarms low_purity + dryer_fault, on mains.
var psaRegisters = []uint16{934, 452, uint16(0x10000 - 405), 123, 0x0001, 0x2345, 2, 0b101, 0}

// flowNodes reads the Node-RED flow of the recipe.
func flowNodes(t *testing.T) map[string]map[string]any {
	t.Helper()
	var nodes []map[string]any
	if err := json.Unmarshal(readFile(t, filepath.Join(deployDir(t), "modbus", "node-red-flow.json")), &nodes); err != nil {
		t.Fatalf("node-red-flow.json: %v", err)
	}
	byType := map[string]map[string]any{}
	for _, n := range nodes {
		byType[n["type"].(string)] = n
	}
	return byType
}

// TestModbusRecipeMatchesContract: the flow reads the 9 registers of the
// map, publishes QoS 1, and its function node is the shipped .js file.
func TestModbusRecipeMatchesContract(t *testing.T) {
	nodes := flowNodes(t)
	read, fn, out := nodes["modbus-read"], nodes["function"], nodes["mqtt out"]
	if read == nil || fn == nil || out == nil || nodes["modbus-client"] == nil || nodes["mqtt-broker"] == nil {
		t.Fatalf("the flow lacks a node: %v", nodes)
	}
	if read["dataType"] != "HoldingRegister" || read["adr"] != "0" || read["quantity"] != fmt.Sprint(len(psaRegisters)) {
		t.Errorf("modbus-read %v %v %v: want HoldingRegister from 0, %d registers", read["dataType"], read["adr"], read["quantity"], len(psaRegisters))
	}
	if out["qos"] != "1" || out["retain"] != "false" {
		t.Errorf("mqtt out: qos %v retain %v, want 1 and false (CONTRACT §3)", out["qos"], out["retain"])
	}
	js := string(readFile(t, filepath.Join(deployDir(t), "modbus", "psa-to-oxywatch.js")))
	if fn["func"] != js {
		t.Error("the flow's function node differs from modbus/psa-to-oxywatch.js: keep them equal")
	}
	b := nodes["mqtt-broker"]
	if b["willTopic"] != "o2/${OXYWATCH_DEVICE}/status" || b["willPayload"] != "offline" || b["willRetain"] != "true" {
		t.Errorf("mqtt-broker last will %v %v %v: want offline, retained, on o2/DEVICE/status", b["willTopic"], b["willPayload"], b["willRetain"])
	}
}

// checkReading decodes what the recipe published as OxyWatch does, and
// checks every register arrived as its CONTRACT §3 field.
func checkReading(t *testing.T, topic string, payload []byte) {
	t.Helper()
	if topic != "o2/psa-modbus-1/telemetry" {
		t.Errorf("topic %q, want o2/psa-modbus-1/telemetry", topic)
	}
	d := ingest.DecodeTelemetry("psa-modbus-1", payload, time.Now())
	if len(d.Rejected) > 0 || len(d.Readings) != 1 || d.UnknownKeys != 0 {
		t.Fatalf("payload %s: %d readings, rejected %v, %d unknown keys", payload, len(d.Readings), d.Rejected, d.UnknownKeys)
	}
	r := d.Readings[0]
	want := map[string]float64{plant.FieldPurity: 93.4, plant.FieldPressure: 4.52, plant.FieldDewPoint: -40.5, plant.FieldRuntime: 74565,
		plant.FieldFlow: 12.3 * 1000 / 60}
	got := map[string]float64{}
	r.Each(func(f string, v float64) { got[f] = v })
	for f, v := range want {
		if g, ok := got[f]; !ok || g < v-0.01 || g > v+0.01 {
			t.Errorf("%s = %v (present %v), want %v; payload %s", f, g, ok, v, payload)
		}
	}
	if r.State != plant.StateRunning || r.Power != plant.PowerMains || strings.Join(r.Alarms, ",") != "low_purity,dryer_fault" {
		t.Errorf("state %q power %q alarms %v; payload %s", r.State, r.Power, r.Alarms, payload)
	}
	if time.Since(r.Time) > time.Minute {
		t.Errorf("ts %s is not now", r.Time)
	}
}

// TestModbusFunctionWithNode runs the function node's code in Node.js
// with the example registers, as Node-RED does, and decodes its output as
// OxyWatch does.
func TestModbusFunctionWithNode(t *testing.T) {
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed (apt-get install nodejs); the mapping is not run")
	}
	js := readFile(t, filepath.Join(deployDir(t), "modbus", "psa-to-oxywatch.js"))
	regs, _ := json.Marshal(psaRegisters)
	script := `const env = {get: (k) => ({OXYWATCH_DEVICE: "psa-modbus-1"})[k]};
const node = {error: (e) => { console.error(e); process.exit(2); }};
const out = (function (msg) {` + string(js) + `})({payload: ` + string(regs) + `});
process.stdout.write(JSON.stringify({topic: out.topic, qos: out.qos, payload: JSON.stringify(out.payload)}));`
	b, err := exec.Command(nodeBin, "-e", script).Output()
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	var out struct {
		Topic   string
		QoS     int
		Payload string
	}
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%v in %s", err, b)
	}
	if out.QoS != 1 {
		t.Errorf("qos %d", out.QoS)
	}
	checkReading(t, out.Topic, []byte(out.Payload))
}

// TestModbusRecipeEndToEnd runs the flow in a real Node-RED with
// node-red-contrib-modbus against a Modbus TCP server holding the example
// registers, and reads what it publishes on a real Mosquitto. Node-RED is
// not a Debian package: scripts/deps.sh (make deps, make test) installs it
// from npm under ~/.cache/oxywatch/node-red; NODE_RED_DIR points elsewhere.
func TestModbusRecipeEndToEnd(t *testing.T) {
	integration(t)
	dir := os.Getenv("NODE_RED_DIR")
	if dir == "" {
		home, _ := os.UserHomeDir()
		dir = filepath.Join(home, ".cache", "oxywatch", "node-red") // where scripts/deps.sh installs it
	}
	redJS := filepath.Join(dir, "node_modules", "node-red", "red.js")
	if _, err := os.Stat(redJS); err != nil {
		msg := "Node-RED is not installed in " + dir + " (make deps installs it there from npm; or set NODE_RED_DIR)"
		if os.Getenv("OXYWATCH_REQUIRE_INTEGRATION") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	mq := testenv.StartMosquitto(t, testenv.MosquittoOptions{})
	got := make(chan mqtt.Message, 4)
	c := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(mq.URL).SetClientID("modbus-recipe-test"))
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("connect: %v", tok.Error())
	}
	defer c.Disconnect(100)
	if tok := c.Subscribe("o2/+/telemetry", 1, func(_ mqtt.Client, m mqtt.Message) { got <- m }); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}
	modbusAddr := serveModbus(t, psaRegisters)
	host, port, _ := net.SplitHostPort(modbusAddr)
	mqHost, mqPort, _ := net.SplitHostPort(strings.TrimPrefix(mq.URL, "tcp://"))
	user := t.TempDir()
	flow := filepath.Join(user, "flows.json")
	if err := os.WriteFile(flow, readFile(t, filepath.Join(deployDir(t), "modbus", "node-red-flow.json")), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("node", redJS, "--userDir", user, "--port", fmt.Sprint(testenv.FreePort(t)), flow)
	cmd.Env = append(os.Environ(), "MODBUS_HOST="+host, "MODBUS_PORT="+port, "MODBUS_UNIT=1", "REPORT_INTERVAL_S=1",
		"MQTT_HOST="+mqHost, "MQTT_PORT="+mqPort, "OXYWATCH_DEVICE=psa-modbus-1", "NODE_PATH="+filepath.Join(dir, "node_modules"))
	cmd.Dir = dir
	logf, err := os.Create(filepath.Join(user, "node-red.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			t.Logf("node-red log:\n%s", b)
		}
	})
	select {
	case m := <-got:
		t.Logf("Node-RED published on %s: %s", m.Topic(), m.Payload())
		checkReading(t, m.Topic(), m.Payload())
	case <-time.After(90 * time.Second):
		t.Fatal("no reading from Node-RED within 90 s")
	}
}

// serveModbus is a Modbus TCP server answering function 3 (read holding
// registers) from regs, unit id ignored; it returns its address.
func serveModbus(t *testing.T, regs []uint16) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { modbusConn(conn, regs) })
		}
	})
	return ln.Addr().String()
}

func modbusConn(conn net.Conn, regs []uint16) {
	defer conn.Close()
	for {
		hdr := make([]byte, 7) // MBAP: transaction, protocol, length, unit
		if _, err := io.ReadFull(conn, hdr); err != nil {
			return
		}
		pdu := make([]byte, int(binary.BigEndian.Uint16(hdr[4:6]))-1)
		if _, err := io.ReadFull(conn, pdu); err != nil || len(pdu) < 5 {
			return
		}
		var resp []byte
		start, n := int(binary.BigEndian.Uint16(pdu[1:3])), int(binary.BigEndian.Uint16(pdu[3:5]))
		switch {
		case pdu[0] != 3:
			resp = []byte{pdu[0] | 0x80, 1} // illegal function
		case start+n > len(regs) || n == 0:
			resp = []byte{0x83, 2} // illegal data address
		default:
			resp = []byte{3, byte(2 * n)}
			for _, v := range regs[start : start+n] {
				resp = binary.BigEndian.AppendUint16(resp, v)
			}
		}
		out := append([]byte{}, hdr[:4]...)
		out = binary.BigEndian.AppendUint16(out, uint16(len(resp)+1))
		out = append(out, hdr[6])
		if _, err := conn.Write(append(out, resp...)); err != nil {
			return
		}
	}
}
