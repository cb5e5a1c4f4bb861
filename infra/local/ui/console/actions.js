// The ticket's action bar: take, give back, assign (supervisors), wait on the customer,
// resolve, reopen, priority. Every action sends the version the agent saw.
import { $, el } from "../dom.js";
import { api } from "./api.js";
import { on, refresh, state, supervisor } from "./app.js";
import { agentName } from "./directory.js";
import { toast } from "./toast.js";

function render(t) {
  const me = state.me.agent;
  const open = !["resolved", "closed"].includes(t.status);
  const buttons = [];
  if (open && t.assignee !== me) buttons.push(el("button", { type: "button", class: "primary", dataset: { testid: "assign-me" }, onclick: () => act("assign", { agent: me }, "Assigned to you") }, "Assign to me"));
  if (open && t.assignee === me) buttons.push(el("button", { type: "button", dataset: { testid: "give-back" }, onclick: () => act("assign", { agent: null }, "Given back to the queue") }, "Give back"));
  if (open && supervisor()) {
    const pick = el("select", { "aria-label": "Assign to agent", dataset: { testid: "assign-select" } },
      el("option", { value: "" }, "Assign to…"),
      state.agents.filter((a) => a.id !== t.assignee).map((a) => el("option", { value: a.id }, `${a.name} (${a.load}/${a.capacity}${a.online ? "" : ", offline"})`)));
    pick.addEventListener("change", () => pick.value && act("assign", { agent: pick.value }, `Assigned to ${agentName(pick.value)}`));
    buttons.push(pick);
  }
  if (open && t.status !== "pending_customer") buttons.push(el("button", { type: "button", dataset: { testid: "pending" }, onclick: () => act("pending", {}, "Waiting on the customer: SLA clocks paused") }, "Waiting on customer"));
  if (open) buttons.push(el("button", { type: "button", dataset: { testid: "resolve" }, onclick: () => act("resolve", {}, "Resolved: the customer gets the rating question") }, "Resolve"));
  if (!open) buttons.push(el("button", { type: "button", dataset: { testid: "reopen" }, onclick: () => act("reopen", {}, "Reopened") }, "Reopen"));
  const priority = el("select", { "aria-label": "Priority", dataset: { testid: "priority-select" } },
    ["", "low", "normal", "high", "urgent"].map((p) => el("option", { value: p, selected: (t.priority || "") === p }, p ? `Priority: ${p}` : "Priority: –")));
  priority.addEventListener("change", () => priority.value && update({ priority: priority.value }));
  buttons.push(el("span", { class: "spacer" }), priority);
  $("t-actions").replaceChildren(...buttons);
}

async function act(action, body, done) {
  const t = state.ticket;
  try {
    await api("POST", `/tickets/${t.id}/${action}`, { ...body, version: t.version }, `${action} ${t.id} ${JSON.stringify(body)}`);
    toast(done);
  } catch (error) {
    if (error.status === 409 && error.body.error === "version_conflict") toast("Someone changed this ticket meanwhile; it is reloaded, try again.", true);
    else toast(error.message, true);
  }
  await refresh({ agents: true });
}

async function update(fields) {
  const t = state.ticket;
  try {
    await api("PATCH", `/tickets/${t.id}`, { ...fields, version: t.version }, `update ${t.id} ${JSON.stringify(fields)}`);
    toast("Saved");
  } catch (error) {
    toast(error.message, true);
  }
  await refresh();
}

on("ticket", ({ ticket }) => render(ticket));
