// The ticket queue: filters, the list (most urgent first) and paging. Picking a row opens the
// ticket.
import { $, el } from "../dom.js";
import { api, download } from "./api.js";
import { on, state, supervisor } from "./app.js";
import { agentName } from "./directory.js";
import { PRIORITY, SLA, STATUS, ago, badge, countdown } from "./format.js";
import { openTicket } from "./ticket.js";
import { toast } from "./toast.js";
import { addView } from "./views.js";

let tickets = [];
let cursor = null;
let busy = false;
let again = false; // a reload asked for while one ran: run it after (it may show a later change)

function fillFilters() {
  const all = supervisor();
  const assignee = $("f-assignee");
  assignee.replaceChildren(el("option", { value: "" }, "Anyone"), el("option", { value: "me" }, "Mine"));
  if (all) {
    for (const a of state.agents) if (a.id !== state.me.agent) assignee.append(el("option", { value: a.id }, a.name));
  }
  const teams = new Set(all ? state.agents.flatMap((a) => a.teams) : (state.me.profile ? state.me.profile.teams : []));
  $("f-team").replaceChildren(el("option", { value: "" }, all ? "All teams" : "My teams"), ...[...teams].sort().map((t) => el("option", { value: t }, t)));
}

/** The filters as query parameters. */
function filterQuery() {
  return new URLSearchParams(currentFilter());
}

const FILTERS = [["f-status", "status"], ["f-assignee", "assignee"], ["f-team", "team"], ["f-priority", "priority"], ["f-sla", "sla"], ["f-tag", "tag"]];

/** The queue's filter as the API names it (`{status, team, tag, ...}`, only those set). */
export function currentFilter() {
  const filter = {};
  for (const [id, name] of FILTERS) {
    const value = $(id).value.trim();
    if (value) filter[name] = value;
  }
  return filter;
}

/** Shows the queue under `filter` (a saved view's): every filter field set to its value. */
export function applyFilter(filter) {
  for (const [id, name] of FILTERS) {
    const select = $(id);
    const value = filter[name] || "";
    // A value the list does not offer (a team the agent left, a status list): add it.
    if (select.tagName === "SELECT" && value && ![...select.options].some((o) => o.value === value)) select.append(el("option", { value }, value));
    select.value = value;
  }
  return loadQueue();
}

function queueQuery(more) {
  const q = new URLSearchParams({ limit: "50", ...currentFilter() });
  if (more && cursor) q.set("cursor", cursor);
  return q.toString();
}

/** Every ticket the filters list, as a CSV file (supervisors and admins). */
async function exportTickets() {
  const button = $("export-tickets");
  button.disabled = true;
  try {
    const name = await download(`/tickets/export.csv?${filterQuery()}`, "tickets.csv");
    toast(`Exported ${name}`);
  } catch (error) {
    if (error.status !== 401) toast(`Export: ${error.message}`, true);
  } finally {
    button.disabled = false;
  }
}

export async function loadQueue(more = false) {
  if (!state.key) return;
  if (busy) {
    again = !more;
    return;
  }
  busy = true;
  try {
    const page = await api("GET", `/tickets?${queueQuery(more)}`);
    tickets = more ? tickets.concat(page.tickets) : page.tickets;
    cursor = page.next_cursor;
    renderQueue();
  } catch (error) {
    if (error.status !== 401) toast(`Queue: ${error.message}`, true);
  } finally {
    busy = false;
    if (again) {
      again = false;
      await loadQueue();
    }
  }
}

function urgency(t) {
  const rank = { breached: 0, at_risk: 1 }[t.sla_state] ?? 2;
  const due = t.next_due_at ? new Date(t.next_due_at).getTime() : Infinity;
  return [rank, due];
}

function renderQueue() {
  const sorted = [...tickets].sort((a, b) => {
    const [ra, da] = urgency(a);
    const [rb, db] = urgency(b);
    return ra - rb || da - db || a.created_at.localeCompare(b.created_at);
  });
  $("tickets").replaceChildren(...sorted.map(ticketRow));
  $("tickets-empty").classList.toggle("hidden", sorted.length > 0);
  $("queue-count").textContent = `${sorted.length} ticket${sorted.length === 1 ? "" : "s"}`;
  $("more").classList.toggle("hidden", !cursor);
}

function ticketRow(t) {
  const [statusText, statusKind] = STATUS[t.status] || [t.status, ""];
  const sla = SLA[t.sla_state] || [t.sla_state, ""];
  return el("li", {},
    el("button", {
      type: "button",
      class: "ticket-row",
      "aria-current": t.id === state.openId ? "true" : "false",
      dataset: { testid: "ticket-row", id: t.id, assignee: t.assignee || "" },
      onclick: () => openTicket(t.id),
    },
    el("div", { class: "line" },
      el("span", { class: "name" }, t.customer_name || t.customer),
      t.next_due_at ? countdown(t.next_due_at) : el("span", { class: "muted small" }, ago(t.updated_at))),
    el("div", { class: "line" },
      el("span", { class: "row" },
        badge(statusText, statusKind),
        t.priority ? badge(t.priority, PRIORITY[t.priority]) : null,
        t.sla_state === "breached" || t.sla_state === "at_risk" || t.sla_state === "was_breached" ? badge(sla[0], sla[1]) : null,
        ...(t.tags || []).map((tag) => el("span", { class: "tag", dataset: { testid: "row-tag" } }, `#${tag}`))),
      el("span", { class: "muted small" }, [t.team, t.assignee ? `→ ${agentName(t.assignee)}` : "unassigned"].filter(Boolean).join(" · ")))));
}

$("filters").addEventListener("change", () => loadQueue());
// Enter in the tag field filters (and must not submit the form, which would reload the page).
$("filters").addEventListener("submit", (event) => {
  event.preventDefault();
  loadQueue();
});
$("refresh").addEventListener("click", () => loadQueue());
$("more").addEventListener("click", () => loadQueue(true));
$("export-tickets").addEventListener("click", exportTickets);

on("signed-in", () => {
  fillFilters();
  $("export-tickets").classList.toggle("hidden", !supervisor());
  loadQueue();
});
on("refresh", () => loadQueue());
// The change feed (live.js) says the desk moved: a ticket came, moved, got assigned or a message.
on("queue-changed", () => loadQueue());
on("ticket-opened", (id) => document.querySelectorAll(".ticket-row").forEach((row) => row.setAttribute("aria-current", row.dataset.id === id ? "true" : "false")));

// The first view: the tab of the tickets. It is kept current by the change feed (live.js), not
// by reloading on a timer.
addView({ name: "queue", tab: $("tab-queue"), view: $("queue-view") });
