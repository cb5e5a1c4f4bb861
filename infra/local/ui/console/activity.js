// The ticket's activity log (side panel), and how each entry is worded: the conversation shows
// some entries inline with the same words.
import { $, el } from "../dom.js";
import { on, state } from "./app.js";
import { agentName } from "./directory.js";
import { TARGETS, badge, clock } from "./format.js";

/** SLA entries of the activity log: label and badge colour per kind. */
export const SLA_ENTRY = { sla_warning: ["SLA warning", "warn"], sla_breach: ["SLA breached", "bad"], sla_escalation: ["SLA escalation", "bad"] };

export function slaBadge(a) {
  const [label, kind] = SLA_ENTRY[a.kind];
  const level = a.kind === "sla_escalation" && a.sla ? ` L${a.sla.level}` : "";
  return badge(`${label}${level}`, kind);
}

/** "First response due 14:00" / "was due" / "overdue since": what an SLA entry is about. */
export function slaHeadline(a) {
  if (!a.sla) return "";
  const target = TARGETS[a.sla.target] || a.sla.target;
  const due = clock(a.sla.due_at);
  if (a.kind === "sla_warning") return `${target} due ${due}`;
  if (a.kind === "sla_breach") return `${target} was due ${due}`;
  return `${target} overdue since ${due}`;
}

export function activityText(a) {
  const who = agentName(a.actor);
  if (SLA_ENTRY[a.kind]) return `${slaHeadline(a)}${a.text ? `: ${a.text}` : ""}`;
  switch (a.kind) {
    case "note": return `${who} added a note`;
    case "replied": return `${who} replied`;
    case "assigned":
      if (a.text && state.agents.some((x) => x.id === a.text)) return a.text === a.actor ? `${who} took the ticket` : `${who} assigned it to ${agentName(a.text)}`;
      return a.text ? `${who}: ${a.text}` : `${who} assigned the ticket`;
    case "unassigned": return `${who} gave the ticket back`;
    case "priority": return `${who} set the priority${a.text ? `: ${a.text}` : ""}`;
    case "category": return `${who} set the category${a.text ? `: ${a.text}` : ""}`;
    case "pending": return `${who} is waiting on the customer`;
    case "resolved": return `${who} resolved the ticket`;
    case "tagged": return `${who} tagged it #${a.text}`;
    case "untagged": return `${who} removed the tag #${a.text}`;
    case "reopened": return `${who} reopened the ticket`;
    case "template_sent": return `${who} sent a template${a.text ? `: ${a.text}` : ""}`;
    case "taken_over": return `${who} took the ticket from ${agentName(a.text)}`;
    case "reacted": return `${who} reacted ${a.text || ""}`;
    default: return `${who}: ${a.kind}${a.text ? ` ${a.text}` : ""}`;
  }
}

function render(t) {
  const items = [...t.activity].sort((a, b) => new Date(b.at) - new Date(a.at));
  $("t-activity").replaceChildren(
    ...(items.length ? items.map((a) => (SLA_ENTRY[a.kind]
      ? el("li", { class: `sla ${SLA_ENTRY[a.kind][1]}`, dataset: { testid: "activity-sla", kind: a.kind } }, el("div", {}, slaBadge(a), " ", activityText(a)), el("div", { class: "when" }, clock(a.at)))
      : el("li", { dataset: { kind: a.kind } }, el("div", {}, activityText(a)), el("div", { class: "when" }, clock(a.at))))) : [el("li", { class: "muted" }, "Nothing yet.")]),
  );
}

on("ticket", ({ ticket }) => render(ticket));
