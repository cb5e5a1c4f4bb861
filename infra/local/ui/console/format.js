// How the console words and shows times, durations, states and badges.
import { el } from "../dom.js";

export const STATUS = {
  bot: ["With bot", ""],
  queued: ["Queued", "info"],
  assigned: ["Assigned", "info"],
  pending_customer: ["Waiting on customer", "warn"],
  resolved: ["Resolved", "ok"],
  closed: ["Closed", ""],
};
export const SLA = {
  none: ["No SLA", ""],
  ok: ["SLA on track", "ok"],
  at_risk: ["SLA at risk", "warn"],
  breached: ["SLA breached", "bad"],
  was_breached: ["SLA was breached", "bad"],
};
export const PRIORITY = { urgent: "bad", high: "warn", normal: "", low: "" };
export const TARGETS = { first_response: "First response", next_response: "Next response", resolution: "Resolution", bot_time_limit: "Bot time limit", bot_silence: "Bot silence (self-service)" };

export function badge(text, kind = "") {
  return el("span", { class: `badge ${kind}` }, text);
}

export function ago(at) {
  const s = Math.round((Date.now() - new Date(at).getTime()) / 1000);
  if (s < 60) return "just now";
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return new Date(at).toLocaleDateString();
}

export function clock(at) {
  const d = new Date(at);
  const today = new Date().toDateString() === d.toDateString();
  return today ? d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) : d.toLocaleString([], { dateStyle: "short", timeStyle: "short" });
}

export function duration(seconds) {
  const s = Math.abs(Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, "0")}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}

export const pct = (x) => (x === null || x === undefined ? "–" : `${Math.round(x * 1000) / 10} %`);
export const secs = (x) => (x === null || x === undefined ? "–" : duration(x));

/** A live countdown to `due`: "due in 4m 10s" or "overdue 2m 03s" (updated every second). */
export function countdown(due, prefix = "due in") {
  const node = el("span", { class: "due", dataset: { due, prefix } });
  paintCountdown(node);
  return node;
}
function paintCountdown(node) {
  const left = (new Date(node.dataset.due).getTime() - Date.now()) / 1000;
  node.textContent = left >= 0 ? `${node.dataset.prefix} ${duration(left)}` : `overdue ${duration(left)}`;
  node.classList.toggle("overdue", left < 0);
  node.classList.toggle("soon", left >= 0 && left < 600);
}
setInterval(() => document.querySelectorAll(".due[data-due]").forEach(paintCountdown), 1000);
