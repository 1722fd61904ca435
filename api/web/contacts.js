// Who is told about alerts: the contacts, the places nobody covers, and
// the latest messages sent (engineers and admins). Admins add, change and
// delete contacts here; a region-limited admin only inside their regions,
// as the API allows (api/contacts.go).
import { t, LANGS } from "./strings.js";
import { el, all, api, can, session, when, zoneLabel } from "./core.js";
import { dialog, field } from "./actions.js";

export async function contactsView(ctx) {
  const [contacts, facilities, devices, log] = await Promise.all([
    all("/contacts"), ctx.facilities(), all("/devices"), api("/deliveries?limit=50").then((p) => p.items),
  ]);
  const places = new Map(facilities.map((f) => [f.id, f.region]));
  for (const d of devices) if (d.facility && !places.has(d.facility)) places.set(d.facility, d.region);
  const nobody = [...places].filter(([id, region]) => !contacts.some((c) => covers(c, id, region)))
    .map(([id]) => ctx.facName(id)).sort();
  const admin = can("admin");
  const scope = { places, regions: [...new Set([...places.values()].filter(Boolean))].sort(), facName: ctx.facName };
  return el("div", {},
    el("h2", {}, t("contacts.title")),
    nobody.length ? el("div", { class: "error-box", id: "uncovered", role: "note" },
      el("strong", {}, t("contacts.uncovered", { n: nobody.length })), " ", nobody.join(", "),
      el("p", {}, t("contacts.uncovered_help"))) : null,
    admin ? el("div", { class: "actions" }, el("button", { type: "button", class: "secondary", id: "add-contact",
      onclick: () => contactDialog(null, scope, ctx.refresh) }, t("contact.add"))) : null,
    contacts.length ? contactTable(contacts, scope, admin, ctx.refresh) : el("p", { class: "muted" }, t(admin ? "contacts.none_admin" : "contacts.none")),
    el("h2", {}, t("contacts.log_title")),
    log.length ? logTable(log, ctx.facName) : el("p", { class: "muted" }, t("contacts.log_none")));
}

// covers: a contact with neither facilities nor regions is national.
const covers = (c, facility, region) => (!c.facilities.length && !c.regions.length) ||
  c.facilities.includes(facility) || c.regions.includes(region);

const langWord = (code) => (LANGS.includes(code) ? t("lang." + code) : t("contact.lang_default"));

function contactTable(list, scope, admin, refresh) {
  const cols = ["contacts.col.name", "contacts.col.reach", "contacts.col.covers", "contacts.col.on_call", "contacts.col.language"];
  return el("table", { id: "contacts", class: "contacts" },
    el("thead", {}, el("tr", {}, cols.map((k) => el("th", {}, t(k))), admin ? el("th", {}, el("span", { class: "sr" }, t("contacts.col.actions"))) : null)),
    el("tbody", {}, list.map((c) => el("tr", { "data-contact": c.id },
      el("td", {}, c.name, c.role ? el("span", { class: "muted" }, " · " + c.role) : null),
      el("td", { class: "reach" }, [c.phone, c.email].filter(Boolean).join(" · ")),
      el("td", {}, !c.facilities.length && !c.regions.length ? t("contacts.national")
        : [...c.facilities.map(scope.facName), ...c.regions.map((r) => t("contacts.region", { region: r }))].join(", ")),
      el("td", { "data-label": t("contacts.col.on_call") }, c.on_call ? c.on_call.replace("-", "–") : t("contacts.always")),
      el("td", { class: "lang", "data-label": t("contacts.col.language") }, langWord(c.language)),
      admin ? el("td", { class: "row-actions" },
        el("button", { type: "button", class: "small edit", onclick: () => contactDialog(c, scope, refresh) }, t("action.edit")),
        el("button", { type: "button", class: "small danger delete", onclick: () => deleteDialog(c, refresh) }, t("action.delete"))) : null))));
}

// contactDialog creates (c null) or changes a contact. The places offered
// are those the token sees; a region-limited admin must tick at least one
// (a national contact lies outside their regions).
function contactDialog(c, scope, done) {
  const x = c || { name: "", phone: "", email: "", role: "", regions: [], facilities: [], on_call: "", language: "" };
  const [from, to] = (x.on_call || "").split("-");
  const limited = session.me.regions.length > 0;
  const box = (name, value, label, checked) => el("label", { class: "radio" },
    el("input", { type: "checkbox", name, value, checked }), " ", label);
  const facilities = [...scope.places.keys()].sort((a, b) => scope.facName(a).localeCompare(scope.facName(b)));
  const fields = [
    field(t("contact.name"), el("input", { name: "cname", required: true, maxlength: "120", value: x.name, autocomplete: "off" })),
    el("div", { class: "field-row" },
      field(t("contact.phone"), el("input", { name: "phone", type: "tel", maxlength: "20", value: x.phone || "", placeholder: "+256772123456" }), t("contact.phone_hint")),
      field(t("contact.email"), el("input", { name: "email", type: "email", maxlength: "200", value: x.email || "" }))),
    el("div", { class: "field-row" },
      field(t("contact.role"), el("input", { name: "role", maxlength: "80", value: x.role || "", placeholder: t("contact.role_example") })),
      field(t("contact.language"), el("select", { name: "language" },
        el("option", { value: "", selected: !x.language }, t("contact.lang_default")),
        LANGS.map((l) => el("option", { value: l, lang: l, selected: x.language === l }, t("lang." + l)))))),
    el("fieldset", { class: "field" }, el("legend", {}, t("contact.on_call")),
      el("div", { class: "field-row" },
        field(t("contact.on_call_from"), el("input", { name: "onFrom", class: "hhmm", inputmode: "numeric", maxlength: "5", placeholder: "08:00", value: from || "" })),
        field(t("contact.on_call_to"), el("input", { name: "onTo", class: "hhmm", inputmode: "numeric", maxlength: "5", placeholder: "17:00", value: to || "" }))),
      el("small", { class: "muted" }, t("contact.on_call_hint", { zone: zoneLabel() }))),
    el("fieldset", { class: "field scope-boxes" }, el("legend", {}, t("contact.covers")),
      el("small", { class: "muted" }, t(limited ? "contact.covers_hint_limited" : "contact.covers_hint", { regions: session.me.regions.join(", ") })),
      scope.regions.length ? el("div", { class: "boxes" }, scope.regions.map((r) => box("regions", r, t("contacts.region", { region: r }), x.regions.includes(r)))) : null,
      facilities.length ? el("div", { class: "boxes" }, facilities.map((f) => box("facilities", f, scope.facName(f), x.facilities.includes(f)))) : null),
  ];
  dialog("contact-dialog", c ? t("contact.edit_title", { name: c.name }) : t("contact.add_title"), fields, t("action.save"), async (form) => {
    const ticked = (name) => [...form.querySelectorAll(`input[name="${name}"]:checked`)].map((i) => i.value);
    const body = {
      name: form.cname.value.trim(), phone: form.phone.value.replace(/[\s-]/g, ""), email: form.email.value.trim(),
      role: form.role.value.trim(), language: form.language.value, regions: ticked("regions"), facilities: ticked("facilities"),
      on_call: "",
    };
    if (!body.phone && !body.email) throw new Error(t("contact.need_reach"));
    const [a, b] = [hhmm(form.onFrom.value), hhmm(form.onTo.value)];
    if (a === null || b === null) throw new Error(t("contact.bad_hour"));
    if (!!a !== !!b) throw new Error(t("contact.need_both_hours"));
    if (a && b) body.on_call = a + "-" + b;
    if (limited && !body.regions.length && !body.facilities.length) throw new Error(t("contact.need_scope"));
    if (c) await api("/contacts/" + c.id, { method: "PUT", body });
    else await api("/contacts", { method: "POST", body });
    done();
  });
}

// hhmm reads a 24-hour time ("7:00", "07:00", "0700"): "07:00", "" when
// empty, null when it is not a time.
function hhmm(v) {
  v = v.trim();
  if (!v) return "";
  const m = /^([01]?\d|2[0-3])[:.h]?([0-5]\d)$/.exec(v);
  return m ? m[1].padStart(2, "0") + ":" + m[2] : null;
}

// deleteDialog asks before a contact is deleted: they stop being told.
function deleteDialog(c, done) {
  dialog("delete-contact-dialog", t("contact.delete_title", { name: c.name }),
    [el("p", {}, t("contact.delete_warning", { name: c.name }))], t("action.delete"), async () => {
      await api("/contacts/" + c.id, { method: "DELETE" });
      done();
    });
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
