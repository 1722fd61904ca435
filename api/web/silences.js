// Silences and planned maintenance: what is muted or planned, until when,
// why and by whom, with a way to end each; and the service-due list.
import { t, has } from "./strings.js";
import { el, all, optional, can, num, fold } from "./core.js";
import { alertContext, silenceRow } from "./alerts.js";
import { silenceDialog, ENDING_MS } from "./actions.js";

// current keeps silences that have not ended, soonest end first.
function current(list) {
  const now = Date.now();
  return list.filter((s) => Date.parse(s.ends_at) > now + ENDING_MS)
    .sort((a, b) => Date.parse(a.starts_at) - Date.parse(b.starts_at) || Date.parse(a.ends_at) - Date.parse(b.ends_at));
}

export async function silencesView(ctx) {
  const [list] = await Promise.all([all("/silences"), ctx.facilities()]);
  const c = alertContext(ctx, [], [], null);
  const live = current(list);
  return el("div", {},
    el("h2", {}, t("silences.title")),
    el("p", { class: "muted" }, t("silences.help")),
    live.length ? el("ul", { class: "silences", id: "silences" }, live.map((s) => silenceRow(s, c)))
      : el("p", { class: "muted", id: "silences-empty" }, t("silences.none")));
}

export async function maintenanceView(ctx) {
  const [due, silences, facilities] = await Promise.all([all("/maintenance/due"), optional(all("/silences")), ctx.facilities()]);
  const c = alertContext(ctx, [], [], null);
  const planned = current(silences.items).filter((s) => s.maintenance);
  due.sort((a, b) => b.runtime_h / (b.interval_h || 1) - a.runtime_h / (a.interval_h || 1));
  // Hours "since service" of a part never serviced on record are the hours
  // since OxyWatch first saw it: not an overdue service, a missing record.
  const recorded = due.filter((m) => m.last_done), unrecorded = due.filter((m) => !m.last_done);
  return el("div", {},
    el("h2", {}, t("maint.planned_title")),
    planned.length ? el("ul", { class: "silences", id: "planned" }, planned.map((s) => silenceRow(s, c)))
      : el("p", { class: "muted" }, t("maint.planned_none")),
    can("engineer") ? planForFacility(facilities, ctx) : null,
    el("h2", {}, t("maint.due_title")),
    recorded.length ? dueTable(recorded, ctx.facName, "due") : el("p", { class: "muted" }, t("maint.due_none")),
    unrecorded.length ? fold("unrecorded", { class: "service", id: "unrecorded" }, t("maint.unrecorded", { n: unrecorded.length }),
      el("p", { class: "muted" }, t("maint.unrecorded_help")), dueTable(unrecorded, ctx.facName, "unrecorded-table")) : null);
}

function planForFacility(facilities, ctx) {
  if (!facilities.length) return el("p", { class: "muted" }, t("maint.plan_hint"));
  const sel = el("select", { "aria-label": t("filter.facility") },
    facilities.map((f) => el("option", { value: f.id }, ctx.facName(f.id))));
  return el("div", { class: "inline" },
    el("span", {}, t("maint.plan_facility")), sel,
    el("button", { type: "button", class: "secondary", id: "plan-facility", onclick: () => silenceDialog(
      { facility: sel.value, facilityName: ctx.facName(sel.value), maintenance: true }, ctx.refresh) }, t("action.plan_more")),
    el("span", { class: "muted" }, t("maint.plan_hint")));
}

function dueTable(due, facName, id) {
  return el("table", { id, class: "due" },
    el("thead", {}, el("tr", {}, ["maint.col.device", "maint.col.component", "maint.col.hours", "maint.col.facility"].map((k) => el("th", {}, t(k))))),
    el("tbody", {}, due.map((m) => {
      const pct = m.interval_h ? Math.round(100 * m.runtime_h / m.interval_h) : 0;
      const cls = pct >= 110 ? "t-down" : pct >= 100 ? "t-degraded" : "";
      return el("tr", { class: cls },
        el("td", {}, el("a", { href: "#/device/" + encodeURIComponent(m.device) }, m.device)),
        el("td", {}, has("component." + m.component) ? t("component." + m.component) : m.component),
        el("td", {}, t("maint.hours", { h: num(m.runtime_h, 0), interval: num(m.interval_h, 0), pct })),
        el("td", {}, facName(m.facility), m.region ? el("span", { class: "muted" }, " · " + m.region) : null));
    })));
}
