// The open ticket: loading it (again when the change feed says it moved), its header, and the parts that show it. Each
// part (actions, conversation, side panels, composer) is a module that listens to the "ticket"
// event; a new side panel calls `sidePanel` for its box and renders into it on that event.
import { $, el } from "../dom.js";
import { api } from "./api.js";
import { emit, on, state } from "./app.js";
import { PRIORITY, SLA, STATUS, badge, clock } from "./format.js";
import { toast } from "./toast.js";

let busy = false;
let again = false; // a reload asked for while one ran: run it after (it may show a later change)

export async function openTicket(id) {
  state.openId = id;
  state.ticket = null;
  await emit("ticket-opened", id);
  await loadTicket(true);
}

async function loadTicket(scroll = false) {
  if (!state.openId) return;
  if (busy) {
    again = true;
    return;
  }
  busy = true;
  try {
    const t = await api("GET", `/tickets/${state.openId}`);
    const changed = !state.ticket || state.ticket.version !== t.version || state.ticket.messages.length !== t.messages.length
      || JSON.stringify(state.ticket.messages.map((m) => m.delivery)) !== JSON.stringify(t.messages.map((m) => m.delivery));
    state.ticket = t;
    if (changed) render(scroll);
  } catch (error) {
    if (error.status !== 401) toast(`Ticket: ${error.message}`, true);
  } finally {
    busy = false;
    if (again) {
      again = false;
      await loadTicket();
    }
  }
}

function render(scroll) {
  const t = state.ticket;
  $("ticket-placeholder").classList.add("hidden");
  $("ticket-body").classList.remove("hidden");
  $("t-title").textContent = t.customer_name || `+${t.customer}`;
  $("t-sub").textContent = `+${t.customer} · ticket ${t.id} · opened ${clock(t.created_at)}`;
  const [statusText, statusKind] = STATUS[t.status] || [t.status, ""];
  const sla = SLA[t.sla_state] || [t.sla_state, ""];
  $("t-badges").replaceChildren(
    badge(statusText, statusKind),
    t.priority ? badge(`${t.priority} priority`, PRIORITY[t.priority]) : null,
    badge(sla[0], sla[1]),
    t.service_window_open ? badge("24 h window open", "ok") : badge("24 h window closed", "warn"),
  );
  emit("ticket", { ticket: t, scroll });
}

/** A titled box in the ticket's side column (after the ones there); returns its content node.
 * `testid` names it for tests. */
export function sidePanel(title, testid) {
  const body = el("div", { dataset: { testid } });
  $("ticket-side").append(el("section", {}, el("h3", {}, title), body));
  return body;
}

on("refresh", ({ scroll }) => loadTicket(scroll));
// The change feed (live.js) says the open ticket moved: a message, a delivery tick, a note.
on("ticket-changed", () => loadTicket());
on("signed-out", () => {
  $("ticket-body").classList.add("hidden");
  $("ticket-placeholder").classList.remove("hidden");
});
