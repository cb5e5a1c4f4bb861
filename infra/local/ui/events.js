// The ticket events page: `/dev/events` as a table, newest first, polled every 2 s. Every value
// goes in as text (`el`), so nothing an event carries can become markup.

import { $, el, fetchJson, showError } from "./dom.js";

const POLL_MS = 2000;

/** What an event says beyond its type: SLA target and level, score, handoff reason. */
function details(d) {
  const parts = [];
  if (d.sla) parts.push(`${d.sla.target} level ${d.sla.level}`);
  if (d.score !== undefined) parts.push(`score ${d.score}`);
  if (d.handoff_reason) parts.push(`reason ${d.handoff_reason}`);
  if (d.assignee) parts.push(`assignee ${d.assignee}`);
  if (d.team) parts.push(`team ${d.team}`);
  if (d.resolved_by_bot !== undefined) parts.push(d.resolved_by_bot ? "by the bot" : "by an agent");
  return parts.join(" · ");
}

async function refresh() {
  const ticket = $("ticket-filter").value.trim();
  const query = ticket ? `?ticket=${encodeURIComponent(ticket)}` : "";
  try {
    const { events } = await fetchJson("GET", `/dev/events${query}`);
    showError($("events-error"), "");
    const rows = events.slice().reverse().map((e) =>
      el("tr", { dataset: { type: e.detail_type, ticket: e.detail.ticket_id }, "data-testid": "event-row" },
        el("td", {}, new Date(e.time).toLocaleTimeString()),
        el("td", {}, e.detail_type),
        el("td", {}, e.detail.ticket_id),
        el("td", {}, e.detail.actor),
        el("td", {}, e.detail.status),
        el("td", {}, details(e.detail)),
        el("td", { class: "id" }, e.id)));
    $("events-body").replaceChildren(...rows);
    $("events-empty").hidden = rows.length > 0;
  } catch (error) {
    showError($("events-error"), `Events could not be read: ${error.message}`);
  }
}

$("ticket-filter").addEventListener("input", refresh);
refresh();
setInterval(refresh, POLL_MS);
