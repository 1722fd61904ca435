// The fleet board: devices grouped by facility, the facilities and devices
// that matter most first (worst status, then the oxygen capacity at risk,
// plants before concentrators), each with the reason in words.
import { t, inputError } from "./strings.js";
import { el, all, optional, num, when, day, liveAge } from "./core.js";
import {
  STATUS_ORDER, statusRank, kindRank, statusWord, kindWord, deviceReason, shortReason, alertHeadline, nextStep, silencesFor,
} from "./explain.js";
import { faultWord } from "./workorders.js";
import { lastFunctional, FUNCTIONAL_TONE, OLD_MS } from "./records.js";

const fleetFilters = { region: "", facility: "", status: "" };

export async function fleetView(ctx) {
  const [devices, facilities, alerts, silences, openWOs] = await Promise.all([
    all("/devices"), ctx.facilities(), ctx.activeAlerts(), optional(all("/silences")),
    optional(all("/work-orders?status=open")),
  ]);
  const facName = ctx.facName;
  const shown = devices.filter((d) => (!fleetFilters.region || d.region === fleetFilters.region) &&
    (!fleetFilters.facility || d.facility === fleetFilters.facility) && (!fleetFilters.status || d.status === fleetFilters.status));
  const reported = await lastFunctional(shown.filter(unmeasured));
  const byDevice = new Map();
  for (const a of alerts) if (a.device) byDevice.set(a.device, [...(byDevice.get(a.device) || []), a]);
  const outages = new Map(alerts.filter((a) => a.rule === "facility_outage").map((a) => [a.facility, a]));
  const groups = groupByFacility(shown, facilities, reported);
  const sil = silences.items;

  return el("div", {},
    filterBar(devices, facName, ctx.refresh),
    summary(shown),
    groups.length
      ? el("div", { id: "fleet" }, groups.map((g) => facilitySection(g, {
        facName, byDevice, outage: outages.get(g.id), silences: sil, reported, workOrders: byDeviceWO(openWOs.items),
      })))
      : el("p", { class: "muted" }, t("fleet.none")));
}

// unmeasured tells a device whose own readings say nothing now: it never
// sent any, or they stopped. Its status on the board is then what an
// engineer last recorded on site, if anything.
const unmeasured = (d) => !d.last_seen || d.status === "no_data";

// byDeviceWO maps each device to its open work orders, the oldest first.
function byDeviceWO(list) {
  const m = new Map();
  for (const w of [...list].sort((a, b) => Date.parse(a.opened_at) - Date.parse(b.opened_at))) {
    m.set(w.device_id, [...(m.get(w.device_id) || []), w]);
  }
  return m;
}

// How much of a device's rated flow each status puts at risk: a plant
// below its purity standard still gives oxygen, one that is down or unseen
// may give none.
const RISK = { down: 1, no_data: 0.9, degraded: 0.5 };
const rated = (d) => d.rated_flow_lpm || 0;
// risk is the oxygen at risk, in L/min (at least a token amount for a
// device without a rated flow, so its status still counts).
const risk = (d) => (RISK[d.status] || 0) * Math.max(rated(d), 1);

// REPORTED_RANK orders devices alike by what was last recorded on site.
const REPORTED_RANK = { non_functional: 0, under_repair: 1, none: 2, functional: 3 };

// groupByFacility returns facility groups in the order an engineer should
// look at them: the most oxygen at risk first, then the worst status, then
// the largest; each with its devices in that order too (among equals, one
// reported broken on site, then under repair, first; plants before
// concentrators).
function groupByFacility(devices, facilities, reported) {
  const onSite = (d) => REPORTED_RANK[(reported.get(d.id) || {}).status] ?? REPORTED_RANK.none;
  const meta = new Map(facilities.map((f) => [f.id, f]));
  const groups = new Map();
  for (const d of devices) {
    const id = d.facility || "";
    if (!groups.has(id)) groups.set(id, { id, region: (meta.get(id) || {}).region || d.region, devices: [] });
    groups.get(id).devices.push(d);
  }
  for (const g of groups.values()) {
    g.devices.sort((a, b) => risk(b) - risk(a) || statusRank(a.status) - statusRank(b.status) || onSite(a) - onSite(b) || kindRank(a.kind) - kindRank(b.kind) ||
      rated(b) - rated(a) || a.id.localeCompare(b.id));
    g.worst = Math.min(...g.devices.map((d) => statusRank(d.status)));
    g.total = g.devices.reduce((s, d) => s + rated(d), 0);
    g.available = g.devices.filter((d) => d.status === "operational").reduce((s, d) => s + rated(d), 0);
    g.atRisk = g.devices.reduce((s, d) => s + risk(d), 0);
  }
  return [...groups.values()].sort((a, b) => b.atRisk - a.atRisk || a.worst - b.worst || b.total - a.total ||
    (a.id ? 0 : 1) - (b.id ? 0 : 1) || a.id.localeCompare(b.id));
}

function filterBar(devices, facName, refresh) {
  const regions = [...new Set(devices.map((d) => d.region).filter(Boolean))].sort();
  const facIDs = [...new Set(devices.filter((d) => !fleetFilters.region || d.region === fleetFilters.region)
    .map((d) => d.facility).filter(Boolean))].sort((a, b) => facName(a).localeCompare(facName(b)));
  const select = (name, options, labelFor) => el("label", { class: "filter" },
    el("span", { class: "filter-label" }, t("filter." + name)),
    el("select", {
      id: "filter-" + name,
      onchange: (e) => { fleetFilters[name] = e.target.value; if (name === "region") fleetFilters.facility = ""; refresh(); },
    }, el("option", { value: "" }, t("filter.all_" + name)),
    options.map((o) => el("option", { value: o, selected: fleetFilters[name] === o }, labelFor(o)))));
  return el("div", { class: "filters" },
    select("region", regions, (r) => r),
    select("facility", facIDs, facName),
    select("status", STATUS_ORDER, statusWord));
}

function summary(devices) {
  const counts = {};
  for (const d of devices) counts[d.status] = (counts[d.status] || 0) + 1;
  const total = devices.reduce((s, d) => s + (d.rated_flow_lpm || 0), 0);
  const avail = devices.filter((d) => d.status === "operational").reduce((s, d) => s + (d.rated_flow_lpm || 0), 0);
  return el("div", { class: "summary", id: "summary" },
    STATUS_ORDER.filter((s) => counts[s]).map((s) => el("span", { class: "pill bg-" + s }, t("fleet.count", { n: counts[s], status: statusWord(s) }))),
    total ? el("span", { class: "capacity" }, t("fleet.capacity", { avail: num(avail, 0), total: num(total, 0), pct: Math.round(100 * avail / total) })) : null);
}

function facilitySection(g, c) {
  const name = g.id ? c.facName(g.id) : t("fleet.no_facility");
  const counts = {};
  for (const d of g.devices) counts[d.status] = (counts[d.status] || 0) + 1;
  const bad = STATUS_ORDER.filter((s) => s !== "operational" && counts[s]);
  // A site-wide outage is one card, not one per device.
  const cards = c.outage ? [] : g.devices.filter(needsCard);
  const chips = c.outage ? g.devices : g.devices.filter((d) => !needsCard(d));
  return el("section", { class: "facility f-" + STATUS_ORDER[g.worst], "data-facility": g.id },
    el("header", { class: "fac-head" },
      el("h2", {}, name),
      el("span", { class: "fac-meta" }, [g.region, t(g.devices.length === 1 ? "fleet.devices_one" : "fleet.devices", { n: g.devices.length })].filter(Boolean).join(" · ")),
      el("span", { class: "fac-state" }, bad.length
        ? bad.map((s) => el("span", { class: "t-" + s }, t("fleet.count", { n: counts[s], status: statusWord(s) }))).reduce((acc, x) => acc.concat(acc.length ? [" · ", x] : [x]), [])
        : el("span", { class: "t-operational" }, t("fleet.all_ok"))),
      g.total ? el("span", { class: "fac-cap" }, t("fleet.capacity_short", { avail: num(g.available, 0), total: num(g.total, 0) })) : null),
    c.outage ? outageCard(c.outage, name) : null,
    cards.length ? el("div", { class: "grid" }, cards.map((d) => deviceCard(d, c))) : null,
    chips.length ? el("div", { class: "chips" }, chips.map((d) => deviceChip(d, c.workOrders.get(d.id)))) : null);
}

// Operational concentrators need no card: a chip says they are fine.
const needsCard = (d) => d.status !== "operational" || d.kind !== "concentrator";

function outageCard(a, name) {
  return el("div", { class: "outage s-down", "data-alert": a.id },
    el("h3", {}, alertHeadline(a, null, name)),
    el("p", { class: "since" }, t("fleet.since", { time: when(a.started_at) }), " · ", liveAge(a.started_at, "time.for")),
    el("p", { class: "next" }, el("strong", {}, t("next.label")), " ", nextStep(a)));
}

function deviceCard(d, c) {
  const r = d.last_reading || {};
  const alerts = c.byDevice.get(d.id) || [];
  const why = deviceReason(d, alerts, c.reported.get(d.id));
  const planned = silencesFor(c.silences, d).filter((s) => s.maintenance);
  const muted = silencesFor(c.silences, d).filter((s) => !s.maintenance);
  return el("a", { class: "device s-" + d.status, href: "#/device/" + encodeURIComponent(d.id), "data-device": d.id, "data-status": d.status },
    el("div", { class: "card-top" },
      el("h3", {}, d.id),
      el("span", { class: "tag bg-" + d.status }, statusWord(d.status))),
    el("div", { class: "kind" }, kindWord(d.kind), d.rated_flow_lpm ? " · " + t("unit.lpm", { v: num(d.rated_flow_lpm, 0) }) : null),
    workOrderBadge(c.workOrders.get(d.id)),
    c.reported.has(d.id) ? reportedLine(c.reported.get(d.id)) : null,
    why ? el("p", { class: "reason t-" + why.tone }, why.text) : null,
    why && why.since ? el("p", { class: "since" }, t("fleet.since", { time: when(why.since) }), " · ", liveAge(why.since, "time.for")) : null,
    why && why.next ? el("p", { class: "next" }, el("strong", {}, t("next.label")), " ", why.next) : null,
    d.last_reading ? el("div", { class: "values" }, d.status === "no_data" ? t("value.last", { values: readingValues(r) }) : readingValues(r)) : null,
    el("div", { class: "foot" },
      liveAge(d.last_seen, "time.seen"),
      d.last_error ? el("span", { class: "error", title: d.last_error }, " · " + t("fleet.input_error", { error: inputError(d) })) : null),
    planned.map((s) => el("div", { class: "mark maint" }, t("fleet.planned", { until: when(s.ends_at), comment: s.comment }))),
    muted.length ? el("div", { class: "mark muted-mark" }, t("fleet.silenced", { until: when(muted[0].ends_at) })) : null);
}

// reportedLine is a device's last status recorded on site, with its day,
// said to be reported by a person, not measured (and perhaps out of date
// past OLD_MS); or that none is.
function reportedLine(rec) {
  if (!rec) return el("p", { class: "reported none", "data-functional": "" }, t("fleet.reported_none"));
  const tone = FUNCTIONAL_TONE[rec.status] || "no_data";
  const old = Date.now() - Date.parse(rec.at) > OLD_MS;
  return el("p", { class: "reported", "data-functional": rec.status },
    el("span", { class: "tag bg-" + tone }, t("fs.status." + rec.status)), " ",
    el("span", {}, t("fleet.reported_on", { date: day(rec.at) })),
    old ? el("span", { class: "old" }, " · " + t("fleet.reported_old")) : null);
}

// workOrderBadge marks a device with an open repair: its number, fault
// and opening in the tooltip, the count when more than one.
function workOrderBadge(wos) {
  if (!wos || !wos.length) return null;
  const w = wos[0];
  return el("span", { class: "wo-badge", "data-wo": w.id,
    title: t("fleet.wo_title", { id: w.id, fault: faultWord(w.fault), time: when(w.opened_at) }) },
  wos.length > 1 ? t("fleet.wo_open_n", { n: wos.length }) : t("fleet.wo_open"));
}

function deviceChip(d, wos) {
  const r = d.last_reading || {};
  const producing = d.status !== "no_data" && (r.state === "running" || !r.state);
  return el("a", { class: "device chip s-" + d.status, href: "#/device/" + encodeURIComponent(d.id), "data-device": d.id, "data-status": d.status },
    el("span", { class: "chip-id" }, d.id),
    producing && typeof r.purity_pct === "number" ? el("span", { class: "chip-val" }, t("unit.pct", { v: num(r.purity_pct) })) : null,
    d.status !== "operational" ? el("span", { class: "chip-val t-" + d.status }, shortReason(d)) : null,
    workOrderBadge(wos));
}

function readingValues(r) {
  const parts = [];
  if (typeof r.purity_pct === "number") parts.push(t("value.purity", { v: num(r.purity_pct) }));
  if (typeof r.pressure_bar === "number") parts.push(t("value.pressure", { v: num(r.pressure_bar) }));
  if (typeof r.flow_lpm === "number") parts.push(t("unit.lpm", { v: num(r.flow_lpm, 0) }));
  if (r.state) parts.push(t("state." + r.state));
  if (r.power && r.power !== "mains") parts.push(t("power." + r.power));
  return parts.join(" · ");
}
