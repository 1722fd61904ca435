// Node-RED function node: a PSA controller's holding registers (read with
// node-red-contrib-modbus, FC 3, address 0, quantity 9) to one OxyWatch
// reading (CONTRACT §3) on o2/DEVICE/telemetry. The register map is in
// deploy/README.md ("Modbus PSA controllers"). Change the table below to
// fit another controller; the device id comes from the environment
// variable OXYWATCH_DEVICE of the flow or of Node-RED.
const device = env.get("OXYWATCH_DEVICE") || "psa-1";
const r = msg.payload; // array of unsigned 16-bit register values
if (!Array.isArray(r) || r.length < 9) {
    node.error("expected 9 holding registers, got " + JSON.stringify(r), msg);
    return null;
}
const NA = 0xFFFF; // what the controller reads for a failed sensor
const int16 = (v) => (v >= 0x8000 ? v - 0x10000 : v);
const scaled = (v, div, signed) => (v === NA ? undefined : (signed ? int16(v) : v) / div);

const reading = {
    ts: new Date().toISOString(),
    purity_pct: scaled(r[0], 10),          // 40001: O2 %, tenths
    pressure_bar: scaled(r[1], 100),       // 40002: outlet pressure, bar, hundredths
    dew_point_c: scaled(r[2], 10, true),   // 40003: dew point, °C, tenths, signed
    flow_m3h: scaled(r[3], 10),            // 40004: outlet flow, Nm³/h, tenths (OxyWatch converts to L/min)
    runtime_h: r[4] * 65536 + r[5],        // 40005-40006: run hours, 32 bits, high word first
};
const states = ["off", "standby", "running", "fault", "maintenance"]; // 40007
if (states[r[6]] !== undefined) {
    reading.state = states[r[6]];
}
const alarmBits = ["low_purity", "compressor_fault", "dryer_fault", "high_temp", "low_pressure"]; // 40008, bit 0 first
reading.alarms = alarmBits.filter((_, bit) => (r[7] >> bit) & 1);
const powers = ["mains", "generator", "battery", "solar", "none"]; // 40009
if (powers[r[8]] !== undefined) {
    reading.power = powers[r[8]];
}
for (const k of Object.keys(reading)) {
    if (reading[k] === undefined) {
        delete reading[k];
    }
}
msg.topic = "o2/" + device + "/telemetry";
msg.qos = 1;
msg.retain = false;
msg.payload = reading;
return msg;
