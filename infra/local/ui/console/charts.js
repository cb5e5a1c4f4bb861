// The dashboard's charts: plain SVG built element by element (labels are text nodes).
import { el, svg } from "../dom.js";
import { TARGETS, pct, secs } from "./format.js";

function noData() {
  return el("p", { class: "muted small" }, "No data in this range yet.");
}

function legend(items) {
  return el("div", { class: "legend" }, items.map(([color, text]) => el("span", {}, el("i", { style: `background:${color}` }), text)));
}

export function volumeChart(days) {
  if (!days.length) return noData();
  const W = 520, H = 200, pad = 28, max = Math.max(1, ...days.flatMap((d) => [d.opened, d.resolved]));
  const step = (W - pad * 2) / days.length, bw = Math.max(3, step / 2 - 3);
  const y = (v) => H - pad - (v / max) * (H - pad * 2);
  const bars = days.flatMap((d, i) => {
    const x = pad + i * step + 2;
    return [
      svg("rect", { x, y: y(d.opened), width: bw, height: H - pad - y(d.opened), fill: "#1f6feb", rx: 2 }, svg("title", {}, `${d.day}: ${d.opened} opened`)),
      svg("rect", { x: x + bw + 1, y: y(d.resolved), width: bw, height: H - pad - y(d.resolved), fill: "#2da44e", rx: 2 }, svg("title", {}, `${d.day}: ${d.resolved} resolved`)),
    ];
  });
  const every = Math.ceil(days.length / 7);
  const labels = days.map((d, i) => (i % every === 0 ? svg("text", { x: pad + i * step + step / 2, y: H - 10, "text-anchor": "middle" }, d.day.slice(5)) : null));
  return el("div", {},
    svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": "Tickets opened and resolved per day" },
      svg("line", { x1: pad, x2: W - pad, y1: H - pad, y2: H - pad, stroke: "#d0d7de" }),
      svg("text", { x: 4, y: y(max) + 4 }, String(max)), svg("text", { x: 4, y: H - pad + 4 }, "0"),
      bars, labels),
    legend([["#1f6feb", "opened"], ["#2da44e", "resolved"]]));
}

function hbars(rows, { max, format, color }) {
  if (!rows.length) return noData();
  const W = 520, row = 28, H = rows.length * row + 8, left = 150;
  const top = max || Math.max(1, ...rows.map((r) => r.value || 0));
  return svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img" },
    rows.map((r, i) => {
      const y = 4 + i * row;
      const w = r.value === null || r.value === undefined ? 0 : Math.max(2, (r.value / top) * (W - left - 90));
      return svg("g", {},
        svg("text", { x: 0, y: y + 16 }, r.label),
        svg("rect", { x: left, y: y + 4, width: W - left - 90, height: 16, fill: "#f0f2f5", rx: 3 }),
        svg("rect", { x: left, y: y + 4, width: w, height: 16, fill: r.color || color, rx: 3 }),
        svg("text", { x: W - 84, y: y + 16 }, r.value === null || r.value === undefined ? "–" : format(r.value)));
    }));
}

export function timesChart(r) {
  const rows = [
    { label: "First response (avg)", value: r.first_response.average_seconds, color: "#1f6feb" },
    { label: "First response (p90 ≤)", value: r.first_response.p90_seconds_at_most, color: "#79a8f5" },
    { label: "Resolution (avg)", value: r.resolution.average_seconds, color: "#8250df" },
    { label: "Resolution (p90 ≤)", value: r.resolution.p90_seconds_at_most, color: "#b898f0" },
  ];
  if (rows.every((x) => x.value === null || x.value === undefined)) return noData();
  return el("div", {}, hbars(rows, { format: secs }),
    el("p", { class: "muted small" }, `${r.first_response.count} first responses, ${r.resolution.count} resolutions`));
}

export function slaChart(byTarget) {
  const rows = Object.entries(byTarget).map(([target, c]) => ({
    label: TARGETS[target] || target,
    value: c.compliance,
    color: c.compliance === null ? "#d0d7de" : c.compliance >= 0.9 ? "#2da44e" : c.compliance >= 0.75 ? "#d4a72c" : "#cf222e",
    note: `${c.met} met, ${c.breached} breached`,
  }));
  if (!rows.length) return noData();
  return el("div", {}, hbars(rows, { max: 1, format: pct }),
    el("p", { class: "muted small" }, rows.map((r) => `${r.label}: ${r.note}`).join(" · ")));
}

export function botChart(r) {
  const rate = r.bot_resolution_rate;
  const R = 60, C = 2 * Math.PI * R;
  const ring = svg("svg", { viewBox: "0 0 160 160", width: 160, role: "img", "aria-label": `Bot resolution rate ${pct(rate)}` },
    svg("circle", { cx: 80, cy: 80, r: R, fill: "none", stroke: "#f0f2f5", "stroke-width": 18 }),
    svg("circle", { cx: 80, cy: 80, r: R, fill: "none", stroke: "#2da44e", "stroke-width": 18, "stroke-dasharray": `${(rate || 0) * C} ${C}`, transform: "rotate(-90 80 80)" }),
    svg("text", { x: 80, y: 86, "text-anchor": "middle", style: "font-size:20px;font-weight:600" }, pct(rate)));
  const reasons = Object.entries(r.handoff_reasons).sort((a, b) => b[1] - a[1]);
  return el("div", { class: "row", style: "align-items:flex-start;gap:20px" }, ring,
    el("div", {},
      el("p", { class: "small" }, `${r.resolved_by_bot} of ${r.resolved} resolved tickets solved by the bot alone.`),
      el("p", { class: "small" }, `${r.handed_off} handed to a person (${pct(r.handoff_rate)} of opened):`),
      el("ul", { class: "small" }, reasons.length ? reasons.map(([k, v]) => el("li", {}, `${k.replaceAll("_", " ")}: ${v}`)) : el("li", { class: "muted" }, "none"))));
}

export function csatChart(distribution) {
  const rows = [5, 4, 3, 2, 1].map((score) => ({
    label: `${"★".repeat(score)}${"☆".repeat(5 - score)}`,
    value: distribution[score] || distribution[String(score)] || 0,
    color: score >= 4 ? "#2da44e" : score === 3 ? "#d4a72c" : "#cf222e",
  }));
  if (rows.every((r) => !r.value)) return noData();
  return hbars(rows, { format: (v) => String(v) });
}

export function hoursChart(perHour) {
  if (!perHour.some((v) => v > 0)) return noData();
  const W = 520, H = 140, pad = 20, max = Math.max(1, ...perHour), step = (W - pad * 2) / 24;
  return svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": "Tickets opened per hour of day" },
    perHour.map((v, h) => {
      const height = (v / max) * (H - pad * 2);
      return svg("rect", { x: pad + h * step + 1, y: H - pad - height, width: step - 2, height, fill: "#1f6feb", rx: 2 }, svg("title", {}, `${h}:00 – ${v}`));
    }),
    [0, 6, 12, 18, 23].map((h) => svg("text", { x: pad + h * step + step / 2, y: H - 5, "text-anchor": "middle" }, `${h}h`)));
}
