// One device: why it is in its status and what to do, its planned
// maintenance and silences, its alerts, and its history from 1 hour to 30
// days against its alert thresholds.
import { t, has } from "./strings.js";
import { el, api, all, optional, can, num, when, liveAge, errorText, iso, zoneLabel, duration, POLL_MS } from "./core.js";
import {
  statusWord, kindWord, deviceReason, alarmWord, puritySpec, PURITY_UNSAFE, PSA_PRESSURE,
} from "./explain.js";
import { alertCard, alertContext, deliveriesOf, isService, silenceRow, sortAlerts } from "./alerts.js";
import { silenceDialog, serviceDialog, ENDING_MS } from "./actions.js";
import { chart, chartMessage, ranges } from "./chart.js";

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
  const [d, active, , silences, due] = await Promise.all([
    api("/devices/" + enc), ctx.activeAlerts(), ctx.facilities(), optional(all("/silences")),
    optional(all("/maintenance/due?device=" + enc)),
  ]);
  const alerts = active.filter((a) => a.device === d.id);
  sortAlerts(alerts, false);
  const c = alertContext(ctx, [d], silences.items, await deliveriesOf(alerts.filter((a) => !isService(a))));
  const facName = ctx.facName(d.facility);
  const why = deviceReason(d, alerts);
  const mine = silences.items.filter((s) => Date.parse(s.ends_at) > Date.now() + ENDING_MS && matches(s, d))
    .sort((a, b) => Date.parse(a.starts_at) - Date.parse(b.starts_at));
  const hist = await historyNode(d, ctx, picked || autoRange(alerts));
  return el("div", { class: "device-page" },
    el("p", { class: "back" }, el("a", { href: "#/" }, t("device.back"))),
    el("h2", {}, d.id, " ", el("span", { class: "tag bg-" + d.status, id: "device-status", "data-status": d.status }, statusWord(d.status))),
    why ? el("div", { class: "why s-" + d.status },
      el("p", { class: "reason t-" + why.tone }, why.text),
      why.since ? el("p", { class: "since" }, t("fleet.since", { time: when(why.since) }), " · ", liveAge(why.since, "time.for")) : null,
      why.next ? el("p", { class: "next" }, el("strong", {}, t("next.label")), " ", why.next) : null) : null,
    facts(d, facName),
    plannedSection(d, mine, c, ctx, facName),
    el("h3", {}, t("device.alerts")),
    alerts.filter((a) => !isService(a)).length
      ? el("div", { id: "alerts" }, alerts.filter((a) => !isService(a)).map((a) => alertCard(a, c)))
      : el("p", { class: "muted" }, t("device.no_alerts")),
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
    d.last_error ? row("device.input_error", d.last_error) : null));
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

async function historyNode(d, ctx, range) {
  const key = d.id + "|" + range;
  if (history && history.key === key && Date.now() - history.at < REFRESH[range]) return history.node;
  const to = Date.now(), from = to - RANGES[range];
  let body, at = Date.now();
  try {
    const ans = await api("/devices/" + encodeURIComponent(d.id) + "/readings?from=" + iso(from) + "&to=" + iso(to));
    body = charts(d, ans, from, to);
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
    body);
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

function charts(d, ans, from, to) {
  const items = ans.items || [];
  const every = ans.every ? parseGoDuration(ans.every) : 0;
  const caption = el("p", { class: "muted chart-caption" }, t("history.caption", {
    every: every ? duration(every) : "–", zone: zoneLabel(),
  }));
  if (!items.length) {
    return el("div", {}, caption, chartMessage(t("history.empty", { last: d.last_seen ? when(d.last_seen) : t("time.never") })));
  }
  const has = (f) => items.some((p) => typeof p[f] === "number");
  const specs = chartSpecs(d).filter((s) => s.core || has(s.field));
  return el("div", { class: "charts" }, caption, specs.map((s) => chart({ ...s, items, from, to,
    empty: t("chart.none_of", { what: s.title.toLowerCase() }) })));
}

function chartSpecs(d) {
  const spec = puritySpec(d.kind), rated = d.rated_flow_lpm || 0;
  const psa = d.kind === "psa";
  const purityLines = [{ value: PURITY_UNSAFE, label: t("chart.line.unsafe", { v: PURITY_UNSAFE }), cls: "crit" }];
  if (spec > PURITY_UNSAFE) purityLines.push({ value: spec, label: t("chart.line.standard", { v: spec }), cls: "warn" });
  return [
    { field: "purity_pct", core: true, title: t("chart.purity"), unit: "%", digits: 1, range: ranges.purity,
      lines: purityLines, bands: [{ from: -1e9, to: PURITY_UNSAFE, cls: "crit" }, { from: PURITY_UNSAFE, to: spec, cls: "warn" }] },
    { field: "pressure_bar", core: true, title: t("chart.pressure"), unit: "bar", digits: 2,
      range: ranges.fromZero(psa ? 8 : d.kind === "concentrator" ? 1 : 5),
      lines: psa ? [{ value: PSA_PRESSURE.low, label: t("chart.line.low", { v: PSA_PRESSURE.low }), cls: "warn" },
        { value: PSA_PRESSURE.high, label: t("chart.line.high", { v: PSA_PRESSURE.high }), cls: "warn" }] : [],
      bands: psa ? [{ from: -1e9, to: PSA_PRESSURE.low, cls: "warn" }, { from: PSA_PRESSURE.high, to: 1e9, cls: "warn" }] : [] },
    { field: "flow_lpm", core: true, title: t("chart.flow"), unit: "L/min", digits: 0, range: ranges.fromZero(rated ? rated * 1.25 : 1),
      lines: rated ? [{ value: rated, label: t("chart.line.rated", { v: num(rated, 0) }), cls: "ref" },
        { value: rated * 1.1, label: t("chart.line.overload"), cls: "warn" }] : [],
      bands: rated ? [{ from: rated * 1.1, to: 1e9, cls: "warn" }] : [] },
    { field: "temp_c", title: t("chart.temp"), unit: "°C", digits: 1, range: ranges.padded(10) },
    { field: "dew_point_c", title: t("chart.dew_point"), unit: "°C", digits: 1, range: ranges.padded(10) },
    { field: "tank_pressure_bar", title: t("chart.tank_pressure"), unit: "bar", digits: 1, range: ranges.fromZero(10) },
    { field: "supply_v", title: t("chart.supply_v"), unit: "V", digits: 0, range: ranges.fromZero(250) },
    { field: "battery_pct", title: t("chart.battery"), unit: "%", digits: 0, range: () => [0, 100] },
  ];
}

// parseGoDuration reads Go's time.Duration text ("1m0s", "3h0m0s") as ms.
function parseGoDuration(s) {
  let total = 0;
  for (const m of s.matchAll(/([\d.]+)(h|m|s|ms)/g)) total += Number(m[1]) * { h: 36e5, m: 6e4, s: 1e3, ms: 1 }[m[2]];
  return total;
}
