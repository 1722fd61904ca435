// Who is told about alerts: the contacts, the places nobody covers, and
// the latest messages sent (engineers and admins).
import { t } from "./strings.js";
import { el, all, api, when } from "./core.js";

export async function contactsView(ctx) {
  const [contacts, facilities, devices, log] = await Promise.all([
    all("/contacts"), ctx.facilities(), all("/devices"), api("/deliveries?limit=50").then((p) => p.items),
  ]);
  const places = new Map(facilities.map((f) => [f.id, f.region]));
  for (const d of devices) if (d.facility && !places.has(d.facility)) places.set(d.facility, d.region);
  const nobody = [...places].filter(([id, region]) => !contacts.some((c) => covers(c, id, region)))
    .map(([id]) => ctx.facName(id)).sort();
  return el("div", {},
    el("h2", {}, t("contacts.title")),
    nobody.length ? el("div", { class: "error-box", id: "uncovered", role: "note" },
      el("strong", {}, t("contacts.uncovered", { n: nobody.length })), " ", nobody.join(", "),
      el("p", {}, t("contacts.uncovered_help"))) : null,
    contacts.length ? contactTable(contacts, ctx.facName) : el("p", { class: "muted" }, t("contacts.none")),
    el("h2", {}, t("contacts.log_title")),
    log.length ? logTable(log, ctx.facName) : el("p", { class: "muted" }, t("contacts.log_none")));
}

// covers: a contact with neither facilities nor regions is national.
const covers = (c, facility, region) => (!c.facilities.length && !c.regions.length) ||
  c.facilities.includes(facility) || c.regions.includes(region);

function contactTable(list, facName) {
  return el("table", { id: "contacts", class: "contacts" },
    el("thead", {}, el("tr", {}, ["contacts.col.name", "contacts.col.reach", "contacts.col.covers", "contacts.col.on_call"].map((k) => el("th", {}, t(k))))),
    el("tbody", {}, list.map((c) => el("tr", {},
      el("td", {}, c.name, c.role ? el("span", { class: "muted" }, " · " + c.role) : null),
      el("td", { class: "reach" }, [c.phone, c.email].filter(Boolean).join(" · ")),
      el("td", {}, !c.facilities.length && !c.regions.length ? t("contacts.national")
        : [...c.facilities.map(facName), ...c.regions.map((r) => t("contacts.region", { region: r }))].join(", ")),
      el("td", {}, c.on_call || t("contacts.always"))))));
}

function logTable(list, facName) {
  return el("table", { id: "deliveries", class: "deliveries" },
    el("thead", {}, el("tr", {}, ["contacts.col.when", "contacts.col.alert", "contacts.col.to", "contacts.col.state"].map((k) => el("th", {}, t(k))))),
    el("tbody", {}, list.map((d) => el("tr", { class: "d-" + d.state },
      el("td", {}, when(d.sent_at || d.created_at)),
      el("td", {}, t("contacts.alert", { id: d.alert_id, event: t("delivery_event." + d.event), facility: facName(d.facility) })),
      el("td", { class: "to" }, d.recipient, " · ", t("channel." + d.channel)),
      el("td", {}, t("delivery." + d.state), d.last_error ? el("span", { class: "error" }, " " + d.last_error) : null)))));
}
