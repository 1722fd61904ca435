// Shared pieces of the dashboard: DOM helpers, the API client, the
// connection state behind the "no answer" banner, and times in the
// deployment's time zone. Data is only ever put into the page with
// textContent (never innerHTML).
import { t, lang } from "./strings.js";

export const $ = (id) => document.getElementById(id);
export const POLL_MS = 10000;
const REQUEST_TIMEOUT_MS = 20000;

// el builds an element: attributes (on* are listeners, false/null skip) and
// children (strings become text nodes, arrays are flattened).
export function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  setAttrs(e, attrs);
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

function setAttrs(e, attrs) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") e.setAttribute("class", v);
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : v);
  }
}

// fold is a <details> that stays open or closed across refreshes, which
// rebuild the view every few seconds.
const openFolds = new Set();
export function fold(key, attrs, summary, ...children) {
  const d = el("details", { ...attrs, open: openFolds.has(key) }, el("summary", {}, summary), ...children);
  d.addEventListener("toggle", () => { if (d.open) openFolds.add(key); else openFolds.delete(key); });
  return d;
}

const SVGNS = "http://www.w3.org/2000/svg";
export function svg(tag, attrs, text) {
  const e = document.createElementNS(SVGNS, tag);
  setAttrs(e, attrs);
  if (text !== undefined) e.textContent = text;
  return e;
}

// ---- session ----

export const session = {
  me: null,
  get token() { return sessionStorage.getItem("oxywatch-token"); },
  set token(v) { if (v) sessionStorage.setItem("oxywatch-token", v); else sessionStorage.removeItem("oxywatch-token"); },
  // The person using the token, asked once per tab: tokens are often
  // shared by a team, and an acknowledgement must say who.
  get person() { return sessionStorage.getItem("oxywatch-person") || ""; },
  set person(v) { sessionStorage.setItem("oxywatch-person", v); },
};

const ROLES = { viewer: 1, engineer: 2, admin: 3 };
export const can = (role) => session.me && ROLES[session.me.role] >= ROLES[role];

// ---- API ----

class HTTPError extends Error {
  constructor(status, detail, requestID, fields) {
    super(detail);
    this.status = status;
    this.requestID = requestID || "";
    this.fields = fields || []; // [{field, code, detail}] of a 400
  }
}

let onUnauthorized = () => {};
export function setUnauthorizedHandler(fn) { onUnauthorized = fn; }

// api calls /api/v1. A request the server never answers (network down,
// timeout, a proxy's 502-504) marks the connection as failing; any answer
// from the server marks it as working.
export async function api(path, opts = {}) {
  // The problem texts the server words come back in the page's language
  // when the server has them in it.
  const headers = { Authorization: "Bearer " + session.token, "Accept-Language": lang.code };
  if (opts.body !== undefined) headers["Content-Type"] = "application/json";
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), REQUEST_TIMEOUT_MS);
  let res;
  try {
    res = await fetch("/api/v1" + path, {
      method: opts.method || "GET", headers, signal: ctl.signal, cache: "no-store",
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    });
  } catch (e) {
    const err = new HTTPError(0, e.name === "AbortError" ? t("err.timeout") : t("err.network"));
    conn.fail(err);
    throw err;
  } finally {
    clearTimeout(timer);
  }
  const problem = (res.headers.get("Content-Type") || "").startsWith("application/problem+json");
  if (!problem && [502, 503, 504].includes(res.status)) {
    const err = new HTTPError(0, t("err.proxy", { status: res.status }), res.headers.get("X-Request-Id"));
    conn.fail(err);
    throw err;
  }
  conn.ok();
  if (res.status === 401) {
    onUnauthorized();
    throw new HTTPError(401, t("login.rejected"));
  }
  if (!res.ok) {
    let detail = res.statusText, id = res.headers.get("X-Request-Id") || "", fields = [];
    try {
      const p = await res.json();
      detail = p.detail || detail;
      id = p.request_id || id;
      if (p.errors && p.errors.length) {
        fields = p.errors;
        const each = p.errors.map((x) => (x.field ? x.field + " " : "") + x.detail);
        detail = t("err.fields", { detail, fields: each.join(t("list_sep")) });
      }
    } catch (_) { /* not JSON */ }
    throw new HTTPError(res.status, detail, id, fields);
  }
  return res.status === 204 ? null : res.json();
}

// all follows "next" cursors to read a whole collection.
export async function all(path) {
  const sep = path.includes("?") ? "&" : "?";
  let items = [], cursor = "";
  for (let i = 0; i < 100; i++) {
    const page = await api(path + sep + "limit=5000" + (cursor ? "&cursor=" + encodeURIComponent(cursor) : ""));
    items = items.concat(page.items);
    if (!page.next) break;
    cursor = page.next;
  }
  return items;
}

// optional reads a collection the caller's role may not see (403) or the
// server may not offer (501) as empty, so one missing part does not blank
// a view; anything else still fails.
export async function optional(promise) {
  try {
    return { items: await promise };
  } catch (e) {
    if (e.status === 403 || e.status === 501) return { items: [], missing: true };
    throw e;
  }
}

// actor says who did something as the server records it, a token's name
// and id ("engineer (token 3e534e6fb64a)", api Principal.Actor), in the
// page's words ("engineer (jeton 3e534e6fb64a)"); anything else as it is.
export function actor(who) {
  const named = /^(.*) \(token ([^()\s]+)\)$/.exec(who || "");
  if (named) return t("actor.named", { name: named[1], id: named[2] });
  const bare = /^token ([^()\s]+)$/.exec(who || "");
  return bare ? t("actor.token", { id: bare[1] }) : who;
}

// errorText says what failed in words, with the request id the server log
// carries, so an engineer can find it.
export function errorText(e) {
  let s = e.message || String(e);
  if (e.requestID) s += " " + t("err.request_id", { id: e.requestID });
  return s;
}

export const iso = (d) => new Date(d).toISOString().replace(/\.\d+Z$/, "Z");

// ---- connection state ----

// conn tracks whether the server answers. While it does not, the page
// keeps the last data it had, greyed, under a banner with its age.
export const conn = {
  lastOK: 0,       // last answer from the server (ms)
  lastRender: 0,   // last time the current view was drawn from fresh data
  failingSince: 0,
  error: null,
  ok() {
    this.lastOK = Date.now();
    if (this.failingSince) { this.failingSince = 0; this.error = null; paintConnection(); }
  },
  fail(err) {
    if (!this.failingSince) this.failingSince = Date.now();
    this.error = err;
    paintConnection();
  },
  rendered() { this.lastRender = Date.now(); paintConnection(); },
};

export function paintConnection() {
  const banner = $("conn-banner");
  const stale = conn.failingSince > 0;
  document.body.classList.toggle("stale", stale);
  banner.hidden = !stale;
  if (stale) {
    const last = conn.lastRender || conn.lastOK;
    $("conn-title").textContent = t("conn.title");
    $("conn-detail").textContent = last
      ? t("conn.detail", { time: clock(last), age: age(last), every: POLL_MS / 1000 })
      : t("conn.detail_never", { every: POLL_MS / 1000 });
    $("conn-reason").textContent = conn.error ? conn.error.message : "";
  }
  const line = $("status-line");
  if (!conn.lastRender) { line.textContent = ""; return; }
  line.textContent = t(stale ? "status.stale" : "status.updated",
    { time: clockSeconds(conn.lastRender), every: POLL_MS / 1000, zone: zoneLabel() });
}

// ---- time ----

let zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
let zoneFromServer = false;
const formats = new Map();

export function setZone(name, fromServer) {
  try {
    new Intl.DateTimeFormat("en-GB", { timeZone: name });
  } catch (_) { return; }
  zone = name;
  zoneFromServer = fromServer;
  formats.clear();
}

// fmt is a date format in the reader's convention (lang.locale) and the
// deployment's zone, 24-hour in every language.
function fmt(opts) {
  const key = lang.locale + JSON.stringify(opts);
  if (!formats.has(key)) formats.set(key, new Intl.DateTimeFormat(lang.locale, { timeZone: zone, hourCycle: "h23", ...opts }));
  return formats.get(key);
}

const ms = (ts) => (typeof ts === "number" ? ts : Date.parse(ts));

// zoneLabel names the zone times are shown in: "Africa/Blantyre (CAT)".
export function zoneLabel() {
  const abbr = fmt({ timeZoneName: "short" }).formatToParts(Date.now()).find((p) => p.type === "timeZoneName");
  const name = abbr && abbr.value !== zone ? zone + " (" + abbr.value + ")" : zone;
  return zoneFromServer ? name : t("zone.browser", { zone: name });
}

export const clock = (ts) => fmt({ hour: "2-digit", minute: "2-digit" }).format(ms(ts));
const clockSeconds = (ts) => fmt({ hour: "2-digit", minute: "2-digit", second: "2-digit" }).format(ms(ts));
const dayMonth = (ts) => fmt({ day: "numeric", month: "short" }).format(ms(ts));
const weekday = (ts) => fmt({ weekday: "short", day: "numeric" }).format(ms(ts));

const fullDate = (ts) => fmt({ day: "numeric", month: "short", year: "numeric" }).format(ms(ts));
const utcDates = new Map();

// day writes the date of a record made "on a day": a record dated by its
// day alone is stored at 00:00 UTC, so it is shown as that day (in any
// zone), without a clock time; any other time as date and time in the
// deployment's zone.
export function day(ts) {
  const v = ms(ts);
  if (v % 864e5 !== 0) return fullDate(v) + " " + clock(v);
  if (!utcDates.has(lang.locale)) utcDates.set(lang.locale, new Intl.DateTimeFormat(lang.locale, { timeZone: "UTC", day: "numeric", month: "short", year: "numeric" }));
  return utcDates.get(lang.locale).format(v);
}

// longDay writes a date input's value (YYYY-MM-DD) in words, with its
// weekday: a date input's own display follows the browser's settings, and
// 12/01/2026 is not the same day everywhere.
export function longDay(v) {
  const ts = Date.parse(v + "T00:00:00Z");
  if (Number.isNaN(ts)) return "";
  return new Intl.DateTimeFormat(lang.locale, { timeZone: "UTC", weekday: "long", day: "numeric", month: "long", year: "numeric" }).format(ts);
}

// longMinute writes a datetime-local value (YYYY-MM-DDTHH:MM, a wall time
// in the deployment's zone) in words, 24-hour, for the same reason.
export function longMinute(v) {
  const ts = Date.parse((v || "") + ":00Z");
  if (Number.isNaN(ts)) return "";
  return new Intl.DateTimeFormat(lang.locale, { timeZone: "UTC", weekday: "long", day: "numeric", month: "long", year: "numeric",
    hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(ts);
}

// zoneDay is the date (YYYY-MM-DD) at ts in the deployment's zone, as a
// date input takes it.
export function zoneDay(ts = Date.now()) {
  const p = Object.fromEntries(fmt({ year: "numeric", month: "numeric", day: "numeric" }).formatToParts(ms(ts)).map((x) => [x.type, x.value]));
  return p.year.padStart(4, "0") + "-" + p.month.padStart(2, "0") + "-" + p.day.padStart(2, "0");
}

// zoneMinute is the time at ts in the deployment's zone as a
// datetime-local input takes it (YYYY-MM-DDTHH:MM).
export function zoneMinute(ts = Date.now()) {
  const local = new Date(ms(ts) + zoneOffset(ms(ts)));
  return local.toISOString().slice(0, 16);
}

// zoneWallTime reads a datetime-local value as a time in the deployment's
// zone (not the browser's).
export function zoneWallTime(v) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(v || "");
  if (!m) return NaN;
  const wall = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]);
  const guess = wall - zoneOffset(wall);
  return wall - zoneOffset(guess);
}

// when is a clock time for today, with the date otherwise.
export function when(ts) {
  if (!ts) return t("time.never");
  const v = ms(ts);
  return dayMonth(v) === dayMonth(Date.now()) ? clock(v) : dayMonth(v) + " " + clock(v);
}

// duration writes a length of time in words: "45 s", "12 min", "3 h 20 min", "2 d 4 h".
export function duration(msLen) {
  const s = Math.max(0, Math.round(msLen / 1000));
  if (s < 90) return t("dur.s", { n: s });
  const m = Math.round(s / 60);
  if (m < 90) return t("dur.min", { n: m });
  const h = Math.floor(m / 60), hm = m % 60;
  if (h < 48) return hm && h < 10 ? t("dur.h_min", { h, m: hm }) : t("dur.h", { n: Math.round(m / 60) });
  const d = Math.floor(h / 24), dh = h % 24;
  return dh && d < 7 ? t("dur.d_h", { d, h: dh }) : t("dur.d", { n: Math.round(h / 24) });
}

// age is how long ago ts was, or how long until it is.
export const age = (ts) => duration(Math.abs(Date.now() - ms(ts)));

// liveAge is an element whose text ("3 min ago") the page ticker keeps
// current, so a frozen page never shows a frozen age.
export function liveAge(ts, key = "time.ago") {
  if (!ts) return el("span", {}, t("time.never"));
  return el("span", { "data-since": new Date(ms(ts)).toISOString(), "data-key": key }, t(key, { age: age(ts) }));
}

export function tickAges() {
  for (const e of document.querySelectorAll("[data-since]")) {
    e.textContent = t(e.dataset.key, { age: age(e.dataset.since) });
  }
}

// Axis ticks in the deployment zone.

// zoneOffset is the zone's offset from UTC at ts, in ms.
export function zoneOffset(ts) {
  const p = Object.fromEntries(fmt({ year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", second: "numeric" })
    .formatToParts(ts).map((x) => [x.type, x.value]));
  const asUTC = Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour % 24, +p.minute, +p.second);
  return asUTC - Math.floor(ts / 1000) * 1000;
}

// tickLabel labels a time axis tick: a clock time, the day at midnight.
export function tickLabel(ts, stepMs) {
  if (stepMs >= 864e5) return dayMonth(ts);
  const local = ts + zoneOffset(ts);
  if (local % 864e5 === 0) return weekday(ts);
  return clock(ts);
}

export const hoverLabel = (ts) => weekday(ts) + " " + clock(ts);

// ---- numbers ----

// num writes v in the reader's convention: 93.4 in English, 93,4 in French
// and Portuguese; thousands grouped (4 380 in French).
export function num(v, digits = 1) {
  if (v === undefined || v === null || Number.isNaN(v)) return "–";
  return Number(v).toLocaleString(lang.locale, { minimumFractionDigits: digits, maximumFractionDigits: digits });
}
