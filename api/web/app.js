// OxyWatch dashboard: plain JavaScript modules, no dependencies, no CDN.
// The token lives in sessionStorage (this tab only). The shown view polls
// the API every POLL_MS, so the board stays live on a phone over GSM
// without a push channel; when the server stops answering, the page says
// so at once and greys what it shows.
import { t, S, LANGS, lang, chosen, choose, loadStrings } from "./strings.js";
import {
  $, el, api, all, can, session, conn, POLL_MS, setZone, tickAges, paintConnection, errorText, setUnauthorizedHandler,
} from "./core.js";
import { fleetView } from "./fleet.js";
import { alertsView, isService, foldOutages } from "./alerts.js";
import { deviceView } from "./device.js";
import { silencesView, maintenanceView } from "./silences.js";
import { contactsView } from "./contacts.js";
import { closeDialogs } from "./actions.js";

let timer = null;
let generation = 0;     // the newest refresh; older ones drop their result
let scrollReset = false;

// ---- login ----

async function login(token) {
  session.token = token;
  try {
    session.me = await api("/me");
  } catch (e) {
    session.token = "";
    $("login-error").textContent = e.status === 401 ? t("login.rejected") : t("login.unreachable", { error: errorText(e) });
    showLogin();
    return;
  }
  showWho();
  $("login").hidden = true; $("app").hidden = false; $("nav").hidden = false; $("phone-footer").hidden = false;
  $("nav-contacts").hidden = !can("engineer");
  document.body.classList.add("signed-in");
  await loadZone();
  route();
}

function showWho() {
  const me = session.me;
  if (!me) return;
  $("who").textContent = $("who-phone").textContent =
    [me.name || me.id, t("role." + me.role), me.regions.length ? me.regions.join(", ") : ""].filter(Boolean).join(" · ");
}

// loadZone asks the server for the deployment's time zone (GET /settings),
// so times read the same as in SMS and reports, with the zone named.
async function loadZone() {
  const saved = sessionStorage.getItem("oxywatch-zone");
  if (saved) { setZone(saved, true); return; }
  try {
    const r = await api("/settings");
    if (r && r.time_zone) {
      setZone(r.time_zone, true);
      sessionStorage.setItem("oxywatch-zone", r.time_zone);
    }
  } catch (_) { /* the browser's zone is used, and named as such */ }
}

function logout(msg) {
  closeDialogs();
  conn.failingSince = 0;
  conn.lastRender = 0;
  session.token = "";
  session.me = null;
  sessionStorage.removeItem("oxywatch-zone");
  clearTimeout(timer);
  generation++;
  $("login-error").textContent = msg || "";
  showLogin();
}

function showLogin() {
  $("app").hidden = true; $("nav").hidden = true; $("phone-footer").hidden = true; $("login").hidden = false;
  document.body.classList.remove("signed-in", "stale");
  $("token").value = "";
  $("token").focus();
}

// ---- routing and polling ----

function currentView() {
  const hash = location.hash || "#/";
  if (hash.startsWith("#/device/")) {
    const id = decodeURIComponent(hash.slice(9));
    return { nav: "fleet", render: (ctx) => deviceView(ctx, id) };
  }
  const views = { "#/alerts": ["alerts", alertsView], "#/silences": ["silences", silencesView], "#/maintenance": ["maintenance", maintenanceView] };
  if (can("engineer")) views["#/contacts"] = ["contacts", contactsView];
  const [nav, render] = views[hash] || ["fleet", fleetView];
  return { nav, render };
}

// route starts a new view: a fresh page scrolled to the top.
function route() {
  if (!session.me) return;
  closeDialogs();
  for (const a of document.querySelectorAll("nav a[data-view]")) {
    a.classList.toggle("active", a.dataset.view === currentView().nav);
  }
  $("view").replaceChildren(el("p", { class: "muted" }, t("status.loading")));
  $("view-error").hidden = true;
  scrollReset = true;
  window.scrollTo(0, 0);
  refresh();
}

// context is what one refresh shares between its parts: one read each of
// the active alerts and the facilities.
function context() {
  let alerts, facilities;
  const names = new Map();
  return {
    refresh,
    activeAlerts: () => alerts || (alerts = all("/alerts?state=active")),
    facilities: () => facilities || (facilities = all("/facilities").then((list) => {
      for (const f of list) names.set(f.id, f.name || f.id);
      return list;
    })),
    facName: (id) => (id ? names.get(id) || id : t("fleet.no_facility")),
  };
}

async function refresh() {
  clearTimeout(timer);
  const mine = ++generation;
  const ctx = context();
  const badge = ctx.activeAlerts().then(showAlertCount, () => {});
  try {
    const node = await currentView().render(ctx);
    if (mine !== generation) return;
    replace(node);
    $("view-error").hidden = true;
    conn.rendered();
  } catch (e) {
    if (mine !== generation || e.status === 401) return;
    // An unreachable server shows as the banner; any other failure here.
    if (e.status !== 0) {
      $("view-error").textContent = t("status.view_failed", { error: errorText(e) });
      $("view-error").hidden = false;
    }
  }
  await badge;
  if (mine === generation && session.me) timer = setTimeout(refresh, POLL_MS);
}

// replace swaps in the new content, unless a list box of the view is open
// (it would close under the user's finger); the next refresh catches up.
function replace(node) {
  const view = $("view");
  const active = document.activeElement;
  if (!scrollReset && view.contains(active) && active.tagName === "SELECT") return;
  view.replaceChildren(node);
  if (scrollReset) { window.scrollTo(0, 0); scrollReset = false; }
}

// showAlertCount puts the number of unacknowledged faults on the nav
// (service reminders are not counted: they are not emergencies).
function showAlertCount(list) {
  const open = foldOutages(list.filter((a) => !isService(a))).top.filter((a) => a.state === "firing");
  const critical = open.filter((a) => a.severity === "critical").length;
  const badge = $("alert-count");
  badge.textContent = open.length ? String(open.length) : "";
  badge.classList.toggle("crit", critical > 0);
  badge.title = open.length ? t("nav.alert_count", { n: open.length, critical }) : "";
}

// ---- start ----

// applyStatic fills the page's fixed text from the strings.
function applyStatic() {
  for (const e of document.querySelectorAll("[data-s]")) e.textContent = t(e.dataset.s);
  for (const e of document.querySelectorAll("[data-s-label]")) e.setAttribute("aria-label", t(e.dataset.sLabel));
  document.title = S["app.title"];
  // The switch names each language in itself; a phone shows its code (FR).
  const sw = $("lang-switch");
  sw.replaceChildren(...LANGS.map((l) => el("option", { value: l, lang: l, title: t("lang." + l), selected: l === lang.code },
    narrow.matches ? l.toUpperCase() : t("lang." + l))));
  sw.title = t("lang.label");
}

const narrow = matchMedia("(max-width: 600px)");

// switchLanguage shows the page in code from now on, and on later visits.
async function switchLanguage(code) {
  try {
    await choose(code);
  } catch (_) { return; }
  applyStatic();
  showWho();
  paintConnection();
  if (session.me) route();
}

document.addEventListener("DOMContentLoaded", async () => {
  try {
    await loadStrings(chosen());
  } catch (_) { /* the ids show; the server is likely down and the login says so */ }
  applyStatic();
  $("lang-switch").addEventListener("change", (e) => switchLanguage(e.target.value));
  narrow.addEventListener("change", applyStatic);
  // The banner sticks just under the header, whose height changes when
  // the nav wraps on a phone.
  const header = document.querySelector("body > header");
  new ResizeObserver(() => document.documentElement.style.setProperty("--header-h", header.offsetHeight + "px")).observe(header);
  setUnauthorizedHandler(() => logout(t("login.expired")));
  $("login-form").addEventListener("submit", (e) => { e.preventDefault(); $("login-error").textContent = ""; login($("token").value.trim()); });
  $("logout").addEventListener("click", () => logout());
  $("logout-phone").addEventListener("click", () => logout());
  $("conn-retry").addEventListener("click", () => refresh());
  window.addEventListener("hashchange", route);
  setInterval(() => { tickAges(); paintConnection(); }, 1000);
  if (session.token) login(session.token); else showLogin();
});
