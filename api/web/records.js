// What an engineer records by hand on a device page, for what has no
// sensor: its functional status (most concentrators send nothing) and the
// stock of a LOX tank or cylinder bank. Each part shows the last record
// (what, on which day, the note, who) with its age, the earlier ones
// folded, and, for engineers, a form in a dialog (outside the polled view,
// so a refresh never wipes what is being typed).
import { t } from "./strings.js";
import { el, api, all, optional, can, num, day, longDay, liveAge, iso, zoneDay, fold, actor } from "./core.js";
import { dialog, field, titled, personField, signed } from "./actions.js";

// Functional statuses as the API names them, in the order a form offers them.
export const FUNCTIONAL = ["functional", "non_functional", "under_repair"];
export const FUNCTIONAL_TONE = { functional: "operational", non_functional: "down", under_repair: "degraded" };

// LITRES_PER_CYLINDER: a large (J-size) cylinder holds about 6,800 L of
// gas (plant.LitresPerCylinder); the server converts, this only explains.
const LITRES_PER_CYLINDER = 6800;
// GAS_PER_LIQUID: one litre of liquid oxygen gives about 860 litres of
// gas. A LOX tank's gauge reads liquid; the API takes gas.
const GAS_PER_LIQUID = 860;

// OLD_MS: a record older than this is said to be perhaps out of date.
export const OLD_MS = 30 * 864e5;

// isStorage tells the devices whose stock is counted by hand.
export const isStorage = (d) => d.kind === "lox_tank" || d.kind === "cylinder_bank";

// readRecords reads a device's functional and stock records, every page,
// newest first; a server without them (501) or a part the token may not
// read (403) shows nothing.
export async function readRecords(d) {
  const enc = encodeURIComponent(d.id);
  const [functional, stock] = await Promise.all([
    optional(all("/devices/" + enc + "/functional")),
    isStorage(d) ? optional(all("/devices/" + enc + "/stock")) : { items: [], missing: true },
  ]);
  return { functional, stock };
}

// The fleet board reads functional records one device at a time (no list
// route gives them), so only for devices without fresh readings, at most
// READERS at once, each kept REPORTED_TTL_MS: they change when someone
// visits a site, not every refresh; saving one here drops the device's.
const READERS = 4;
const REPORTED_TTL_MS = 5 * 60e3;
const reportedCache = new Map(); // device id -> { fetched, rec (null: none recorded) }

// lastFunctional returns, by device id, the newest functional record of
// each of devices (null when none is recorded); a device the server keeps
// no records for, or the token may not read, is left out, and so is one
// whose read failed (the next refresh tries again): the board still shows.
export async function lastFunctional(devices) {
  const now = Date.now();
  const todo = devices.filter((d) => !(reportedCache.get(d.id)?.fetched > now - REPORTED_TTL_MS));
  let next = 0;
  const reader = async () => {
    while (next < todo.length) {
      const d = todo[next++];
      try {
        // The newest alone: the first page of one.
        const r = await optional(api("/devices/" + encodeURIComponent(d.id) + "/functional?limit=1").then((p) => p.items || []));
        if (r.missing) reportedCache.delete(d.id);
        else reportedCache.set(d.id, { fetched: now, rec: r.items[0] || null });
      } catch {
        reportedCache.delete(d.id);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(READERS, todo.length) }, reader));
  const out = new Map();
  for (const d of devices) if (reportedCache.has(d.id)) out.set(d.id, reportedCache.get(d.id).rec);
  return out;
}

// functionalSection shows the last functional status recorded and, for
// engineers, the button to record one.
export function functionalSection(d, rec, refresh) {
  if (rec.missing) return null;
  const [last, ...earlier] = rec.items;
  return el("section", { class: "field-record", id: "functional" },
    el("h3", {}, t("fs.title")),
    last ? el("div", { class: "record s-" + FUNCTIONAL_TONE[last.status], id: "functional-last", "data-status": last.status },
      el("p", { class: "record-head" },
        el("span", { class: "tag bg-" + FUNCTIONAL_TONE[last.status] }, t("fs.status." + last.status)), " ",
        el("strong", {}, t("fs.found_on", { date: day(last.at) })), " ", el("span", { class: "muted" }, "(", liveAge(last.at), ")")),
      Date.now() - Date.parse(last.at) > OLD_MS ? el("p", { class: "old" }, t("record.old")) : null,
      noteLine(last),
      byLine(last)) : el("p", { class: "muted", id: "functional-none" }, t(d.last_seen ? "fs.none_telemetry" : "fs.none")),
    can("engineer") ? el("div", { class: "actions" }, el("button", { type: "button", class: last || d.last_seen ? "secondary" : "primary", id: "record-functional",
      onclick: () => functionalDialog(d, last, refresh) }, t("fs.record"))) : null,
    earlier.length ? fold("functional-earlier", { class: "folded" }, t("record.earlier", { n: earlier.length }),
      el("ul", { class: "record-list" }, earlier.slice(0, 20).map((r) => el("li", {},
        el("strong", {}, t("fs.status." + r.status)), " · ", day(r.at), r.note ? " — “" + r.note + "”" : "")))) : null);
}

// stockSection shows the last stock counted of a LOX tank or cylinder bank.
export function stockSection(d, rec, refresh) {
  if (rec.missing) return null;
  const [last, ...earlier] = rec.items;
  return el("section", { class: "field-record", id: "stock" },
    el("h3", {}, t("stock.title")),
    last ? el("div", { class: "record", id: "stock-last" },
      el("p", { class: "record-head" },
        el("strong", { class: "amount" }, stockAmount(d, last)), " ",
        el("span", {}, t("stock.counted_on", { date: day(last.at) })), " ", el("span", { class: "muted" }, "(", liveAge(last.at), ")")),
      Date.now() - Date.parse(last.at) > OLD_MS / 4 ? el("p", { class: "old" }, t("record.old")) : null,
      noteLine(last),
      byLine(last)) : el("p", { class: "muted", id: "stock-none" }, t("stock.none")),
    can("engineer") ? el("div", { class: "actions" }, el("button", { type: "button", class: last ? "secondary" : "primary", id: "record-stock",
      onclick: () => stockDialog(d, refresh) }, t("stock.record"))) : null,
    earlier.length ? fold("stock-earlier", { class: "folded" }, t("record.earlier", { n: earlier.length }),
      el("ul", { class: "record-list" }, earlier.slice(0, 20).map((r) => el("li", {},
        el("strong", {}, stockAmount(d, r)), " · ", day(r.at), r.note ? " — “" + r.note + "”" : "")))) : null);
}

// stockAmount: "12.5 cylinders (85,000 L)" for a cylinder bank, "85,000 L
// of gas (12.5 cylinder equivalents)" for a LOX tank, in the reader's numbers.
function stockAmount(d, r) {
  const cyl = r.cylinders, whole = Math.abs(cyl - Math.round(cyl)) < 0.05;
  const vars = { cylinders: num(cyl, whole ? 0 : 1), litres: num(r.litres, 0) };
  if (d.kind === "lox_tank") return t("stock.amount_lox", vars);
  return t(cyl === 1 ? "stock.amount_one" : "stock.amount", vars);
}

const noteLine = (r) => (r.note ? el("p", { class: "note" }, "“" + r.note + "”") : null);
const byLine = (r) => el("p", { class: "muted by" }, t("record.by", { who: actor(r.recorded_by) || "–", time: r.recorded_at ? day(r.recorded_at) : "–" }));

// dateField is a day, today by default, never after today (in the
// deployment's zone), echoed in words beside the browser's own display.
function dateField(label) {
  const today = zoneDay();
  const words = el("strong", { class: "date-words", "aria-live": "polite" }, longDay(today));
  const input = el("input", { name: "at", type: "date", required: true, max: today, value: today,
    oninput: () => { words.textContent = longDay(input.value); }, onchange: () => { words.textContent = longDay(input.value); } });
  return field(label, el("span", { class: "date-pair" }, input, words), t("record.date_hint"));
}

// amount reads a number typed the reader's way: 12,5 or 12.5, 85 000.
export function amount(v) {
  const s = String(v).trim().replace(/[\s\u00a0\u202f]/g, "");
  if (!/^\d+([.,]\d+)?$/.test(s)) return NaN;
  return Number(s.replace(",", "."));
}

// recordDate is what the API is sent for the day chosen: today is now
// (a day alone is 00:00 UTC, which east of UTC can still be tomorrow);
// an earlier day is that day.
function recordDate(v) {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(v)) throw new Error(t("saveerr.not_saved", { why: t("record.bad_date") }));
  if (v > zoneDay()) throw new Error(t("saveerr.not_saved", { why: t("saveerr.at_future") }));
  return v === zoneDay() ? iso(Date.now()) : v;
}

function functionalDialog(d, last, refresh) {
  const choices = el("fieldset", { class: "field choices" }, el("legend", {}, t("fs.question")),
    FUNCTIONAL.map((s) => el("label", { class: "choice c-" + FUNCTIONAL_TONE[s] },
      el("input", { type: "radio", name: "status", value: s, required: true, checked: last && last.status === s }), " ",
      el("span", {}, el("strong", {}, t("fs.status." + s)), el("small", {}, t("fs.hint." + s))))));
  dialog("functional-dialog", titled("fs.dialog_title", "device", d.id), [
    choices,
    dateField(t("fs.date")),
    field(t("form.note"), el("textarea", { name: "note", maxlength: "1500", rows: "2", placeholder: t("fs.note_example") })),
    personField(),
  ], t("action.save"), async (form) => {
    const body = { status: form.status.value, at: recordDate(form.at.value), note: signed(form, form.note.value.trim()) };
    await save("/devices/" + encodeURIComponent(d.id) + "/functional", body, FS_FIELDS);
    reportedCache.delete(d.id);
    refresh();
  });
}

// Units a stock is counted in: a cylinder bank in cylinders, a LOX tank
// from its gauge in litres of liquid; litres of gas for either.
const UNITS = { cylinder_bank: ["cylinders", "litres"], lox_tank: ["liquid", "litres", "cylinders"] };

function stockDialog(d, refresh) {
  const units = UNITS[d.kind] || UNITS.cylinder_bank;
  const unit = (v, i) => el("label", { class: "radio inline-radio" }, el("input", { type: "radio", name: "unit", value: v, checked: i === 0 }), " ", t("stock.unit." + v));
  dialog("stock-dialog", titled("stock.dialog_title", "device", d.id), [
    el("div", { class: "field-row" },
      field(t("stock.amount_label"), el("input", { name: "amount", type: "text", inputmode: "decimal", autocomplete: "off", required: true, size: "10" })),
      el("fieldset", { class: "field" }, el("legend", {}, t("stock.unit")), units.map(unit))),
    el("p", { class: "muted small" }, t("stock.unit_hint", { litres: num(LITRES_PER_CYLINDER, 0) }),
      d.kind === "lox_tank" ? [" ", t("stock.liquid_hint", { litres: num(GAS_PER_LIQUID, 0) })] : null),
    dateField(t("stock.date")),
    field(t("form.note"), el("textarea", { name: "note", maxlength: "1500", rows: "2", placeholder: t("stock.note_example") })),
    personField(),
  ], t("action.save"), async (form) => {
    const v = amount(form.amount.value);
    if (!(v >= 0)) throw new Error(t("saveerr.not_saved", { why: t("saveerr.amount") }));
    const body = { at: recordDate(form.at.value), note: signed(form, form.note.value.trim()) };
    if (form.unit.value === "liquid") body.litres = Math.round(v * GAS_PER_LIQUID);
    else body[form.unit.value] = v;
    await save("/devices/" + encodeURIComponent(d.id) + "/stock", body, STOCK_FIELDS);
    refresh();
  });
}

// The words for what the server may refuse in each form, by field.
const FS_FIELDS = { status: "saveerr.status", at: "saveerr.at", note: "saveerr.note" };
const STOCK_FIELDS = { kind: "saveerr.kind", litres: "saveerr.amount", cylinders: "saveerr.amount", at: "saveerr.at", note: "saveerr.note" };

// save posts a form's body; a refusal is thrown in the reader's words.
export async function save(path, body, fields) {
  try {
    return await api(path, { method: "POST", body });
  } catch (e) {
    throw new Error(saveError(e, fields || {}));
  }
}

// saveError says in words why the server did not take a record: what was
// wrong with which field, that the token may not, that the thing is gone,
// or that the server failed (with the request id for its log). The
// server's own text follows a 400 or 409, which may name what no word
// here knows.
export function saveError(e, fields) {
  const id = e.requestID ? " " + t("err.request_id", { id: e.requestID }) : "";
  switch (e.status) {
    case 0: return t("saveerr.not_saved", { why: e.message });
    case 400: {
      const known = (e.fields || []).map((f) => fieldWords(f, fields)).filter(Boolean);
      return t("saveerr.not_saved", { why: known.length ? [...new Set(known)].join(" ") : t("saveerr.invalid", { detail: e.message }) });
    }
    case 403: return t("saveerr.not_saved", { why: t("saveerr.forbidden") });
    case 404: return t("saveerr.not_saved", { why: t("saveerr.not_found") });
    case 409: return t("saveerr.not_saved", { why: t("saveerr.conflict", { detail: e.message }) });
    case 413: return t("saveerr.not_saved", { why: t("saveerr.too_large") });
    case 501: return t("saveerr.not_saved", { why: t("saveerr.not_configured") });
    default: return t("saveerr.not_saved", { why: t("saveerr.server") }) + id;
  }
}

// fieldWords is the reader's words for one refused field, or null.
function fieldWords(f, fields) {
  const name = (f.field || "").replace(/\[\d+\].*$/, "");
  // The server's stable codes (api/README.md), never its words, which are
  // in the reader's language.
  if (f.code === "future_date") return t("saveerr.at_future");
  if (f.code === "before_open") return t("saveerr.wo_before_open");
  return fields[name] ? t(fields[name]) : null;
}
