// Line charts in SVG, drawn at the size they are shown (one SVG unit is one
// CSS pixel, so text is never stretched), with a grid, threshold lines and
// bands, gaps where no data came, and the value under the pointer.
import { t } from "./strings.js";
import { el, svg, num, tickLabel, hoverLabel, zoneOffset } from "./core.js";

const MARGIN = { l: 46, r: 10, t: 10, b: 24 };
const MIN = 60e3, HOUR = 36e5, DAY = 864e5;
const TIME_STEPS = [5 * MIN, 10 * MIN, 15 * MIN, 30 * MIN, HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 3 * DAY, 7 * DAY];

// chart returns a box that draws itself once laid out, and again when its
// width changes. spec: {field, title, unit, digits, items, from, to,
// range(lo, hi) -> [lo, hi], lines: [{value, label, cls}], bands: [{from, to, cls}]}.
export function chart(spec) {
  const pts = spec.items.filter((p) => typeof p[spec.field] === "number")
    .map((p) => [Date.parse(p.ts), p[spec.field]]).sort((a, b) => a[0] - b[0]);
  const box = el("figure", { class: "chart", "data-field": spec.field, "data-points": pts.length },
    el("figcaption", {}, spec.title));
  const area = el("div", { class: "plot" });
  box.append(area);
  let width = 0;
  new ResizeObserver(() => {
    const w = Math.floor(area.clientWidth);
    if (w > 0 && w !== width) { width = w; draw(area, spec, pts, w); }
  }).observe(area);
  return box;
}

function draw(area, spec, pts, W) {
  const H = W < 500 ? 160 : 190;
  const s = svg("svg", { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: "img", "aria-label": spec.title });
  const pw = W - MARGIN.l - MARGIN.r, ph = H - MARGIN.t - MARGIN.b;
  const from = +spec.from, to = +spec.to;
  const vals = pts.map((p) => p[1]);
  const [lo0, hi0] = spec.range(vals.length ? Math.min(...vals) : NaN, vals.length ? Math.max(...vals) : NaN);
  const yt = niceTicks(lo0, hi0);
  const lo = yt[0], hi = yt[yt.length - 1];
  const x = (ts) => MARGIN.l + (ts - from) / (to - from) * pw;
  const y = (v) => MARGIN.t + (hi - Math.max(lo, Math.min(hi, v))) / (hi - lo) * ph;

  s.append(svg("rect", { class: "plot-bg", x: MARGIN.l, y: MARGIN.t, width: pw, height: ph }));
  for (const b of spec.bands || []) {
    const top = y(Math.min(b.to, hi)), bottom = y(Math.max(b.from, lo));
    if (bottom > top) s.append(svg("rect", { class: "band " + b.cls, x: MARGIN.l, y: top, width: pw, height: bottom - top }));
  }
  for (const v of yt) {
    s.append(svg("line", { class: "grid", x1: MARGIN.l, x2: MARGIN.l + pw, y1: y(v), y2: y(v) }),
      svg("text", { class: "ylabel", x: MARGIN.l - 5, y: y(v) + 4, "text-anchor": "end" }, num(v, decimals(yt))));
  }
  const step = timeStep(to - from, Math.max(2, Math.floor(pw / 78)));
  for (const ts of timeTicks(from, to, step)) {
    s.append(svg("line", { class: "grid", x1: x(ts), x2: x(ts), y1: MARGIN.t, y2: MARGIN.t + ph }));
    // A label that would stick out of the chart is left off (its line stays).
    if (x(ts) - 20 >= MARGIN.l - 10 && x(ts) + 20 <= W) {
      s.append(svg("text", { class: "xlabel", x: x(ts), y: H - 6, "text-anchor": "middle" }, tickLabel(ts, step)));
    }
  }
  // Threshold labels sit at the left, where the oldest data is (the newest,
  // at the right, matters most), above their line or below it when the
  // line above is too close for both.
  const lines = (spec.lines || []).filter((l) => l.value >= lo && l.value <= hi).sort((a, b) => b.value - a.value);
  // Labels go on top of the data line (added after it), so it never hides them.
  const labels = [];
  lines.forEach((l, i) => {
    const ly = y(l.value);
    const crowded = i > 0 && ly - y(lines[i - 1].value) < 14;
    s.append(svg("line", { class: "threshold " + l.cls, x1: MARGIN.l, x2: MARGIN.l + pw, y1: ly, y2: ly }));
    labels.push(svg("text", { class: "tlabel " + l.cls, x: MARGIN.l + 4, y: crowded ? ly + 12 : ly - 3 }, l.label));
  });
  s.append(svg("line", { class: "axis", x1: MARGIN.l, x2: MARGIN.l + pw, y1: MARGIN.t + ph, y2: MARGIN.t + ph }));
  if (!pts.length) {
    s.append(svg("text", { class: "empty", x: MARGIN.l + pw / 2, y: MARGIN.t + ph / 2, "text-anchor": "middle" }, spec.empty), ...labels);
    area.replaceChildren(s);
    return;
  }
  drawLine(s, pts, x, y);
  s.append(...labels);
  hover(s, pts, x, y, { W, pw, ph, spec });
  area.replaceChildren(s);
}

// drawLine draws the series, broken where readings stopped for more than
// three times their usual spacing.
function drawLine(s, pts, x, y) {
  const steps = pts.slice(1).map((p, i) => p[0] - pts[i][0]).sort((a, b) => a - b);
  const gap = 3 * Math.max(60e3, steps.length ? steps[Math.floor(steps.length / 2)] : 0);
  let seg = [];
  const flush = () => {
    if (seg.length > 1) s.append(svg("polyline", { class: "line", points: seg.join(" ") }));
    if (seg.length === 1) { const [cx, cy] = seg[0].split(","); s.append(svg("circle", { class: "dot", cx, cy, r: 2 })); }
    seg = [];
  };
  pts.forEach((p, i) => {
    if (i && p[0] - pts[i - 1][0] > gap) flush();
    seg.push(x(p[0]).toFixed(1) + "," + y(p[1]).toFixed(1));
  });
  flush();
}

// hover shows the nearest reading's time and value under the pointer (a
// finger on a phone).
function hover(s, pts, x, y, g) {
  const cursor = svg("line", { class: "cursor", y1: MARGIN.t, y2: MARGIN.t + g.ph, visibility: "hidden" });
  const dot = svg("circle", { class: "cursor-dot", r: 3.5, visibility: "hidden" });
  const tipBox = svg("rect", { class: "tip-bg", rx: 3, height: 20, visibility: "hidden" });
  const tip = svg("text", { class: "tip", visibility: "hidden" });
  const layer = svg("rect", { class: "hover-layer", x: MARGIN.l, y: MARGIN.t, width: g.pw, height: g.ph });
  s.append(cursor, dot, tipBox, tip, layer);
  const show = (on) => { for (const e of [cursor, dot, tipBox, tip]) e.setAttribute("visibility", on ? "visible" : "hidden"); };
  const move = (e) => {
    const r = s.getBoundingClientRect();
    const px = e.clientX - r.left;
    const p = nearest(pts, x, px);
    const cx = x(p[0]), cy = y(p[1]);
    cursor.setAttribute("x1", cx); cursor.setAttribute("x2", cx);
    dot.setAttribute("cx", cx); dot.setAttribute("cy", cy);
    tip.textContent = hoverLabel(p[0]) + " · " + num(p[1], g.spec.digits) + " " + g.spec.unit;
    const w = tip.getComputedTextLength() + 12;
    const left = cx + 8 + w > g.W - MARGIN.r ? cx - 8 - w : cx + 8;
    const top = Math.max(MARGIN.t, Math.min(cy - 26, MARGIN.t + g.ph - 20));
    tipBox.setAttribute("x", left); tipBox.setAttribute("y", top); tipBox.setAttribute("width", w);
    tip.setAttribute("x", left + 6); tip.setAttribute("y", top + 14);
    show(true);
  };
  layer.addEventListener("pointermove", move);
  layer.addEventListener("pointerdown", move);
  layer.addEventListener("pointerleave", () => show(false));
}

function nearest(pts, x, px) {
  let lo = 0, hi = pts.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (x(pts[mid][0]) < px) lo = mid; else hi = mid;
  }
  return Math.abs(x(pts[lo][0]) - px) <= Math.abs(x(pts[hi][0]) - px) ? pts[lo] : pts[hi];
}

// niceTicks covers [lo, hi] with 4 to 6 round values.
function niceTicks(lo, hi) {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) { lo = 0; hi = 1; }
  if (hi - lo < 1e-9) { lo -= 1; hi += 1; }
  const raw = (hi - lo) / 5;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw);
  const out = [];
  for (let v = Math.floor(lo / step + 1e-9) * step; v <= hi + step * 0.999; v += step) out.push(+v.toFixed(10));
  return out;
}

// decimals is how many the tick step needs (2.5 needs one).
function decimals(ticks) {
  if (ticks.length < 2) return 0;
  const step = ticks[1] - ticks[0];
  for (let d = 0; d < 4; d++) if (Math.abs(Math.round(step * 10 ** d) - step * 10 ** d) < 1e-6) return d;
  return 4;
}

function timeStep(span, maxTicks) {
  return TIME_STEPS.find((s) => span / s <= maxTicks) || 14 * DAY;
}

// timeTicks are whole steps of local (deployment zone) time.
function timeTicks(from, to, step) {
  const out = [];
  const unit = Math.min(step, DAY);
  const off = zoneOffset(from);
  let ts = Math.ceil((from + off) / unit) * unit - off;
  for (; ts <= to; ts += step) out.push(ts);
  return out;
}

// Value ranges: show the scale an engineer reads at a glance, not the
// tightest box around the data (4.8 to 4.9 bar must not look dramatic).
export const ranges = {
  purity: (lo) => [Math.max(0, Math.min(80, Math.floor(((Number.isFinite(lo) ? lo : 80) - 2) / 5) * 5)), 100],
  fromZero: (minHi) => (lo, hi) => [Math.min(0, Number.isFinite(lo) ? lo : 0), Math.max(minHi, Number.isFinite(hi) ? hi * 1.15 : 0)],
  padded: (minSpan) => (lo, hi) => {
    if (!Number.isFinite(lo)) return [0, minSpan];
    const mid = (lo + hi) / 2, half = Math.max(minSpan, (hi - lo) * 1.3) / 2;
    return [mid - half, mid + half];
  },
};

export const chartMessage = (text) => el("p", { class: "chart-msg" }, text || t("chart.no_data"));
