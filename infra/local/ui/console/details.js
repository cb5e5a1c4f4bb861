// The side panel with the ticket's details: customer, team, assignee, window, CSAT, version.
import { $, el } from "../dom.js";
import { on } from "./app.js";
import { agentName } from "./directory.js";
import { clock } from "./format.js";

function render(t) {
  const rows = [
    ["Customer", `${t.customer_name || "–"} (+${t.customer})`],
    ["Team", t.team || "–"],
    ["Assignee", t.assignee ? agentName(t.assignee) : "unassigned"],
    ["Category", t.category || "–"],
    ["Handoff", t.handoff_reason || "–"],
    ["Window", t.window_closes_at ? `${t.service_window_open ? "open until" : "closed since"} ${clock(t.window_closes_at)}` : "–"],
    ["CSAT", t.csat ? `${t.csat} / 5` : "–"],
    ["Version", String(t.version)],
  ];
  $("t-details").replaceChildren(...rows.flatMap(([k, v]) => [el("dt", {}, k), el("dd", { dataset: { field: k.toLowerCase() } }, v)]));
}

on("ticket", ({ ticket }) => render(ticket));
