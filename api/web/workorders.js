// Work orders: a repair ticket per failure (issue 17), opened from an
// alert or by hand on a device page, closed with the cause found, the
// parts used and when the equipment worked again. Reports take the time to
// repair and the main causes from what is recorded here, so every choice
// is offered in words and kept as the API's codes.
import { t, has } from "./strings.js";
import { el, all, optional, can, num, when, liveAge, duration, zoneMinute, zoneWallTime, zoneLabel, longMinute, iso, fold, actor } from "./core.js";
import { dialog, field, titled, personField, signed } from "./actions.js";
import { save, amount } from "./records.js";

// Faults a work order is opened for by hand (plant.FaultCodes but the
// site-wide outage, which is no one device's), the likeliest first.
const FAULTS = ["device_fault", "compressor_fault", "dryer_fault", "sieve_fault", "high_temp", "power_fail", "mains_loss", "power_loss",
  "critical_purity", "low_purity", "purity_declining", "low_pressure", "high_pressure", "no_flow", "overload", "offline", "sensor_stuck",
  "clock_skew", "maintenance_due", "other"];

// Causes an engineer finds, offered when closing; "other" asks for words.
const CAUSES = ["compressor_fault", "dryer_fault", "sieve_fault", "high_temp", "power_fail", "mains_loss", "sensor_stuck", "device_fault",
  "low_pressure", "maintenance_due", "other"];

export const faultWord = (code) => (has("fault." + code) ? t("fault." + code) : code);

// causeWords writes a recorded cause in words: its code's words, then the
// engineer's own after a colon ("compressor_fault: worn rings").
export function causeWords(cause) {
  const c = (cause || "").trim();
  if (has("fault." + c)) return faultWord(c);
  const m = /^([a-z_]+)[:,;.-]?\s+(.*)$/s.exec(c);
  if (m && has("fault." + m[1])) return t("wo.cause_detail", { cause: faultWord(m[1]), words: m[2] });
  return c;
}

// deviceWorkOrders reads a device's work orders, newest opened first; a
// server without them (501) or a token that may not (403) shows nothing.
export function deviceWorkOrders(id) {
  return optional(all("/work-orders?device=" + encodeURIComponent(id)));
}

// alertWorkOrders reads the work orders of the last RECENT_DAYS by the
// alert they were opened from, for the alert cards.
const RECENT_DAYS = 30;
export async function alertWorkOrders() {
  const from = iso(Date.now() - RECENT_DAYS * 864e5);
  return byAlert(await optional(all("/work-orders?from=" + encodeURIComponent(from))));
}

// byAlert maps work orders to their alerts, an open one before the last
// closed; null when the server keeps none (no button is offered then).
export function byAlert(r) {
  if (r.missing) return null;
  const m = new Map();
  for (const w of r.items) {
    const had = w.alert_id && m.get(w.alert_id);
    if (w.alert_id && (!had || (w.status === "open" && had.status !== "open"))) m.set(w.alert_id, w);
  }
  return m;
}

// RECENT: closed work orders shown unfolded on a device page.
const RECENT = 3;

// workOrderSection lists a device's open work orders, then the last ones
// closed, with the buttons to open and close them for engineers.
export function workOrderSection(d, r, refresh) {
  if (r.missing) return null;
  const open = r.items.filter((w) => w.status === "open");
  const closed = r.items.filter((w) => w.status !== "open");
  return el("section", { class: "field-record", id: "work-orders" },
    el("h3", {}, t("wo.title")),
    open.length ? el("div", { class: "wo-list", id: "wo-open" }, open.map((w) => workOrderCard(d, w, refresh)))
      : el("p", { class: "muted", id: "wo-none" }, t("wo.none_open")),
    can("engineer") ? el("div", { class: "actions" }, el("button", { type: "button", class: "secondary", id: "open-work-order",
      onclick: () => openDialog(d, refresh) }, t("wo.open_more"))) : null,
    closed.length ? el("div", { class: "wo-list", id: "wo-closed" },
      el("h4", {}, t("wo.recent")), closed.slice(0, RECENT).map((w) => workOrderCard(d, w, refresh)),
      closed.length > RECENT ? fold("wo-older", { class: "folded" }, t("record.earlier", { n: closed.length - RECENT }),
        closed.slice(RECENT, 50).map((w) => workOrderCard(d, w, refresh))) : null) : null);
}

// workOrderCard: what failed and since when, who opened it; once closed,
// the cause, parts, when it worked again and the time to repair.
function workOrderCard(d, w, refresh) {
  const isOpen = w.status === "open";
  const restored = w.restored_at || w.closed_at;
  return el("article", { class: "wo " + (isOpen ? "wo-open" : "wo-closed"), "data-wo": w.id, "data-status": w.status },
    el("p", { class: "record-head" },
      el("span", { class: "tag " + (isOpen ? "bg-down" : "bg-operational") }, t(isOpen ? "wo.status.open" : "wo.status.closed")), " ",
      el("strong", {}, t("wo.number", { id: w.id }), " · ", faultWord(w.fault))),
    isOpen
      ? el("p", { class: "since" }, t("wo.opened", { time: when(w.opened_at) }), " · ", liveAge(w.opened_at, "time.for"))
      : el("p", { class: "since" }, t("wo.span", { from: when(w.opened_at), to: when(restored), len: duration(Date.parse(restored) - Date.parse(w.opened_at)) })),
    !isOpen && w.cause ? el("p", {}, el("strong", {}, t("wo.cause")), " ", causeWords(w.cause)) : null,
    !isOpen && w.parts && w.parts.length ? el("p", {}, el("strong", {}, t("wo.parts")), " ",
      w.parts.map((p) => t("wo.part", { n: num(p.quantity, Number.isInteger(p.quantity) ? 0 : 1), name: p.name })).join(", ")) : null,
    w.note ? el("p", { class: "note" }, w.note) : null,
    el("p", { class: "muted by" }, t("wo.opened_by", { who: actor(w.opened_by) || "–" }),
      w.alert_id ? [" · ", t("wo.from_alert", { id: w.alert_id })] : null,
      !isOpen ? [" · ", t("wo.closed_by", { who: actor(w.closed_by) || "–", time: when(w.closed_at) })] : null),
    isOpen && can("engineer") ? el("div", { class: "actions" }, el("button", { type: "button", class: "primary close-wo", "data-wo": w.id,
      onclick: () => closeDialog(d.id, w, refresh) }, t("wo.close_more"))) : null);
}

// woMark says on an alert card that a work order is open for it, or was
// closed while the alert goes on (a new failure is opened from the
// device page: the alert's own work order is the one closed).
export function woMark(a, c) {
  const w = c.workOrders && c.workOrders.get(a.id);
  if (!w) return null;
  const open = w.status === "open";
  return el("p", { class: "mark wo-mark" + (open ? "" : " wo-mark-closed"), "data-wo": w.id },
    t(open ? "wo.alert_mark" : "wo.alert_mark_closed", { id: w.id, time: when(open ? w.opened_at : w.closed_at) }), " ",
    el("a", { href: "#/device/" + encodeURIComponent(a.device) }, t("wo.see")));
}

// woButton opens a work order from a device alert that has none (engineers).
// The server answers an alert's existing work order rather than a second.
export function woButton(a, c) {
  if (!a.device || a.state === "resolved" || !can("engineer") || !c.workOrders || c.workOrders.has(a.id)) return null;
  return el("button", { type: "button", class: "secondary open-wo", "data-alert": a.id,
    onclick: () => alertDialog(a, c.refresh) }, t("wo.open_more"));
}

function alertDialog(a, refresh) {
  dialog("wo-dialog", titled("wo.open_title", "device", a.device), [
    el("p", {}, t("wo.from_alert_help", { fault: faultWord(a.rule), time: when(a.started_at) })),
    field(t("form.note"), el("textarea", { name: "note", maxlength: "1500", rows: "2", placeholder: t("wo.note_example") })),
    personField(),
  ], t("wo.open"), async (form) => {
    await save("/alerts/" + a.id + "/work-order", { note: signed(form, form.note.value.trim()) }, WO_FIELDS);
    refresh();
  });
}

function openDialog(d, refresh) {
  dialog("wo-dialog", titled("wo.open_title", "device", d.id), [
    field(t("wo.fault"), el("select", { name: "fault", required: true },
      el("option", { value: "" }, t("wo.choose")), FAULTS.map((f) => el("option", { value: f }, faultWord(f))))),
    field(t("wo.opened_at"), timeInput("opened"), t("wo.time_hint", { zone: zoneLabel() })),
    field(t("form.note"), el("textarea", { name: "note", maxlength: "1500", rows: "2", placeholder: t("wo.note_example") })),
    personField(),
  ], t("wo.open"), async (form) => {
    const body = { device_id: d.id, fault: form.fault.value, opened_at: wallTime(form.opened.value), note: signed(form, form.note.value.trim()) };
    await save("/work-orders", body, WO_FIELDS);
    refresh();
  });
}

// closeDialog asks what was found and done: the cause in words (or the
// engineer's own), the parts as lines of name and quantity, and when the
// equipment worked again.
function closeDialog(device, w, refresh) {
  const other = el("input", { name: "other", maxlength: "400", placeholder: t("wo.other_example") });
  const otherField = field(t("wo.cause_words"), other, t("wo.cause_words_hint"));
  const causes = el("select", { name: "cause", required: true, onchange: () => { other.required = causes.value === "other"; } },
    el("option", { value: "" }, t("wo.choose")), CAUSES.map((c) => el("option", { value: c }, faultWord(c))));
  const parts = el("div", { class: "parts" });
  const addPart = () => parts.append(partLine(parts));
  addPart();
  dialog("wo-close-dialog", titled("wo.close_title", "device", device), [
    el("p", { class: "muted" }, t("wo.number", { id: w.id }), " · ", faultWord(w.fault), " · ", t("wo.opened", { time: when(w.opened_at) })),
    field(t("wo.cause"), causes),
    otherField,
    el("fieldset", { class: "field" }, el("legend", {}, t("wo.parts_label")), parts,
      el("button", { type: "button", class: "secondary small add-part", onclick: addPart }, t("wo.add_part"))),
    field(t("wo.restored_at"), timeInput("restored"), t("wo.restored_hint", { zone: zoneLabel() })),
    field(t("form.note"), el("textarea", { name: "note", maxlength: "1500", rows: "2", placeholder: t("wo.close_note_example") })),
    personField(),
  ], t("wo.close"), async (form) => {
    const words = other.value.trim();
    if (form.cause.value === "other" && !words) throw new Error(t("saveerr.not_saved", { why: t("saveerr.wo_other") }));
    const body = {
      cause: words ? form.cause.value + ": " + words : form.cause.value,
      parts: readParts(parts),
      restored_at: wallTime(form.restored.value),
      note: signed(form, form.note.value.trim()),
    };
    await save("/work-orders/" + w.id + "/close", body, WO_FIELDS);
    refresh();
  });
}

// partLine is one part used: its name and how many (a blank line is skipped).
function partLine(box) {
  const line = el("div", { class: "part-line" },
    el("input", { class: "part-name", maxlength: "100", placeholder: t("wo.part_name"), "aria-label": t("wo.part_name") }),
    el("input", { class: "part-qty", type: "text", inputmode: "decimal", size: "4", value: "1", "aria-label": t("wo.part_qty") }),
    el("button", { type: "button", class: "secondary small remove-part", "aria-label": t("wo.remove_part"), title: t("wo.remove_part"),
      onclick: () => { line.remove(); if (!box.children.length) box.append(partLine(box)); } }, "×"));
  return line;
}

function readParts(box) {
  const out = [];
  for (const line of box.querySelectorAll(".part-line")) {
    const name = line.querySelector(".part-name").value.trim();
    if (!name) continue;
    const q = amount(line.querySelector(".part-qty").value);
    if (!(q > 0)) throw new Error(t("saveerr.not_saved", { why: t("saveerr.wo_part", { name }) }));
    out.push({ name, quantity: q });
  }
  return out;
}

// timeInput is a time in the deployment's zone, now by default, echoed in
// words (a datetime-local input shows the browser's format, often 12-hour).
function timeInput(name) {
  const now = zoneMinute();
  const words = el("strong", { class: "date-words", "aria-live": "polite" }, longMinute(now));
  const input = el("input", { name, type: "datetime-local", required: true, value: now, max: now,
    oninput: () => { words.textContent = longMinute(input.value); }, onchange: () => { words.textContent = longMinute(input.value); } });
  return el("span", { class: "date-pair" }, input, words);
}

// wallTime reads a datetime-local value in the deployment's zone.
function wallTime(v) {
  const ts = zoneWallTime(v);
  if (Number.isNaN(ts)) throw new Error(t("saveerr.not_saved", { why: t("saveerr.wo_time") }));
  if (ts > Date.now() + 60e3) throw new Error(t("saveerr.not_saved", { why: t("saveerr.at_future") }));
  return iso(ts);
}

// The words for what the server may refuse in a work order, by field.
const WO_FIELDS = {
  device_id: "saveerr.not_found", fault: "saveerr.wo_fault", opened_at: "saveerr.wo_time", closed_at: "saveerr.wo_closed_at",
  restored_at: "saveerr.wo_restored", cause: "saveerr.wo_cause", parts: "saveerr.wo_parts", note: "saveerr.note", alert_id: "saveerr.not_found",
};

