// Things an engineer does: acknowledge, silence, plan maintenance, end a
// silence. Each asks in a dialog that lives outside the polled view, so a
// refresh never wipes what someone is typing.
import { t, has } from "./strings.js";
import { el, api, session, errorText, iso, zoneLabel, zoneWallTime } from "./core.js";
import { ruleWord } from "./explain.js";

// Durations offered for silences and maintenance, in minutes.
const DURATIONS = [30, 60, 120, 240, 480, 1440, 4320, 10080];

function durationLabel(min) {
  if (min < 60) return t("dur.min", { n: min });
  if (min < 1440) return t("dur.h", { n: min / 60 });
  return t("dur.d", { n: min / 1440 });
}

// dialog shows a modal form; submit gets the form and returns a promise,
// whose failure is shown in the dialog (which stays open). title is text
// or nodes (see titled).
export function dialog(id, title, fields, submitLabel, submit) {
  const heading = el("h2", {}, title);
  const msg = el("p", { class: "error", role: "alert" });
  const button = el("button", { type: "submit", class: "primary" }, submitLabel);
  const form = el("form", { class: "dialog-form", method: "dialog" }, fields, msg,
    el("div", { class: "dialog-actions" },
      button,
      el("button", { type: "button", class: "secondary", onclick: () => close() }, t("action.cancel"))));
  const d = el("dialog", { id, "aria-label": heading.textContent }, heading, form);
  const close = () => { d.close(); d.remove(); };
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    button.disabled = true;
    msg.textContent = "";
    try {
      await submit(form);
      close();
    } catch (err) {
      msg.textContent = errorText(err);
      button.disabled = false;
      // On a phone the form is taller than the screen: show why, and the
      // buttons under it.
      button.scrollIntoView({ block: "nearest" });
    }
  });
  d.addEventListener("cancel", (e) => { e.preventDefault(); close(); });
  document.body.append(d);
  d.showModal();
  const empty = [...form.querySelectorAll("input[required]")].find((i) => !i.value);
  (empty || button).focus();
  return d;
}

// closeDialogs closes what a view opened, when the view changes.
export function closeDialogs() {
  for (const d of document.querySelectorAll("dialog")) { d.close(); d.remove(); }
}

// titled fills a title's {name} with a name kept on one line (a device id
// such as n-con-9 is not split at its hyphen).
export function titled(key, name, value) {
  const [before, after] = t(key).split("{" + name + "}");
  return after === undefined ? t(key, { [name]: value }) : [before, el("span", { class: "nowrap" }, value), after];
}

export const field = (label, input, hint) => el("label", { class: "field" }, el("span", {}, label), input, hint ? el("small", { class: "muted" }, hint) : null);

export function personField() {
  return field(t("form.person"), el("input", { name: "person", required: true, maxlength: "80", autocomplete: "name", value: session.person }),
    t("form.person_hint"));
}

// signed prefixes a note with the person's name, kept for the session.
export function signed(form, text) {
  const person = form.person.value.trim();
  session.person = person;
  return text ? person + ": " + text : person;
}

export function ackDialog(a, facName, done) {
  dialog("ack-dialog", t("ack.title", { what: ruleWord(a.rule), device: a.device || facName }), [
    personField(),
    field(t("form.note"), el("input", { name: "note", maxlength: "500" }), t("ack.note_hint")),
  ], t("action.ack"), async (form) => {
    await api("/alerts/" + a.id + "/ack", { method: "POST", body: { note: signed(form, form.note.value.trim()) } });
    done();
  });
}

// silenceDialog asks for a silence or a planned maintenance. preset holds
// the matchers on offer: {device, facility, region, rule, maintenance}.
export function silenceDialog(preset, done) {
  const maintenance = !!preset.maintenance;
  const m = maintenance ? "_maint" : "";
  const scopes = [];
  if (preset.device && preset.rule) scopes.push(["rule", t("silence.scope.rule", { rule: ruleWord(preset.rule), device: preset.device })]);
  if (preset.device) scopes.push(["device", t("silence.scope.device" + m, { device: preset.device })]);
  if (preset.facility) scopes.push(["facility", t("silence.scope.facility" + m, { facility: preset.facilityName || preset.facility })]);
  const title = maintenance ? t("maint.plan_title", { target: preset.device || preset.facilityName || preset.facility }) : t("silence.title");
  const fields = [
    scopes.length > 1 ? el("fieldset", { class: "field" }, el("legend", {}, t("silence.scope" + m)),
      scopes.map(([v, label], i) => el("label", { class: "radio" },
        el("input", { type: "radio", name: "scope", value: v, checked: i === 0 }), " ", label))) : null,
    el("div", { class: "field-row" },
      field(t("form.starts"), el("select", { name: "start", onchange: (e) => { e.target.form.startAt.hidden = e.target.value !== "at"; } },
        el("option", { value: "now" }, t("form.starts_now")), el("option", { value: "at" }, t("form.starts_at")))),
      field(t("form.duration"), el("select", { name: "minutes" },
        DURATIONS.map((m) => el("option", { value: m, selected: m === (maintenance ? 240 : 120) }, durationLabel(m)))))),
    el("input", { name: "startAt", type: "datetime-local", hidden: true, "aria-label": t("form.starts_at_label", { zone: zoneLabel() }) }),
    field(t("form.reason"), el("input", { name: "reason", required: true, maxlength: "500", placeholder: t(maintenance ? "maint.reason_example" : "silence.reason_example") })),
    personField(),
    el("label", { class: "radio" }, el("input", { type: "checkbox", name: "maintenance", checked: maintenance }), " ", t("silence.is_maintenance")),
  ];
  dialog("silence-dialog", title, fields, maintenance ? t("action.plan") : t("action.silence"), async (form) => {
    const scope = form.scope ? form.scope.value : scopes.length ? scopes[0][0] : "";
    const start = form.start.value === "at" ? zoneWallTime(form.startAt.value) : Date.now();
    if (Number.isNaN(start)) throw new Error(t("form.bad_start"));
    const body = {
      starts_at: iso(start), ends_at: iso(start + Number(form.minutes.value) * 60e3),
      comment: signed(form, form.reason.value.trim()), maintenance: form.maintenance.checked,
    };
    if (scope === "rule" || scope === "device") body.device = preset.device;
    if (scope === "rule") body.rule = preset.rule;
    if (scope === "facility") body.facility = preset.facility;
    if (!scope) Object.assign(body, pick(preset, ["device", "facility", "region", "rule"]));
    await api("/silences", { method: "POST", body });
    done();
  });
}

const pick = (o, keys) => Object.fromEntries(keys.filter((k) => o[k]).map((k) => [k, o[k]]));

// endSilence ends a silence now with one call (POST /silences/{id}/end):
// the server keeps the part of a planned maintenance that already ran, so
// it still counts as maintenance in uptime reports.
export async function endSilence(s) {
  await api("/silences/" + s.id + "/end", { method: "POST" });
}

// ENDING_MS: a silence ending sooner than this is shown as ended (an
// ended maintenance's replacement runs a few seconds more).
export const ENDING_MS = 10e3;

// serviceDialog records a service, which restarts that component's clock.
export function serviceDialog(d, components, done) {
  const r = d.last_reading || {};
  const list = el("datalist", { id: "component-list" },
    components.map((c) => el("option", { value: c }, has("component." + c) ? t("component." + c) : c)));
  dialog("service-dialog", t("service.title", { device: d.id }), [
    field(t("service.component"), el("input", { name: "component", required: true, maxlength: "64", list: "component-list" }), t("service.component_hint")),
    list,
    field(t("service.runtime"), el("input", { name: "runtime", type: "number", min: "0", step: "any", required: typeof r.runtime_h === "number",
      value: typeof r.runtime_h === "number" ? String(Math.round(r.runtime_h)) : "" }), t("service.runtime_hint")),
    field(t("form.note"), el("input", { name: "note", maxlength: "1000" })),
    personField(),
  ], t("action.save"), async (form) => {
    await api("/devices/" + encodeURIComponent(d.id) + "/maintenance", { method: "POST",
      body: { component: form.component.value.trim(), runtime_h: Number(form.runtime.value || 0), note: signed(form, form.note.value.trim()) } });
    done();
  });
}
