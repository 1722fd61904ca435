// The dashboard's texts come from the server's message catalogue
// (internal/i18n, the same one SMS, e-mail and reports use), served as
// /ui/i18n/{lang}.json. {name} is replaced by t(). The language is the
// one chosen with the switch (kept in localStorage), else the browser's
// (Accept-Language, matched by the server), else the deployment default.
export const S = {};
export const LANGS = ["en", "fr", "pt"];
const KEY = "oxywatch-lang";

// lang is the language shown; locale is the tag Intl formats numbers and
// dates with ("fr-FR": 93,4 and 10/03/2026).
export const lang = { code: "en", locale: "en-GB" };

export const has = (id) => Object.prototype.hasOwnProperty.call(S, id);

// t returns the string id with {name} placeholders filled from vars; an
// unknown id is returned as is, so a missing string shows, not a blank.
export function t(id, vars) {
  const s = has(id) ? S[id] : id;
  if (!vars) return s;
  return s.replace(/\{(\w+)\}/g, (m, k) => (vars[k] === undefined || vars[k] === null ? m : String(vars[k])));
}

// inputError is a device's last bad input in the reader's language: its
// reason, by code (last_error_code), else the line the server wrote
// (last_error, technical and in English).
export function inputError(d) {
  const id = "input_error." + d.last_error_code;
  return d.last_error_code && has(id) ? t(id) : d.last_error;
}

// chosen is the language picked with the switch, or "" to follow the browser.
export function chosen() {
  const v = localStorage.getItem(KEY) || "";
  return LANGS.includes(v) ? v : "";
}

// loadStrings fetches the catalogue for code ("" for the browser's
// language) and sets <html lang>. On failure the page keeps what it had.
export async function loadStrings(code) {
  const res = await fetch("/ui/i18n/" + (code || "auto") + ".json", { cache: "no-cache" });
  if (!res.ok) throw new Error("catalogue " + res.status);
  const cat = await res.json();
  for (const k of Object.keys(S)) delete S[k];
  Object.assign(S, cat.messages);
  lang.code = cat.lang;
  lang.locale = cat.locale;
  document.documentElement.lang = cat.lang;
}

// choose keeps the reader's choice for the next visit and loads it.
export async function choose(code) {
  if (LANGS.includes(code)) localStorage.setItem(KEY, code);
  await loadStrings(code);
}
