// Words for what the API says in codes: why a device is in its status,
// what an alert means and what to do next. The thresholds quoted are the
// defaults of DOMAIN.md; the server's rules file may set others, so texts
// quote the alert's own figures when it carries them.
import { t, has } from "./strings.js";
import { num } from "./core.js";

export const STATUS_ORDER = ["down", "degraded", "no_data", "maintenance", "operational"];
export const SEVERITY_ORDER = ["critical", "warning", "info"];
const KIND_ORDER = ["psa", "lox_tank", "cylinder_bank", "concentrator", "unknown"];

export const statusRank = (s) => { const i = STATUS_ORDER.indexOf(s); return i < 0 ? STATUS_ORDER.length : i; };
export const severityRank = (s) => { const i = SEVERITY_ORDER.indexOf(s); return i < 0 ? SEVERITY_ORDER.length : i; };
export const kindRank = (k) => { const i = KIND_ORDER.indexOf(k); return i < 0 ? KIND_ORDER.length : i; };

export const statusWord = (s) => t("status." + s);
export const kindWord = (k) => t(has("kind." + k) ? "kind." + k : "kind.unknown");
export const ruleWord = (r) => (has("rule." + r + ".name") ? t("rule." + r + ".name") : r);

// Purity a device must reach (DOMAIN.md defaults).
export const puritySpec = (kind) => ({ psa: 90, concentrator: 85 })[kind] || 82;
export const PURITY_UNSAFE = 82;
export const PSA_PRESSURE = { low: 3.5, high: 7 };

export function alarmWord(code) {
  return has("alarm." + code) ? t("alarm." + code) : t("alarm.other", { code });
}

function alarmStep(code) {
  return has("step.alarm." + code) ? t("step.alarm." + code) : t("step.alarm.other");
}

// The alert engine's one-line summaries carry details the alert's fields
// do not; these pick them out (and fall back on the summary as written).
const grab = (re, s) => { const m = re.exec(s || ""); return m ? m[1] : ""; };

function alertAlarm(a, dev) {
  const r = dev && dev.last_reading;
  if (r && r.alarms && r.alarms.length) return r.alarms[0];
  return grab(/alarm (\S+)/, a.summary);
}

// alertHeadline says what an alert means in plain words.
export function alertHeadline(a, dev, facName) {
  const v = a.value === null || a.value === undefined || Number.isNaN(a.value) ? null : a.value;
  // Without the alert's figure, say what it is without one.
  if (v === null && has("rule." + a.rule + ".plain")) return t("rule." + a.rule + ".plain", { spec: puritySpec(dev && dev.kind) });
  switch (a.rule) {
    case "offline": return t("rule.offline.text");
    case "critical_purity": return t("rule.critical_purity.text", { value: num(v) });
    case "low_purity": {
      const spec = Number(grab(/below ([\d.]+) %/, a.summary)) || puritySpec(dev && dev.kind);
      return t("rule.low_purity.text", { value: num(v), spec: num(spec, Number.isInteger(spec) ? 0 : 1) });
    }
    case "low_pressure": return t("rule.low_pressure.text", { value: num(v, 2) });
    case "high_pressure": return t("rule.high_pressure.text", { value: num(v, 2) });
    case "no_flow": return t("rule.no_flow.text");
    case "overload": return t("rule.overload.text", { value: num(v, 0), rated: num(dev && dev.rated_flow_lpm, 0) });
    case "device_fault": {
      const code = alertAlarm(a, dev);
      return code ? t("rule.device_fault.text", { what: alarmWord(code) }) : t("rule.device_fault.text_state");
    }
    case "power_loss": {
      const power = grab(/power (\w+)/, a.summary) || (dev && dev.last_reading && dev.last_reading.power) || "";
      const state = grab(/state (\w+)/, a.summary);
      const base = power === "battery" ? t("rule.power_loss.battery") : t("rule.power_loss.none");
      return state && state !== "running" ? base + " " + t("rule.power_loss.stopped") : base;
    }
    case "maintenance_due": return maintenanceHeadline(a);
    case "purity_declining": return t("rule.purity_declining.text", { value: num(Math.abs(v || 0), 2) });
    case "facility_outage": return t("rule.facility_outage.text", { facility: facName || a.facility });
    case "clock_skew": return t("rule.clock_skew.text");
    case "sensor_stuck": return t("rule.sensor_stuck.text", { value: num(v) });
  }
  return a.summary || ruleWord(a.rule);
}

function componentWords(list) {
  return list.split(/,\s*/).filter(Boolean).map((c) => (has("component." + c) ? t("component." + c) : c.replace(/_/g, " "))).join(", ");
}

function maintenanceHeadline(a) {
  const missing = grab(/no service on record for ([\w, ]+)/, a.summary);
  if (missing) return t("rule.maintenance_due.missing", { components: componentWords(missing), hours: num(a.value, 0) });
  const comp = grab(/^(\w+):/, a.summary);
  const interval = grab(/interval ([\d.]+) h/, a.summary);
  return t("rule.maintenance_due.text", { component: componentWords(comp), hours: num(a.value, 0), interval });
}

// nextStep says what to do about an alert.
export function nextStep(a, dev) {
  if (a.rule === "device_fault") {
    const code = alertAlarm(a, dev);
    return code ? alarmStep(code) : t("step.device_fault");
  }
  return has("step." + a.rule) ? t("step." + a.rule) : "";
}

// deviceReason explains a device's status from its newest reading and its
// open alerts: the words, when it started, and the next step. Operational
// devices need no reason. onSite is the device's last status recorded on
// site, if any: a device that never sent data but has one is equipment
// without telemetry, so there is no network link to check.
export function deviceReason(d, alerts, onSite) {
  const open = alerts.filter((a) => a.rule !== "maintenance_due")
    .sort((x, y) => severityRank(x.severity) - severityRank(y.severity) || Date.parse(x.started_at) - Date.parse(y.started_at));
  const top = open[0];
  const since = open.length ? open.reduce((m, a) => Math.min(m, Date.parse(a.started_at)), Infinity) : 0;
  const r = d.last_reading || {};
  if (d.status === "no_data") {
    if (!d.last_seen && onSite) return { text: t("reason.no_telemetry"), since: 0, next: "", tone: "no_data" };
    return { text: d.last_seen ? t("reason.no_data") : t("reason.never"), since: d.last_seen ? Date.parse(d.last_seen) : 0, next: t("step.offline"), tone: "no_data" };
  }
  const words = readingReasons(d, r);
  if (!words.length && top) words.push(alertHeadline(top, d));
  if (!words.length) {
    if (d.status === "operational") return null;
    words.push(statusWord(d.status));
  }
  let next = top ? nextStep(top, d) : "";
  if (!next && r.alarms && r.alarms.length) next = alarmStep(r.alarms[0]);
  if (!next && (r.power === "none" || r.power === "battery")) next = t("step.power_loss");
  // The colour of the words: red when an open alert is critical, else the
  // status's (amber for an operational device with an open warning).
  const tone = top && top.severity === "critical" ? "down" : d.status === "operational" ? "degraded" : d.status;
  return { text: words.slice(0, 2).join(" · "), since, next, tone };
}

// shortReason is the few words a device chip has room for.
export function shortReason(d) {
  const r = d.last_reading || {};
  if (d.status === "no_data") return statusWord(d.status);
  const alarms = (r.alarms || []).filter((a) => a !== "low_purity");
  if (alarms.length) return alarmWord(alarms[0]);
  if (r.power === "none") return t("reason.power_none");
  if (r.power === "battery") return t("power.battery");
  return statusWord(d.status);
}

function readingReasons(d, r) {
  const out = [];
  // A low-purity alarm says less than the purity itself, shown below.
  const alarms = (r.alarms || []).filter((a) => a !== "low_purity" || typeof r.purity_pct !== "number");
  if (alarms.length) out.push(alarms.map(alarmWord).join(", "));
  else if (r.state === "fault") out.push(t("reason.fault"));
  if (r.power === "none") out.push(t("reason.power_none"));
  else if (r.power === "battery") out.push(t("reason.power_battery"));
  if (r.state === "off" && r.power !== "none" && r.power !== "battery") out.push(t("reason.off"));
  if (r.state === "maintenance") out.push(t("reason.maintenance"));
  // Purity means something only while the device produces oxygen.
  if (typeof r.purity_pct === "number" && r.purity_pct < puritySpec(d.kind) && (r.state === "running" || !r.state)) {
    out.push(t(r.purity_pct < PURITY_UNSAFE ? "reason.purity_unsafe" : "reason.purity_low", { value: num(r.purity_pct), spec: puritySpec(d.kind) }));
  }
  if (r.state === "standby" && !out.length && d.status !== "operational") out.push(t("reason.standby"));
  if (r.state === "off" && r.power === "battery") out.push(t("reason.off"));
  return out;
}

// silencesFor finds the active silences matching an alert, or touching a
// device (any rule).
export function silencesFor(silences, x) {
  const now = Date.now();
  const isAlert = "rule" in x;
  const dev = isAlert ? x.device : x.id;
  return silences.filter((s) => Date.parse(s.starts_at) <= now && now < Date.parse(s.ends_at) &&
    (!s.device || s.device === dev) && (!s.facility || s.facility === x.facility) &&
    (!s.region || s.region === x.region) && (!s.rule || !isAlert || s.rule === x.rule));
}

// silenceTarget says what a silence matches in words.
export function silenceTarget(s, facName) {
  const parts = [];
  if (s.device) parts.push(t("silence.target.device", { device: s.device }));
  if (s.facility) parts.push(t("silence.target.facility", { facility: facName(s.facility) }));
  if (s.region) parts.push(t("silence.target.region", { region: s.region }));
  const what = s.rule ? t("silence.target.rule", { rule: ruleWord(s.rule) }) : t("silence.target.all_alerts");
  return what + " · " + parts.join(" · ");
}
