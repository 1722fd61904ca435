// One device: why it is in its status and what to do, its planned
// maintenance and silences, its alerts, and its history from 1 hour to 30
// days against its alert thresholds.
import { t, has, inputError } from "./strings.js";
import { el, api, all, optional, can, num, when, liveAge, errorText, iso, zoneLabel, duration, fold, POLL_MS } from "./core.js";
import {
  statusWord, kindWord, deviceReason, alarmWord, ruleWord, puritySpec, PURITY_UNSAFE, PSA_PRESSURE,
} from "./explain.js";
import { alertCard, alertContext, deliveriesOf, isService, silenceRow, sortAlerts } from "./alerts.js";
import { silenceDialog, serviceDialog, ENDING_MS } from "./actions.js";
import { chart, chartMessage, ranges } from "./chart.js";
import { readRecords, functionalSection, stockSection, isStorage } from "./records.js";
import { deviceWorkOrders, byAlert, workOrderSection } from "./workorders.js";

const HOUR = 36e5, DAY = 864e5;
const RANGES = { "1h": HOUR, "6h": 6 * HOUR, "24h": DAY, "7d": 7 * DAY, "30d": 30 * DAY };
// How long a drawn history stays before it is read again.
const REFRESH = { "1h": 30e3, "6h": 30e3, "24h": 60e3, "7d": 300e3, "30d": 300e3 };

let picked = "";     // the range the user chose, kept for the session
let history = null; // {key, at, node}: the drawn history, kept across refreshes

// autoRange shows what just happened: the shortest range that holds the
// oldest open problem three times over, or 6 hours when there is none.
function autoRange(alerts) {
  const open = alerts.filter((a) => !isService(a));
  if (!open.length) return "6h";
  const age = Date.now() - Math.min(...open.map((a) => Date.parse(a.started_at)));
  return Object.keys(RANGES).find((k) => RANGES[k] >= 3 * age) || "30d";
}

export async function deviceView(ctx, id) {
  const enc = encodeURIComponent(id);
  const device = api("/devices/" + enc);
  const [d, active, , silences, due, limits, records, workOrders] = await Promise.all([
    device, ctx.activeAlerts(), ctx.facilities(), optional(all("/silences")),
    optional(all("/maintenance/due?device=" + enc)), deviceLimits(enc), device.then(readRecords), deviceWorkOrders(id),
  ]);
  const alerts = active.filter((a) => a.device === d.id);
  sortAlerts(alerts, false);
  const c = alertContext(ctx, [d], silences.items, await deliveriesOf(alerts.filter((a) => !isService(a))));
  c.workOrders = byAlert(workOrders);
  const facName = ctx.facName(d.facility);
  const why = deviceReason(d, alerts, records.functional.items?.[0]);
  const mine = silences.items.filter((s) => Date.parse(s.ends_at) > Date.now() + ENDING_MS && matches(s, d))
    .sort((a, b) => Date.parse(a.starts_at) - Date.parse(b.starts_at));
  const hist = await historyNode(d, limits || defaultLimits(d), ctx, picked || autoRange(alerts));
  return el("div", { class: "device-page" },
    el("p", { class: "back" }, el("a", { href: "#/" }, t("device.back"))),
    el("h2", {}, d.id, " ", el("span", { class: "tag bg-" + d.status, id: "device-status", "data-status": d.status }, statusWord(d.status))),
    why ? el("div", { class: "why s-" + d.status },
      el("p", { class: "reason t-" + why.tone }, why.text),
      why.since ? el("p", { class: "since" }, t("fleet.since", { time: when(why.since) }), " · ", liveAge(why.since, "time.for")) : null,
      why.next ? el("p", { class: "next" }, el("strong", {}, t("next.label")), " ", why.next) : null) : null,
    facts(d, facName),
    isStorage(d) ? stockSection(d, records.stock, ctx.refresh) : null,
    functionalSection(d, records.functional, ctx.refresh),
    plannedSection(d, mine, c, ctx, facName),
    el("h3", {}, t("device.alerts")),
    alerts.filter((a) => !isService(a)).length
      ? el("div", { id: "alerts" }, alerts.filter((a) => !isService(a)).map((a) => alertCard(a, c)))
      : el("p", { class: "muted" }, t("device.no_alerts")),
    workOrderSection(d, workOrders, ctx.refresh),
    hist,
    serviceSection(d, due.items, alerts.filter(isService), ctx));
}

const matches = (s, d) => (!s.device || s.device === d.id) && (!s.facility || s.facility === d.facility) && (!s.region || s.region === d.region);

function facts(d, facName) {
  const r = d.last_reading || {};
  const row = (k, ...v) => el("tr", {}, el("th", {}, t(k)), el("td", {}, ...v));
  return el("table", { class: "facts" }, el("tbody", {},
    row("device.kind", kindWord(d.kind), d.model ? " (" + d.model + ")" : ""),
    row("device.facility", facName, d.region ? " · " + d.region : "", d.country ? " · " + d.country : ""),
    d.rated_flow_lpm ? row("device.rated", t("unit.lpm", { v: num(d.rated_flow_lpm, 0) })) : null,
    row("device.last_seen", d.last_seen ? [when(d.last_seen), " · ", liveAge(d.last_seen)] : t("time.never")),
    d.last_reading ? row("device.now", nowValues(r)) : null,
    r.alarms && r.alarms.length ? row("device.alarms", r.alarms.map(alarmWord).join(", ")) : null,
    typeof r.runtime_h === "number" ? row("device.runtime", t("device.hours", { h: num(r.runtime_h, 0) })) : null,
    d.last_error ? inputRow(row, d) : null));
}

// inputRow is the device's last bad message: its reason in the reader's
// words, the technical line folded under it.
function inputRow(row, d) {
  const said = inputError(d);
  return row("device.input_error", said, said !== d.last_error ?
    el("details", { class: "detail" }, el("summary", {}, t("device.input_detail")), d.last_error) : null);
}

function nowValues(r) {
  const parts = [];
  if (r.state) parts.push(t("state." + r.state));
  if (r.power) parts.push(t("power." + r.power));
  if (typeof r.purity_pct === "number") parts.push(t("value.purity", { v: num(r.purity_pct) }));
  if (typeof r.pressure_bar === "number") parts.push(t("value.pressure", { v: num(r.pressure_bar, 2) }));
  if (typeof r.flow_lpm === "number") parts.push(t("unit.lpm", { v: num(r.flow_lpm, 0) }));
  return parts.join(" · ");
}

function plannedSection(d, mine, c, ctx, facName) {
  const button = can("engineer") ? el("div", { class: "actions" },
    el("button", { type: "button", class: "secondary", id: "plan-maintenance",
      onclick: () => silenceDialog({ device: d.id, facility: d.facility, facilityName: facName, maintenance: true }, ctx.refresh) }, t("action.plan_more")),
    el("button", { type: "button", class: "secondary", id: "silence-device",
      onclick: () => silenceDialog({ device: d.id, facility: d.facility, facilityName: facName }, ctx.refresh) }, t("action.silence_more"))) : null;
  return el("section", { class: "planned" },
    el("h3", {}, t("device.planned")),
    mine.length ? el("ul", { class: "silences", id: "device-silences" }, mine.map((s) => silenceRow(s, c)))
      : el("p", { class: "muted" }, t("device.planned_none")),
    button);
}

function serviceSection(d, due, reminders, ctx) {
  const components = [...new Set([...(COMPONENTS[d.kind] || []), ...due.map((m) => m.component)])];
  return el("section", { class: "service-log" },
    el("h3", {}, t("device.service")),
    due.length ? el("ul", {}, due.map((m) => el("li", {}, t(m.last_done ? "maint.due_line" : "maint.unrecorded_line", {
      component: has("component." + m.component) ? t("component." + m.component) : m.component,
      h: num(m.runtime_h, 0), interval: num(m.interval_h, 0), pct: m.interval_h ? Math.round(100 * m.runtime_h / m.interval_h) : 0,
    })))) : reminders.length ? null : el("p", { class: "muted" }, t("device.service_none")),
    can("engineer") ? el("button", { type: "button", class: "secondary", id: "record-service",
      onclick: () => serviceDialog(d, components, ctx.refresh) }, t("action.record_service")) : null);
}

// Components with service intervals per kind (DOMAIN.md).
const COMPONENTS = {
  psa: ["filter_elements", "air_compressor", "zeolite"],
  concentrator: ["inlet_filter_clean", "inlet_filter", "preventive_service", "sieve_beds"],
};

// ---- history ----

async function historyNode(d, lim, ctx, range) {
  const key = d.id + "|" + range + "|" + JSON.stringify(lim);
  if (history && history.key === key && Date.now() - history.at < REFRESH[range]) return history.node;
  const to = Date.now(), from = to - RANGES[range];
  let body, at = Date.now();
  try {
    const ans = await api("/devices/" + encodeURIComponent(d.id) + "/readings?from=" + iso(from) + "&to=" + iso(to));
    body = charts(d, lim, ans, from, to);
  } catch (e) {
    if (e.status === 0 || e.status === 401) throw e; // the server is gone: the whole page goes stale
    body = historyError(e);
    at -= REFRESH[range] - POLL_MS; // try again at the next refresh
  }
  const node = el("section", { class: "history", "data-range": range },
    el("h3", {}, t("device.history")),
    el("div", { class: "tabs", role: "group", "aria-label": t("device.range") }, Object.keys(RANGES).map((name) =>
      el("button", { type: "button", class: "range" + (name === range ? " active" : ""), "data-range": name, "aria-pressed": String(name === range),
        onclick: () => { picked = name; history = null; ctx.refresh(); } }, t("range." + name)))),
    body, limitsList(lim));
  history = { key, at, node };
  return node;
}

function historyError(e) {
  const unconfigured = e.status === 501;
  return el("div", { class: "error-box", role: "alert", id: "history-error" },
    el("strong", {}, t(unconfigured ? "history.unconfigured" : "history.unavailable")),
    el("p", {}, t("history.live_ok")),
    el("p", { class: "muted" }, t("history.server_said", { detail: errorText(e) })));
}

function charts(d, lim, ans, from, to) {
  const items = ans.items || [];
  const every = ans.every ? parseGoDuration(ans.every) : 0;
  const caption = el("p", { class: "muted chart-caption" }, t(lim.builtin ? "history.caption_builtin" : "history.caption", {
    every: every ? duration(every) : "–", zone: zoneLabel(),
  }));
  if (!items.length) {
    return el("div", {}, caption, chartMessage(t("history.empty", { last: d.last_seen ? when(d.last_seen) : t("time.never") })));
  }
  const has = (f) => items.some((p) => typeof p[f] === "number");
  const specs = chartSpecs(d, lim).filter((s) => s.core || has(s.field));
  return el("div", { class: "charts" }, caption, specs.map((s) => chart({ ...s, items, from, to,
    empty: t("chart.none_of", { what: s.title.toLowerCase() }) })));
}

// deviceLimits reads the limits the alerting engine applies to the device
// (its kind's and model's overrides included); null when the server has
// none to give, and the charts draw the built-in ones, saying so.
async function deviceLimits(enc) {
  try {
    return await api("/devices/" + enc + "/limits");
  } catch (e) {
    if (e.status === 501 || e.status === 404) return null;
    throw e;
  }
}

// defaultLimits are DOMAIN.md's built-in limits, in the API's form.
function defaultLimits(d) {
  const spec = puritySpec(d.kind), warn = "warning";
  const l = [{ rule: "critical_purity", level: PURITY_UNSAFE, severity: "critical" }];
  if (spec > PURITY_UNSAFE) l.push({ rule: "low_purity", level: spec, severity: warn });
  if (d.kind === "psa") {
    l.push({ rule: "low_pressure", level: PSA_PRESSURE.low, severity: warn }, { rule: "high_pressure", level: PSA_PRESSURE.high, above: true, severity: warn });
  }
  if (d.rated_flow_lpm) l.push({ rule: "overload", level: 110, above: true, severity: warn });
  return { limits: l, service: [], builtin: true };
}

// level writes a limit with the decimals it has: 7, 4.2, 0.25 (4,2 in French).
const level = (v) => num(v, Number.isInteger(v) ? 0 : Math.abs(Math.round(v * 10) - v * 10) < 1e-9 ? 1 : 2);
const sevClass = (l) => (l.severity === "critical" ? "crit" : "warn");

function chartSpecs(d, lim) {
  const by = Object.fromEntries(lim.limits.map((l) => [l.rule, l]));
  const rated = d.rated_flow_lpm || 0;
  const purity = { lines: [], bands: [] };
  const crit = by.critical_purity, low = by.low_purity;
  if (crit) {
    purity.lines.push({ value: crit.level, label: t("chart.line.unsafe", { v: level(crit.level) }), cls: sevClass(crit) });
    purity.bands.push({ from: -1e9, to: crit.level, cls: sevClass(crit) });
  }
  if (low && (!crit || low.level > crit.level)) {
    purity.lines.push({ value: low.level, label: t("chart.line.standard", { v: level(low.level) }), cls: sevClass(low) });
    purity.bands.push({ from: crit ? crit.level : -1e9, to: low.level, cls: sevClass(low) });
  }
  const pressure = { lines: [], bands: [] };
  const lp = by.low_pressure, hp = by.high_pressure;
  if (lp) {
    pressure.lines.push({ value: lp.level, label: t("chart.line.low", { v: level(lp.level) }), cls: sevClass(lp) });
    pressure.bands.push({ from: -1e9, to: lp.level, cls: sevClass(lp) });
  }
  if (hp) {
    pressure.lines.push({ value: hp.level, label: t("chart.line.high", { v: level(hp.level) }), cls: sevClass(hp) });
    pressure.bands.push({ from: hp.level, to: 1e9, cls: sevClass(hp) });
  }
  const pressureTop = Math.max(d.kind === "psa" ? 8 : d.kind === "concentrator" ? 1 : 5, 1.15 * ((hp || lp || { level: 0 }).level));
  const flow = { lines: [], bands: [] };
  const over = by.overload && rated ? rated * by.overload.level / 100 : 0;
  if (rated) flow.lines.push({ value: rated, label: t("chart.line.rated", { v: num(rated, 0) }), cls: "ref" });
  if (over) {
    flow.lines.push({ value: over, label: t("chart.line.overload"), cls: sevClass(by.overload) });
    flow.bands.push({ from: over, to: 1e9, cls: sevClass(by.overload) });
  }
  return [
    { field: "purity_pct", core: true, title: t("chart.purity"), unit: "%", digits: 1, range: ranges.purity, ...purity },
    { field: "pressure_bar", core: true, title: t("chart.pressure"), unit: "bar", digits: 2, range: ranges.fromZero(pressureTop), ...pressure },
    { field: "flow_lpm", core: true, title: t("chart.flow"), unit: "L/min", digits: 0,
      range: ranges.fromZero(rated ? Math.max(rated * 1.25, over * 1.1) : 1), ...flow },
    { field: "temp_c", title: t("chart.temp"), unit: "°C", digits: 1, range: ranges.padded(10) },
    { field: "dew_point_c", title: t("chart.dew_point"), unit: "°C", digits: 1, range: ranges.padded(10) },
    { field: "tank_pressure_bar", title: t("chart.tank_pressure"), unit: "bar", digits: 1, range: ranges.fromZero(10) },
    { field: "supply_v", title: t("chart.supply_v"), unit: "V", digits: 0, range: ranges.fromZero(250) },
    { field: "battery_pct", title: t("chart.battery"), unit: "%", digits: 0, range: () => [0, 100] },
  ];
}

// limitsList says every limit the device is judged against, in words, and
// its service intervals (folded: the charts draw the same).
function limitsList(lim) {
  if (lim.builtin) return null;
  const unit = (l, v) => (l.unit === "% of rated flow" ? t("limits.of_rated", { v: level(v) }) : l.unit === "%" ? t("limits.pct", { v: level(v) }) : level(v) + " " + l.unit);
  const rules = lim.limits.map((l) => el("li", { "data-rule": l.rule }, t(l.above ? "limits.above" : "limits.below", {
    rule: ruleWord(l.rule), v: unit(l, l.level), clear: unit(l, l.clear), severity: t("severity." + l.severity),
    for: l.for_s ? t("limits.for", { d: duration(l.for_s * 1000) }) : t("limits.at_once"),
  })));
  const service = (lim.service || []).map((c) => {
    const parts = [c.hours ? t("limits.run_hours", { h: num(c.hours, 0) }) : "", c.months ? t("limits.months", { n: c.months }) : "",
      c.days ? t("limits.days", { n: c.days }) : ""].filter(Boolean);
    return el("li", {}, t(parts.length > 1 ? "limits.service_first" : "limits.service_one", {
      component: has("component." + c.component) ? t("component." + c.component) : c.component, when: parts.join(t("limits.or")),
    }));
  });
  return fold("limits", { class: "folded", id: "limits" }, t("limits.title"),
    el("p", { class: "muted" }, t("limits.source")),
    el("ul", {}, rules),
    service.length ? [el("p", {}, el("strong", {}, t("limits.service_title"))), el("ul", {}, service)] : null);
}

// parseGoDuration reads Go's time.Duration text ("1m0s", "3h0m0s") as ms.
function parseGoDuration(s) {
  let total = 0;
  for (const m of s.matchAll(/([\d.]+)(h|m|s|ms)/g)) total += Number(m[1]) * { h: 36e5, m: 6e4, s: 1e3, ms: 1 }[m[2]];
  return total;
}
