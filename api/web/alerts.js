// The alert list: most severe first, then the oldest, in plain words with
// the next step, who was told, and service reminders kept apart so they do
// not drown the faults.
import { t } from "./strings.js";
import { el, api, all, optional, can, when, liveAge, duration, errorText, fold, actor } from "./core.js";
import {
  SEVERITY_ORDER, severityRank, kindWord, ruleWord, alertHeadline, nextStep, silencesFor, silenceTarget,
} from "./explain.js";
import { ackDialog, silenceDialog, endSilence } from "./actions.js";
import { alertWorkOrders, woMark, woButton } from "./workorders.js";

const alertFilters = { region: "", facility: "", severity: "", rule: "", state: "active" };
const STATES = ["active", "firing", "acknowledged", "resolved"];

// isService tells service reminders from faults.
export const isService = (a) => a.rule === "maintenance_due";

export async function alertsView(ctx) {
  const resolved = alertFilters.state === "resolved";
  const [list, devices, , silences, workOrders] = await Promise.all([
    resolved ? api("/alerts?state=resolved&limit=200").then((p) => p.items) : ctx.activeAlerts(),
    all("/devices"), ctx.facilities(), optional(all("/silences")), alertWorkOrders(),
  ]);
  const shown = list.filter((a) => (!alertFilters.region || a.region === alertFilters.region) &&
    (!alertFilters.facility || a.facility === alertFilters.facility) && (!alertFilters.severity || a.severity === alertFilters.severity) &&
    (!alertFilters.rule || a.rule === alertFilters.rule) && (resolved || alertFilters.state === "active" || a.state === alertFilters.state));
  sortAlerts(shown, resolved);
  const { top: faults, folded } = resolved ? { top: shown.filter((a) => !isService(a)), folded: new Map() } : foldOutages(shown.filter((a) => !isService(a)));
  const service = shown.filter(isService);
  const c = alertContext(ctx, devices, silences.items, await deliveriesOf(faults));
  c.folded = folded;
  c.workOrders = workOrders;
  const untold = faults.filter((a) => nobodyTold(a, c)).length;
  return el("div", {},
    el("h2", {}, t(resolved ? "alerts.title_resolved" : "alerts.title")),
    filterBar(list, ctx),
    untold ? el("div", { class: "error-box", id: "untold", role: "note" }, el("strong", {}, t("told.nobody_summary", { n: untold })), " ",
      t("told.nobody_help"), " ", el("a", { href: "#/contacts" }, t("told.contacts_link"))) : null,
    faults.length ? el("div", { id: "alerts" }, faults.map((a) => alertCard(a, c)))
      : el("p", { class: "muted", id: "alerts-empty" }, t(filtered() ? "alerts.none_match" : resolved ? "alerts.none_resolved" : "alerts.none")),
    service.length ? serviceSection(service, c) : null);
}

const filtered = () => ["region", "facility", "severity", "rule"].some((k) => alertFilters[k]) || !["active", "resolved"].includes(alertFilters.state);

// Device alerts that a site-wide outage explains (each device offline or
// without power) are folded into the outage's card.
const OUTAGE_PARTS = ["offline", "power_loss"];

// foldOutages splits a sorted list into the alerts to show and, per
// facility in an outage, the device alerts folded into it.
export function foldOutages(list) {
  const out = new Set(list.filter((a) => a.rule === "facility_outage" && a.state !== "resolved").map((a) => a.facility));
  const top = [], folded = new Map();
  for (const a of list) {
    if (a.device && out.has(a.facility) && OUTAGE_PARTS.includes(a.rule)) folded.set(a.facility, [...(folded.get(a.facility) || []), a]);
    else top.push(a);
  }
  return { top, folded };
}

// sortAlerts: critical before warning before info, those nobody has
// acknowledged before those someone is on, the oldest first (the
// longest-standing problem is the most urgent); resolved ones newest first.
export function sortAlerts(list, resolved) {
  const handled = (a) => (a.state === "acknowledged" ? 1 : 0);
  list.sort((a, b) => severityRank(a.severity) - severityRank(b.severity) || handled(a) - handled(b) ||
    (resolved ? Date.parse(b.resolved_at) - Date.parse(a.resolved_at) : Date.parse(a.started_at) - Date.parse(b.started_at)) || a.id - b.id);
}

// Who was told about each alert shown, read per alert (a few rows each,
// light on a GSM link) and kept for half a minute.
const DELIVERY_TTL_MS = 30e3, DELIVERY_MAX_ALERTS = 30;
const toldCache = new Map(); // alert id -> {at, rows}

export async function deliveriesOf(alerts) {
  if (!can("engineer")) return null;
  const now = Date.now();
  const byAlert = new Map();
  await Promise.all(alerts.filter((a) => a.state !== "resolved").slice(0, DELIVERY_MAX_ALERTS).map(async (a) => {
    let hit = toldCache.get(a.id);
    if (!hit || now - hit.at > DELIVERY_TTL_MS) {
      const r = await optional(api("/deliveries?limit=50&alert_id=" + a.id).then((p) => p.items));
      if (r.missing) return;
      hit = { at: now, rows: r.items.filter((d) => d.alert_id === a.id) };
      toldCache.set(a.id, hit);
    }
    byAlert.set(a.id, hit.rows);
  }));
  // When an alert reached nobody, the contacts say why: none covers its
  // place, or some do and no message went out to them (no sender set up).
  if ([...byAlert.values()].some((rows) => !rows.length)) {
    const r = await optional(all("/contacts"));
    if (!r.missing) byAlert.contacts = r.items;
  }
  return byAlert;
}

// coveredBy lists the contacts told about an alert's place: those of its
// facility or region, and national ones.
function coveredBy(contacts, a) {
  return contacts.filter((c) => (!c.facilities.length && !c.regions.length) ||
    (a.facility && c.facilities.includes(a.facility)) || (a.region && c.regions.includes(a.region)));
}

export function alertContext(ctx, devices, silences, deliveries) {
  return { devByID: new Map(devices.map((d) => [d.id, d])), facName: ctx.facName, silences, deliveries, refresh: ctx.refresh };
}

function filterBar(list, ctx) {
  const uniq = (f) => [...new Set(list.map(f).filter(Boolean))].sort();
  const select = (name, options, labelFor) => el("label", { class: "filter" },
    el("span", { class: "filter-label" }, t("filter." + name)),
    el("select", {
      id: "alert-filter-" + name,
      onchange: (e) => { alertFilters[name] = e.target.value; ctx.refresh(); },
    }, name === "state" ? null : el("option", { value: "" }, t("filter.all_" + name)),
    options.map((o) => el("option", { value: o, selected: alertFilters[name] === o }, labelFor(o)))));
  const keep = (opts, cur) => (cur && !opts.includes(cur) ? [...opts, cur] : opts);
  return el("div", { class: "filters" },
    select("state", STATES, (s) => t("alert_state_filter." + s)),
    select("severity", SEVERITY_ORDER, (s) => t("severity." + s)),
    select("region", keep(uniq((a) => a.region), alertFilters.region), (r) => r),
    select("facility", keep(uniq((a) => a.facility), alertFilters.facility).sort((a, b) => ctx.facName(a).localeCompare(ctx.facName(b))), ctx.facName),
    select("rule", keep(uniq((a) => a.rule), alertFilters.rule), ruleWord));
}

export function alertCard(a, c) {
  const dev = c.devByID.get(a.device);
  const facName = c.facName(a.facility);
  const muted = silencesFor(c.silences, a);
  const step = a.state === "resolved" ? "" : nextStep(a, dev);
  return el("article", { class: "alert sev-" + a.severity, "data-alert": a.id, "data-state": a.state, "data-rule": a.rule },
    el("div", { class: "alert-top" },
      el("span", { class: "tag sev-" + a.severity }, t("severity." + a.severity)),
      el("span", { class: "state st-" + a.state }, t("alert_state." + a.state))),
    el("h3", { class: "headline" }, alertHeadline(a, dev, facName)),
    el("p", { class: "where" },
      a.device ? el("a", { href: "#/device/" + encodeURIComponent(a.device) }, a.device) : null,
      dev ? " · " + kindWord(dev.kind) : null,
      a.device ? " · " : null, facName, a.region ? " · " + a.region : null),
    el("p", { class: "since" }, a.state === "resolved"
      ? t("alert.resolved_span", { from: when(a.started_at), to: when(a.resolved_at), len: duration(Date.parse(a.resolved_at) - Date.parse(a.started_at)) })
      : [t("alert.since", { time: when(a.started_at) }), " · ", liveAge(a.started_at, "time.for")]),
    step ? el("p", { class: "next" }, el("strong", {}, t("next.label")), " ", step) : null,
    a.acked_by ? el("p", { class: "acked" }, t("alert.acked", { by: actor(a.acked_by), time: when(a.acked_at) }),
      a.ack_note ? " — “" + a.ack_note + "”" : null) : null,
    toldLine(a, c, muted.length > 0),
    muted.map((s) => el("p", { class: "mark " + (s.maintenance ? "maint" : "muted-mark") },
      t(s.maintenance ? "alert.in_maintenance" : "alert.silenced", { until: when(s.ends_at), comment: s.comment }),
      can("engineer") ? [" ", endButton(s, c)] : null)),
    woMark(a, c),
    actions(a, c, dev, facName, muted.length > 0),
    foldedPart(a, c),
    fold("tech-" + a.id, { class: "tech" }, t("alert.details"),
      el("p", {}, t("alert.details_text", { rule: a.rule, id: a.id, summary: a.summary }))));
}

// nobodyTold: the delivery log was read for an open alert that should
// have been sent, and holds nothing.
function nobodyTold(a, c) {
  const rows = c.deliveries && c.deliveries.get(a.id);
  return !!rows && !rows.length && a.state !== "resolved" && a.severity !== "info" && !silencesFor(c.silences, a).length;
}

function toldLine(a, c, muted) {
  const rows = c.deliveries && c.deliveries.get(a.id);
  if (!rows) return null; // not read (a viewer, a resolved alert, or too many)
  if (rows.length) {
    const seen = new Set();
    const items = [];
    for (const d of rows) {
      const key = d.recipient + d.channel + d.event;
      if (seen.has(key)) continue;
      seen.add(key);
      items.push(el("span", { class: "delivery d-" + d.state }, t("told.row", {
        who: d.recipient, channel: t("channel." + d.channel), event: t("told.event." + d.event),
        state: t("delivery." + d.state), time: deliveryTime(d),
      }), d.last_error ? " (" + d.last_error + ")" : null));
    }
    return el("p", { class: "told" }, el("strong", {}, t("told.label")), " ", items.slice(0, 6).reduce((acc, x) => acc.concat(acc.length ? [t("list_sep"), x] : [x]), []));
  }
  if (a.state === "resolved" || a.severity === "info") return null;
  if (muted) return el("p", { class: "told muted" }, t("told.silenced"));
  const contacts = c.deliveries.contacts;
  if (!contacts) return el("p", { class: "told warn", role: "note" }, t("told.nobody"));
  const cover = coveredBy(contacts, a);
  if (!cover.length) {
    return el("p", { class: "told warn", role: "note", "data-why": "no_contact" },
      t("told.nobody_no_contact", { place: c.facName(a.facility), region: a.region || "–" }), " ", el("a", { href: "#/contacts" }, t("told.contacts_link")));
  }
  return el("p", { class: "told warn", role: "note", "data-why": "no_sender" },
    t("told.nobody_no_sender", { names: cover.slice(0, 3).map((x) => x.name).join(", ") + (cover.length > 3 ? " …" : "") }));
}

// deliveryTime is " at 14:05", or nothing when the log has no time.
function deliveryTime(d) {
  const ts = Date.parse(d.sent_at || d.created_at);
  return ts > Date.UTC(2000, 0, 1) ? t("told.at", { time: when(ts) }) : "";
}

// foldedPart lists, in an outage's card, the device alerts it explains.
function foldedPart(a, c) {
  const parts = a.rule === "facility_outage" && c.folded ? c.folded.get(a.facility) : null;
  if (!parts || !parts.length) return null;
  return fold("folded-" + a.id, { class: "folded" }, t("alerts.folded", { n: parts.length }),
    el("ul", {}, parts.map((x) => el("li", { "data-alert": x.id },
      el("a", { href: "#/device/" + encodeURIComponent(x.device) }, x.device), " — ",
      alertHeadline(x, c.devByID.get(x.device)), " · ", t("alert.since", { time: when(x.started_at) })))));
}

function actions(a, c, dev, facName, muted) {
  if (!can("engineer") || a.state === "resolved") return null;
  const box = el("div", { class: "actions" });
  if (a.state === "firing") {
    box.append(el("button", { type: "button", class: "ack primary", "data-alert": a.id, onclick: () => ackDialog(a, facName, c.refresh) }, t("action.ack")));
  }
  if (!muted) {
    box.append(el("button", { type: "button", class: "silence secondary", "data-alert": a.id,
      onclick: () => silenceDialog({ device: a.device, rule: a.rule, facility: a.facility, facilityName: facName, region: a.device || a.facility ? "" : a.region }, c.refresh) },
    t("action.silence_more")));
  }
  const wo = woButton(a, c);
  if (wo) box.append(wo);
  return box;
}

function endButton(s, c) {
  const msg = el("span", { class: "error" });
  return el("span", {}, el("button", { type: "button", class: "end-silence secondary small", "data-silence": s.id, onclick: async (e) => {
    e.target.disabled = true;
    try {
      await endSilence(s);
      c.refresh();
    } catch (err) {
      msg.textContent = " " + errorText(err);
      e.target.disabled = false;
    }
  } }, t(s.maintenance ? "action.end_maintenance" : "action.end_silence")), msg);
}

// serviceSection lists service reminders compactly, folded by default.
function serviceSection(list, c) {
  return fold("service", { class: "service", id: "service-due" },
    [t("alerts.service", { n: list.length }), " ", el("a", { href: "#/maintenance" }, t("alerts.service_link"))],
    el("ul", { class: "service-list" }, list.map((a) => el("li", { "data-alert": a.id },
      el("a", { href: "#/device/" + encodeURIComponent(a.device) }, a.device), " · ", c.facName(a.facility), " — ",
      alertHeadline(a, c.devByID.get(a.device))))));
}

// silencesList is the list of silences of the silences view and of a
// device page.
export function silenceRow(s, c) {
  const now = Date.now();
  const started = Date.parse(s.starts_at) <= now;
  return el("li", { class: "silence-row" + (s.maintenance ? " maint" : ""), "data-silence": s.id },
    el("div", {}, el("span", { class: "tag " + (s.maintenance ? "bg-maintenance" : "bg-no_data") }, t(s.maintenance ? "silence.kind_maintenance" : "silence.kind_silence")),
      " ", el("strong", {}, silenceTarget(s, c.facName))),
    el("div", { class: "since" }, started
      ? [t("silence.until", { from: when(s.starts_at), until: when(s.ends_at) }), " · ", liveAge(s.ends_at, "time.left")]
      : t("silence.planned", { from: when(s.starts_at), until: when(s.ends_at) })),
    el("div", {}, "“" + s.comment + "”", s.created_by ? el("span", { class: "muted" }, " — " + t("silence.by", { by: actor(s.created_by) })) : null),
    can("engineer") ? el("div", { class: "actions" }, endButton(s, c)) : null);
}
