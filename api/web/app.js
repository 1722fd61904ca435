// OxyWatch dashboard: plain JavaScript, no dependencies, no CDN. The token
// lives in sessionStorage (this tab only). Every view polls the API every
// POLL_MS, so the board stays live on a phone over GSM without a push
// channel. Data is only ever put into the page with textContent.
"use strict";

const POLL_MS = 10000;
const STATUS_ORDER = ["down", "degraded", "no_data", "maintenance", "operational"];
const $ = (id) => document.getElementById(id);
let me = null;
let timer = null;
let filters = { region: "", facility: "", status: "" };

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

class HTTPError extends Error {
  constructor(status, detail) { super(detail); this.status = status; }
}

async function api(path, opts = {}) {
  const token = sessionStorage.getItem("oxywatch-token");
  const headers = { Authorization: "Bearer " + token };
  if (opts.body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch("/api/v1" + path, {
    method: opts.method || "GET", headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  if (res.status === 401) { logout("Your token was not accepted (expired or revoked?)."); throw new HTTPError(401, "unauthorized"); }
  if (!res.ok) {
    let detail = res.statusText;
    try { detail = (await res.json()).detail || detail; } catch (_) { /* not JSON */ }
    throw new HTTPError(res.status, detail);
  }
  return res.status === 204 ? null : res.json();
}

// all follows "next" cursors to read a whole collection.
async function all(path) {
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

const can = (role) => me && ({ viewer: 1, engineer: 2, admin: 3 })[me.role] >= ({ viewer: 1, engineer: 2, admin: 3 })[role];

function ago(ts) {
  if (!ts) return "never";
  const s = Math.max(0, (Date.now() - Date.parse(ts)) / 1000);
  if (s < 90) return Math.round(s) + " s ago";
  if (s < 5400) return Math.round(s / 60) + " min ago";
  if (s < 172800) return Math.round(s / 3600) + " h ago";
  return Math.round(s / 86400) + " d ago";
}

const fmt = (v, unit, digits = 1) => (v === undefined || v === null) ? "–" : Number(v).toFixed(digits) + " " + unit;
const label = (s) => s.replace("_", " ");

// ---- login ----

async function login(token) {
  sessionStorage.setItem("oxywatch-token", token);
  try {
    me = await api("/me");
  } catch (e) {
    sessionStorage.removeItem("oxywatch-token");
    $("login-error").textContent = e.status === 401 ? "That token was not accepted." : "Could not reach the server: " + e.message;
    showLogin();
    return;
  }
  $("who").textContent = (me.name || me.id) + " · " + me.role + (me.regions.length ? " · " + me.regions.join(", ") : "");
  $("login").hidden = true; $("app").hidden = false; $("nav").hidden = false;
  route();
}

function logout(msg) {
  sessionStorage.removeItem("oxywatch-token");
  me = null;
  clearTimeout(timer);
  $("login-error").textContent = msg || "";
  showLogin();
}

function showLogin() {
  $("app").hidden = true; $("nav").hidden = true; $("login").hidden = false;
  $("token").value = "";
  $("token").focus();
}

// ---- routing and polling ----

function route() {
  if (!me) return;
  clearTimeout(timer);
  const hash = location.hash || "#/";
  let view, render;
  if (hash.startsWith("#/device/")) { view = "fleet"; const id = decodeURIComponent(hash.slice(9)); render = () => deviceView(id); }
  else if (hash === "#/alerts") { view = "alerts"; render = alertsView; }
  else if (hash === "#/maintenance") { view = "maintenance"; render = maintenanceView; }
  else { view = "fleet"; render = fleetView; }
  for (const a of document.querySelectorAll("nav a")) a.classList.toggle("active", a.dataset.view === view);
  const tick = async () => {
    try {
      await render();
      $("status-line").textContent = "Updated " + new Date().toLocaleTimeString() + " · refreshes every " + POLL_MS / 1000 + " s";
    } catch (e) {
      if (e.status !== 401) $("status-line").textContent = "Update failed: " + e.message + " (retrying)";
    }
    refreshAlertCount();
    if (me) timer = setTimeout(tick, POLL_MS);
  };
  tick();
}

async function refreshAlertCount() {
  try {
    const list = await all("/alerts?state=firing");
    $("alert-count").textContent = list.length ? String(list.length) : "";
  } catch (_) { /* shown by the view */ }
}

// replace swaps the view's content, keeping focus inside forms untouched
// when the user is typing.
function replace(node) {
  const view = $("view");
  if (view.contains(document.activeElement) && document.activeElement.tagName === "INPUT" && document.activeElement.value) return;
  view.replaceChildren(node);
}

// ---- fleet ----

async function fleetView() {
  const [devices, facilities] = await Promise.all([all("/devices"), all("/facilities")]);
  const regions = [...new Set(devices.map((d) => d.region).filter(Boolean))].sort();
  const shown = devices.filter((d) => (!filters.region || d.region === filters.region) &&
    (!filters.facility || d.facility === filters.facility) && (!filters.status || d.status === filters.status));
  shown.sort((a, b) => STATUS_ORDER.indexOf(a.status) - STATUS_ORDER.indexOf(b.status) || a.id.localeCompare(b.id));
  const counts = {};
  for (const d of shown) counts[d.status] = (counts[d.status] || 0) + 1;
  const facName = Object.fromEntries(facilities.map((f) => [f.id, f.name || f.id]));
  const facIDs = [...new Set(devices.filter((d) => !filters.region || d.region === filters.region).map((d) => d.facility).filter(Boolean))].sort();

  const select = (name, options, labelFor) => el("select", {
    id: "filter-" + name, "aria-label": name,
    onchange: (e) => { filters[name] = e.target.value; if (name === "region") filters.facility = ""; fleetView(); },
  }, el("option", { value: "" }, { region: "All regions", facility: "All facilities", status: "All statuses" }[name]),
    options.map((o) => el("option", { value: o, selected: filters[name] === o }, labelFor ? labelFor(o) : o)));

  replace(el("div", {},
    el("div", { class: "filters" },
      select("region", regions),
      select("facility", facIDs, (id) => facName[id] || id),
      select("status", STATUS_ORDER, label)),
    el("div", { class: "summary", id: "summary" },
      el("span", { class: "pill bg-no_data" }, shown.length + " devices"),
      STATUS_ORDER.filter((s) => counts[s]).map((s) => el("span", { class: "pill bg-" + s }, counts[s] + " " + label(s)))),
    shown.length ? el("div", { class: "grid", id: "fleet" }, shown.map((d) => deviceCard(d, facName))) :
      el("p", { class: "muted" }, "No devices to show.")));
}

function deviceCard(d, facName) {
  const r = d.last_reading || {};
  return el("a", { class: "device s-" + d.status, href: "#/device/" + encodeURIComponent(d.id), "data-device": d.id, "data-status": d.status },
    el("h3", {}, d.id),
    el("div", { class: "status t-" + d.status }, label(d.status)),
    el("div", { class: "meta" }, [d.kind, facName[d.facility] || d.facility, d.region].filter(Boolean).join(" · ")),
    el("div", { class: "values" }, "O₂ " + fmt(r.purity_pct, "%") + " · " + fmt(r.pressure_bar, "bar") + " · " + fmt(r.flow_lpm, "L/min", 0)),
    el("div", { class: "meta" }, "seen " + ago(d.last_seen), d.last_error ? el("span", { class: "error" }, " · " + d.last_error) : null));
}

// ---- device ----

let chartRange = "24h";

async function deviceView(id) {
  const enc = encodeURIComponent(id);
  const to = new Date();
  const from = new Date(to - (chartRange === "7d" ? 7 * 864e5 : 864e5));
  const q = "?from=" + from.toISOString().replace(/\.\d+Z$/, "Z") + "&to=" + to.toISOString().replace(/\.\d+Z$/, "Z");
  const [d, alerts, readings] = await Promise.all([
    api("/devices/" + enc),
    all("/alerts?state=active&device=" + enc),
    api("/devices/" + enc + "/readings" + q).catch((e) => ({ items: [], error: e.message })),
  ]);
  const r = d.last_reading || {};
  const rangeButton = (name) => el("button", { type: "button", class: chartRange === name ? "" : "secondary",
    onclick: () => { chartRange = name; deviceView(id); } }, name === "24h" ? "24 h" : "7 days");
  replace(el("div", {},
    el("p", {}, el("a", { href: "#/" }, "← Fleet")),
    el("h2", {}, d.id, " ", el("span", { class: "status t-" + d.status, id: "device-status" }, label(d.status))),
    el("table", {}, el("tbody", {},
      row("Kind", d.kind + (d.model ? " (" + d.model + ")" : "")),
      row("Facility", d.facility + " · " + d.region + " · " + d.country),
      row("Rated flow", fmt(d.rated_flow_lpm, "L/min", 0)),
      row("Last seen", ago(d.last_seen)),
      row("Now", [r.state, r.power && "power " + r.power, "O₂ " + fmt(r.purity_pct, "%"), fmt(r.pressure_bar, "bar"), fmt(r.flow_lpm, "L/min", 0)].filter(Boolean).join(" · ")),
      r.alarms && r.alarms.length ? row("Alarms", r.alarms.join(", ")) : null,
      d.last_error ? row("Last input error", d.last_error) : null)),
    el("h3", {}, "Active alerts"),
    alerts.length ? alerts.map(alertCard) : el("p", { class: "muted" }, "None."),
    el("h3", {}, "History"),
    el("div", { class: "tabs" }, rangeButton("24h"), rangeButton("7d")),
    readings.error ? el("p", { class: "error" }, "History unavailable: " + readings.error) : null,
    chart("Purity (%)", readings.items, "purity_pct", from, to),
    chart("Outlet pressure (bar)", readings.items, "pressure_bar", from, to),
    chart("Flow (L/min)", readings.items, "flow_lpm", from, to),
    can("engineer") ? maintenanceForm(d.id) : null));
}

function row(k, v) { return el("tr", {}, el("th", {}, k), el("td", {}, v)); }

const SVG = "http://www.w3.org/2000/svg";
function svg(tag, attrs, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

// chart draws one field as an SVG polyline, with gaps where no data came.
function chart(title, items, field, from, to) {
  const pts = items.filter((p) => typeof p[field] === "number").map((p) => [Date.parse(p.ts), p[field]]);
  const box = el("div", { class: "chart", "data-field": field }, el("h4", {}, title));
  const W = 600, H = 140, L = 36, B = 16;
  const s = svg("svg", { viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: "none", role: "img", "aria-label": title });
  box.append(s);
  if (!pts.length) { s.append(svg("text", { x: L, y: H / 2 }, "no data in this period")); return box; }
  let lo = Math.min(...pts.map((p) => p[1])), hi = Math.max(...pts.map((p) => p[1]));
  if (hi - lo < 1e-9) { lo -= 1; hi += 1; }
  const x = (t) => L + (t - from) / (to - from) * (W - L - 4);
  const y = (v) => 4 + (hi - v) / (hi - lo) * (H - B - 8);
  s.append(svg("line", { class: "axis", x1: L, y1: H - B, x2: W, y2: H - B }), svg("line", { class: "axis", x1: L, y1: 0, x2: L, y2: H - B }),
    svg("text", { x: 2, y: 12 }, hi.toFixed(1)), svg("text", { x: 2, y: H - B }, lo.toFixed(1)),
    svg("text", { x: L, y: H - 2 }, from.toLocaleString()), svg("text", { x: W - 4, y: H - 2, "text-anchor": "end" }, to.toLocaleString()));
  pts.sort((a, b) => a[0] - b[0]);
  const gap = 3 * Math.max(60e3, median(pts.slice(1).map((p, i) => p[0] - pts[i][0])));
  let seg = [];
  const flush = () => { if (seg.length) s.append(svg("polyline", { class: "line", points: seg.join(" ") })); seg = []; };
  pts.forEach((p, i) => {
    if (i && p[0] - pts[i - 1][0] > gap) flush();
    seg.push(x(p[0]).toFixed(1) + "," + y(p[1]).toFixed(1));
  });
  flush();
  return box;
}

function median(a) { if (!a.length) return 0; const s = [...a].sort((p, q) => p - q); return s[Math.floor(s.length / 2)]; }

function maintenanceForm(id) {
  const msg = el("span", { class: "muted" });
  const form = el("form", { class: "inline", onsubmit: async (e) => {
    e.preventDefault();
    const f = e.target;
    try {
      await api("/devices/" + encodeURIComponent(id) + "/maintenance", { method: "POST",
        body: { component: f.component.value, runtime_h: Number(f.runtime_h.value || 0), note: f.note.value } });
      msg.textContent = "Service logged."; f.reset();
    } catch (err) { msg.textContent = "Not logged: " + err.message; }
  } },
  el("strong", {}, "Log a service:"),
  el("input", { name: "component", placeholder: "component (filter, compressor…)", required: true, "aria-label": "component" }),
  el("input", { name: "runtime_h", type: "number", min: "0", step: "any", placeholder: "runtime h", "aria-label": "runtime hours" }),
  el("input", { name: "note", placeholder: "note", "aria-label": "note" }),
  el("button", { type: "submit" }, "Save"), msg);
  return el("div", {}, el("h3", {}, "Maintenance"), form);
}

// ---- alerts ----

async function alertsView() {
  const list = await all("/alerts?state=active");
  replace(el("div", {},
    el("h2", {}, "Active alerts"),
    list.length ? el("div", { id: "alerts" }, list.map(alertCard)) : el("p", { class: "muted" }, "No active alerts.")));
}

function alertCard(a) {
  const msg = el("span", { class: "muted" });
  const actions = el("div", { class: "actions" });
  if (can("engineer") && a.state === "firing") {
    actions.append(el("button", { type: "button", class: "ack", "data-alert": a.id, onclick: async (e) => {
      e.target.disabled = true;
      try { await api("/alerts/" + a.id + "/ack", { method: "POST", body: { note: "acknowledged from the dashboard" } }); route(); }
      catch (err) { msg.textContent = "Not acknowledged: " + err.message; e.target.disabled = false; }
    } }, "Acknowledge"));
  }
  if (can("engineer") && a.device) {
    actions.append(el("button", { type: "button", class: "secondary silence", "data-alert": a.id, onclick: async (e) => {
      e.target.disabled = true;
      const ends = new Date(Date.now() + 2 * 3600e3).toISOString().replace(/\.\d+Z$/, "Z");
      try {
        await api("/silences", { method: "POST", body: { device: a.device, rule: a.rule, ends_at: ends, comment: "silenced for 2 h from the dashboard" } });
        msg.textContent = "Silenced for 2 h.";
      } catch (err) { msg.textContent = "Not silenced: " + err.message; e.target.disabled = false; }
    } }, "Silence 2 h"));
  }
  actions.append(msg);
  return el("div", { class: "alert sev-" + a.severity, "data-alert": a.id, "data-state": a.state },
    el("div", {}, el("span", { class: "state" }, a.state), " · ", a.severity, " · ", a.rule,
      a.device ? [" · ", el("a", { href: "#/device/" + encodeURIComponent(a.device) }, a.device)] : null),
    el("div", {}, a.summary),
    el("div", { class: "meta muted" }, "since " + ago(a.started_at) + (a.acked_by ? " · acknowledged by " + a.acked_by : "")),
    actions);
}

// ---- maintenance ----

async function maintenanceView() {
  const due = await all("/maintenance/due");
  due.sort((a, b) => b.runtime_h / (b.interval_h || 1) - a.runtime_h / (a.interval_h || 1));
  replace(el("div", {},
    el("h2", {}, "Maintenance due"),
    due.length ? el("table", { id: "due" },
      el("thead", {}, el("tr", {}, ["Device", "Component", "Hours since service", "Interval", "Facility", "Region"].map((h) => el("th", {}, h)))),
      el("tbody", {}, due.map((m) => el("tr", { class: m.runtime_h >= 1.1 * m.interval_h ? "t-down" : m.runtime_h >= m.interval_h ? "t-degraded" : "" },
        el("td", {}, el("a", { href: "#/device/" + encodeURIComponent(m.device) }, m.device)), el("td", {}, m.component),
        el("td", {}, Math.round(m.runtime_h)), el("td", {}, Math.round(m.interval_h)), el("td", {}, m.facility), el("td", {}, m.region)))))
      : el("p", { class: "muted" }, "Nothing is due.")));
}

// ---- start ----

document.addEventListener("DOMContentLoaded", () => {
  $("login-form").addEventListener("submit", (e) => { e.preventDefault(); $("login-error").textContent = ""; login($("token").value.trim()); });
  $("logout").addEventListener("click", () => logout());
  window.addEventListener("hashchange", route);
  const saved = sessionStorage.getItem("oxywatch-token");
  if (saved) login(saved); else showLogin();
});
