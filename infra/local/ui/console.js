// The agent console. Everything goes over the agent API (/api) with `Authorization: Bearer
// <key>`; every POST, PATCH and PUT carries an Idempotency-Key, reused when the same action is
// retried. The demo agents' keys come from /dev/demo-keys (local runner only).
"use strict";

const $ = (id) => document.getElementById(id);
const KEY_STORE = "console.key";

const state = {
  key: null,
  me: null, // {agent, role, profile}
  agents: [],
  templates: [],
  tickets: [],
  cursor: null,
  openId: null,
  ticket: null,
  mode: "reply",
  pendingKey: null, // {action, key}: reused when the same action is retried
};

const STATUS = {
  bot: ["With bot", ""],
  queued: ["Queued", "info"],
  assigned: ["Assigned", "info"],
  pending_customer: ["Waiting on customer", "warn"],
  resolved: ["Resolved", "ok"],
  closed: ["Closed", ""],
};
const SLA = {
  none: ["No SLA", ""],
  ok: ["SLA on track", "ok"],
  at_risk: ["SLA at risk", "warn"],
  breached: ["SLA breached", "bad"],
  was_breached: ["SLA was breached", "bad"],
};
const PRIORITY = { urgent: "bad", high: "warn", normal: "", low: "" };
const TARGETS = { first_response: "First response", next_response: "Next response", resolution: "Resolution", bot_time_limit: "Bot time limit", bot_silence: "Bot silence (self-service)" };

// ---- small helpers -------------------------------------------------------------------------

function el(tag, props = {}, ...children) {
  const node = document.createElementNS(tag === "svg" || props.svg ? "http://www.w3.org/2000/svg" : "http://www.w3.org/1999/xhtml", tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "svg") continue;
    if (key === "class") node.setAttribute("class", value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value !== undefined && value !== null && value !== false) node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}
const svg = (tag, props = {}, ...children) => el(tag, { ...props, svg: true }, ...children);

function badge(text, kind = "") {
  return el("span", { class: `badge ${kind}` }, text);
}

function idempotencyKey() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return "ui-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

let toastTimer;
function toast(text, error = false) {
  const t = $("toast");
  t.textContent = text;
  t.classList.toggle("error", error);
  t.classList.remove("hidden");
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => t.classList.add("hidden"), error ? 6000 : 3000);
}

function ago(at) {
  const s = Math.round((Date.now() - new Date(at).getTime()) / 1000);
  if (s < 60) return "just now";
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return new Date(at).toLocaleDateString();
}

function clock(at) {
  const d = new Date(at);
  const today = new Date().toDateString() === d.toDateString();
  return today ? d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) : d.toLocaleString([], { dateStyle: "short", timeStyle: "short" });
}

function duration(seconds) {
  const s = Math.abs(Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, "0")}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}

/** A live countdown to `due`: "due in 4m 10s" or "overdue 2m 03s" (updated every second). */
function countdown(due, prefix = "due in") {
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

function agentName(id) {
  const a = state.agents.find((x) => x.id === id);
  return a ? a.name : id;
}

// ---- the API -------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, body) {
    super(body.message || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

/** Calls the agent API. `action` names a user action: its Idempotency-Key is kept until it succeeds. */
async function api(method, path, body, action) {
  const headers = { Authorization: `Bearer ${state.key}` };
  if (method !== "GET") {
    headers["Content-Type"] = "application/json";
    // The key belongs to one request: the same action with other input (an edited reply) is
    // another request and gets a new key (the API refuses a key reused on another request).
    const name = `${action || `${method} ${path}`} ${JSON.stringify(body === undefined ? null : body)}`;
    if (!state.pendingKey || state.pendingKey.action !== name) state.pendingKey = { action: name, key: idempotencyKey() };
    headers["Idempotency-Key"] = state.pendingKey.key;
  }
  const response = await fetch(`/api${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const data = await response.json().catch(() => ({}));
  if (response.status === 401) {
    signOut("Your key is no longer valid; sign in again.");
    throw new ApiError(401, data);
  }
  if (!response.ok) {
    // A conflict or refusal is final for this attempt; a 503 may be repeated with the same key.
    if (response.status !== 503) state.pendingKey = null;
    throw new ApiError(response.status, data);
  }
  if (method !== "GET") state.pendingKey = null;
  return data;
}

// ---- sign in -------------------------------------------------------------------------------

async function showLogin(message) {
  $("app").classList.add("hidden");
  $("login").classList.remove("hidden");
  $("login-error").textContent = message || "";
  const box = $("demo-agents");
  box.replaceChildren();
  try {
    const response = await fetch("/dev/demo-keys");
    if (!response.ok) return;
    const keys = await response.json();
    box.append(el("p", { class: "muted small" }, "Demo agents:"));
    for (const k of keys) {
      box.append(el("button", { type: "button", dataset: { testid: "demo-agent", agent: k.agent }, onclick: () => signIn(k.key) },
        el("strong", {}, k.agent), badge(k.role, k.role === "agent" ? "" : "info")));
    }
  } catch (_) { /* no demo keys: sign in with a key */ }
}

$("key-form").addEventListener("submit", (event) => {
  event.preventDefault();
  signIn($("key-input").value.trim());
});

async function signIn(key) {
  state.key = key;
  try {
    state.me = await api("GET", "/me");
  } catch (error) {
    state.key = null;
    $("login-error").textContent = error.status === 401 ? "That key is not valid." : error.message;
    return;
  }
  sessionStorage.setItem(KEY_STORE, key);
  $("login").classList.add("hidden");
  $("app").classList.remove("hidden");
  $("me").textContent = `${state.me.profile ? state.me.profile.name : state.me.agent} · ${state.me.role}`;
  const supervisor = state.me.role !== "agent";
  $("tab-dashboard").classList.toggle("hidden", !supervisor);
  paintPresence();
  await Promise.all([loadAgents(), loadTemplates()]);
  fillFilters();
  showView("queue");
  loadQueue();
}

function signOut(message) {
  sessionStorage.removeItem(KEY_STORE);
  state.key = null;
  state.me = null;
  state.openId = null;
  state.ticket = null;
  $("ticket-body").classList.add("hidden");
  $("ticket-placeholder").classList.remove("hidden");
  showLogin(message);
}
$("logout").addEventListener("click", () => signOut());

async function loadAgents() {
  try {
    state.agents = (await api("GET", "/agents")).agents;
  } catch (_) {
    state.agents = [];
  }
}

async function loadTemplates() {
  try {
    state.templates = (await api("GET", "/templates")).templates;
  } catch (_) {
    state.templates = [];
  }
}

// ---- presence ------------------------------------------------------------------------------

function paintPresence() {
  const online = Boolean(state.me.profile && state.me.profile.online);
  $("presence").checked = online;
  $("presence-label").textContent = online ? "Online" : "Offline";
  $("presence").disabled = !state.me.profile;
}

$("presence").addEventListener("change", async () => {
  const online = $("presence").checked;
  try {
    const agent = await api("PUT", `/agents/${encodeURIComponent(state.me.agent)}/presence`, { online }, `presence ${online}`);
    state.me.profile = agent;
    toast(online ? "You are online: routing assigns you tickets." : "You are offline: no new tickets.");
  } catch (error) {
    toast(error.message, true);
  }
  paintPresence();
});

// ---- views ---------------------------------------------------------------------------------

function showView(view) {
  $("queue-view").classList.toggle("hidden", view !== "queue");
  $("dashboard-view").classList.toggle("hidden", view !== "dashboard");
  $("tab-queue").setAttribute("aria-current", view === "queue" ? "page" : "false");
  $("tab-dashboard").setAttribute("aria-current", view === "dashboard" ? "page" : "false");
  if (view === "dashboard") loadDashboard();
}
$("tab-queue").addEventListener("click", () => showView("queue"));
$("tab-dashboard").addEventListener("click", () => showView("dashboard"));

// ---- the queue -----------------------------------------------------------------------------

function fillFilters() {
  const supervisor = state.me.role !== "agent";
  const assignee = $("f-assignee");
  assignee.replaceChildren(el("option", { value: "" }, "Anyone"), el("option", { value: "me" }, "Mine"));
  if (supervisor) {
    for (const a of state.agents) if (a.id !== state.me.agent) assignee.append(el("option", { value: a.id }, a.name));
  }
  const teams = new Set(supervisor ? state.agents.flatMap((a) => a.teams) : (state.me.profile ? state.me.profile.teams : []));
  $("f-team").replaceChildren(el("option", { value: "" }, supervisor ? "All teams" : "My teams"), ...[...teams].sort().map((t) => el("option", { value: t }, t)));
}

$("filters").addEventListener("change", () => loadQueue());
$("refresh").addEventListener("click", () => loadQueue());
$("more").addEventListener("click", () => loadQueue(true));

function queueQuery(more) {
  const q = new URLSearchParams({ limit: "50" });
  for (const [id, name] of [["f-status", "status"], ["f-assignee", "assignee"], ["f-team", "team"], ["f-priority", "priority"], ["f-sla", "sla"]]) {
    if ($(id).value) q.set(name, $(id).value);
  }
  if (more && state.cursor) q.set("cursor", state.cursor);
  return q.toString();
}

let queueBusy = false;
async function loadQueue(more = false) {
  if (!state.key || queueBusy) return;
  queueBusy = true;
  try {
    const page = await api("GET", `/tickets?${queueQuery(more)}`);
    state.tickets = more ? state.tickets.concat(page.tickets) : page.tickets;
    state.cursor = page.next_cursor;
    renderQueue();
  } catch (error) {
    if (error.status !== 401) toast(`Queue: ${error.message}`, true);
  } finally {
    queueBusy = false;
  }
}

function urgency(t) {
  const rank = { breached: 0, at_risk: 1 }[t.sla_state] ?? 2;
  const due = t.next_due_at ? new Date(t.next_due_at).getTime() : Infinity;
  return [rank, due];
}

function renderQueue() {
  const tickets = [...state.tickets].sort((a, b) => {
    const [ra, da] = urgency(a);
    const [rb, db] = urgency(b);
    return ra - rb || da - db || a.created_at.localeCompare(b.created_at);
  });
  $("tickets").replaceChildren(...tickets.map(ticketRow));
  $("tickets-empty").classList.toggle("hidden", tickets.length > 0);
  $("queue-count").textContent = `${tickets.length} ticket${tickets.length === 1 ? "" : "s"}`;
  $("more").classList.toggle("hidden", !state.cursor);
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
        t.sla_state === "breached" || t.sla_state === "at_risk" || t.sla_state === "was_breached" ? badge(sla[0], sla[1]) : null),
      el("span", { class: "muted small" }, [t.team, t.assignee ? `→ ${agentName(t.assignee)}` : "unassigned"].filter(Boolean).join(" · ")))));
}

// ---- one ticket ----------------------------------------------------------------------------

async function openTicket(id) {
  state.openId = id;
  state.ticket = null;
  hideTemplates();
  $("compose-text").value = "";
  document.querySelectorAll(".ticket-row").forEach((row) => row.setAttribute("aria-current", row.dataset.id === id ? "true" : "false"));
  await loadTicket(true);
}

let ticketBusy = false;
async function loadTicket(scroll = false) {
  if (!state.openId || ticketBusy) return;
  ticketBusy = true;
  try {
    const t = await api("GET", `/tickets/${state.openId}`);
    const changed = !state.ticket || state.ticket.version !== t.version || state.ticket.messages.length !== t.messages.length
      || JSON.stringify(state.ticket.messages.map((m) => m.delivery)) !== JSON.stringify(t.messages.map((m) => m.delivery));
    state.ticket = t;
    if (changed) renderTicket(scroll);
  } catch (error) {
    if (error.status !== 401) toast(`Ticket: ${error.message}`, true);
  } finally {
    ticketBusy = false;
  }
}

function renderTicket(scroll) {
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
  renderActions(t);
  renderConversation(t, scroll);
  renderSla(t);
  renderDetails(t);
  renderActivity(t);
  paintComposer();
}

function renderActions(t) {
  const me = state.me.agent;
  const supervisor = state.me.role !== "agent";
  const open = !["resolved", "closed"].includes(t.status);
  const buttons = [];
  if (open && t.assignee !== me) buttons.push(el("button", { type: "button", class: "primary", dataset: { testid: "assign-me" }, onclick: () => act("assign", { agent: me }, "Assigned to you") }, "Assign to me"));
  if (open && t.assignee === me) buttons.push(el("button", { type: "button", onclick: () => act("assign", { agent: null }, "Given back to the queue") }, "Give back"));
  if (open && supervisor) {
    const pick = el("select", { "aria-label": "Assign to agent", dataset: { testid: "assign-select" } },
      el("option", { value: "" }, "Assign to…"),
      state.agents.filter((a) => a.id !== t.assignee).map((a) => el("option", { value: a.id }, `${a.name} (${a.load}/${a.capacity}${a.online ? "" : ", offline"})`)));
    pick.addEventListener("change", () => pick.value && act("assign", { agent: pick.value }, `Assigned to ${agentName(pick.value)}`));
    buttons.push(pick);
  }
  if (open && t.status !== "pending_customer") buttons.push(el("button", { type: "button", onclick: () => act("pending", {}, "Waiting on the customer: SLA clocks paused") }, "Waiting on customer"));
  if (open) buttons.push(el("button", { type: "button", dataset: { testid: "resolve" }, onclick: () => act("resolve", {}, "Resolved: the customer gets the rating question") }, "Resolve"));
  if (!open) buttons.push(el("button", { type: "button", dataset: { testid: "reopen" }, onclick: () => act("reopen", {}, "Reopened") }, "Reopen"));
  const priority = el("select", { "aria-label": "Priority" },
    ["", "low", "normal", "high", "urgent"].map((p) => el("option", { value: p, selected: (t.priority || "") === p }, p ? `Priority: ${p}` : "Priority: –")));
  priority.addEventListener("change", () => priority.value && update({ priority: priority.value }));
  buttons.push(el("span", { class: "spacer" }), priority);
  $("t-actions").replaceChildren(...buttons);
}

/**
 * Who wrote each outbound message: the activity log records an agent's reply or template just
 * before the message is sent, so each such entry claims the first outbound message at or after
 * it; the rest are the bot's.
 */
/// The attachment of a message: a preview for images, a link for other files, or why it is missing.
function mediaView(m) {
  const media = m.media;
  if (!media) return null;
  if (media.url && (media.mime_type || "").startsWith("image/")) {
    return el("a", { href: media.url, target: "_blank", rel: "noopener" },
      el("img", { class: "media-preview", src: media.url, alt: `${m.kind} from the customer` }));
  }
  if (media.url) {
    const size = media.size ? ` · ${Math.ceil(media.size / 1024)} KB` : "";
    return el("a", { class: "file", href: media.url, target: "_blank", rel: "noopener" }, `📎 ${media.mime_type || m.kind}${size}`);
  }
  return el("span", { class: "muted small" }, `[${m.kind} not kept: ${media.refused || "still being fetched"}]`);
}

function withMentions(text) {
  return text.split(/(@[A-Za-z0-9_-]+)/).map((part) => (part.startsWith("@") ? el("span", { class: "mention" }, part) : part));
}

function renderConversation(t, scroll) {
  const box = $("t-conversation");
  const nearBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
  const items = [
    ...t.messages.map((m) => ({ at: m.sent_at, kind: "message", m })),
    ...t.activity.filter((a) => a.kind === "note").map((a) => ({ at: a.at, kind: "note", a })),
    ...t.activity.filter((a) => ["assigned", "unassigned", "taken_over", "resolved", "reopened", "pending"].includes(a.kind)).map((a) => ({ at: a.at, kind: "event", a })),
  ].sort((x, y) => new Date(x.at) - new Date(y.at));
  const nodes = items.map((item) => {
    if (item.kind === "note") {
      return el("div", { class: "msg note", dataset: { testid: "note" } },
        el("div", { class: "who" }, el("span", {}, `Internal note · ${agentName(item.a.actor)}`), el("span", {}, clock(item.a.at))),
        withMentions(item.a.text || ""));
    }
    if (item.kind === "event") return el("div", { class: "system-line" }, `${activityText(item.a)} · ${clock(item.a.at)}`);
    const m = item.m;
    const author = m.direction === "outbound" ? m.sent_by || "bot" : null;
    const who = m.direction === "inbound" ? (t.customer_name || "Customer") : author === "bot" ? "Bot" : agentName(author);
    const delivery = m.direction === "outbound" && m.delivery ? ` · ${m.delivery}` : "";
    const kind = m.kind && m.kind !== "text" ? badge(m.kind.replace("_", " ")) : null;
    return el("div", { class: `msg ${m.direction} ${author === "bot" ? "bot" : ""}`, dataset: { testid: "message", direction: m.direction } },
      el("div", { class: "who" }, el("span", {}, who, " ", kind), el("span", {}, `${clock(m.sent_at)}${delivery}`)),
      mediaView(m), m.text || (m.media ? "" : `[${m.kind}]`));
  });
  box.replaceChildren(...nodes);
  if (scroll || nearBottom) box.scrollTop = box.scrollHeight;
}

function activityText(a) {
  const who = agentName(a.actor);
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
    case "reopened": return `${who} reopened the ticket`;
    case "template_sent": return `${who} sent a template${a.text ? `: ${a.text}` : ""}`;
    case "taken_over": return `${who} took the ticket from ${agentName(a.text)}`;
    default: return `${who}: ${a.kind}${a.text ? ` ${a.text}` : ""}`;
  }
}

function renderSla(t) {
  const clocks = (t.sla && t.sla.clocks) || [];
  const box = $("t-sla");
  if (!clocks.length) {
    box.replaceChildren(el("p", { class: "muted small" }, "No SLA clocks on this ticket."));
    return;
  }
  const stateBadge = { running: ["running", "info"], at_risk: ["at risk", "warn"], breached: ["breached", "bad"], met: ["met", "ok"], met_late: ["met late", "bad"], paused: ["paused", ""] };
  box.replaceChildren(
    el("p", { class: "muted small" }, `Policy: ${t.sla.policy || "–"}`),
    ...clocks.map((c) => {
      const [text, kind] = stateBadge[c.state] || [c.state, ""];
      const live = c.due_at && ["running", "at_risk", "breached"].includes(c.state);
      return el("div", { class: "clock", dataset: { testid: "sla-clock", target: c.target } },
        el("span", {}, TARGETS[c.target] || c.target),
        badge(text, kind),
        el("span", { class: "when" },
          live ? countdown(c.due_at) : c.met_at ? `met ${clock(c.met_at)}` : c.due_at ? `due ${clock(c.due_at)}` : "",
          c.due_at && live ? ` (due ${clock(c.due_at)})` : ""));
    }),
  );
}

function renderDetails(t) {
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
  $("t-details").replaceChildren(...rows.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
}

function renderActivity(t) {
  const items = [...t.activity].sort((a, b) => new Date(b.at) - new Date(a.at));
  $("t-activity").replaceChildren(
    ...(items.length ? items.map((a) => el("li", {}, el("div", {}, activityText(a)), el("div", { class: "when" }, clock(a.at)))) : [el("li", { class: "muted" }, "Nothing yet.")]),
  );
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
  await Promise.all([loadTicket(), loadQueue(), loadAgents()]);
}

async function update(fields) {
  const t = state.ticket;
  try {
    await api("PATCH", `/tickets/${t.id}`, { ...fields, version: t.version }, `update ${t.id} ${JSON.stringify(fields)}`);
    toast("Saved");
  } catch (error) {
    toast(error.message, true);
  }
  await Promise.all([loadTicket(), loadQueue()]);
}

// ---- composing: reply, note with @mentions, templates ----------------------------------------

function setMode(mode) {
  state.mode = mode;
  $("mode-reply").setAttribute("aria-selected", String(mode === "reply"));
  $("mode-note").setAttribute("aria-selected", String(mode === "note"));
  paintComposer();
  $("compose-text").focus();
}
$("mode-reply").addEventListener("click", () => setMode("reply"));
$("mode-note").addEventListener("click", () => setMode("note"));

function paintComposer() {
  const note = state.mode === "note";
  const t = state.ticket;
  $("composer").classList.toggle("note-mode", note);
  $("compose-text").placeholder = note ? "Internal note for your team; @name notifies a colleague (Ctrl+Enter saves)" : "Write a reply… (Ctrl+Enter sends)";
  $("compose-send").textContent = note ? "Add note" : "Send reply";
  $("compose-hint").textContent = note ? "Only agents see notes." : "The customer receives this on WhatsApp.";
  $("show-templates").classList.toggle("hidden", note);
  const closed = t && !t.service_window_open && !note;
  $("window-notice").classList.toggle("hidden", !closed);
  $("window-notice").textContent = closed ? "The customer last wrote more than 24 hours ago: WhatsApp only allows an approved template now." : "";
}

async function sendComposed() {
  const t = state.ticket;
  const text = $("compose-text").value.trim();
  if (!t || !text) return;
  const path = state.mode === "note" ? "notes" : "reply";
  $("compose-send").disabled = true;
  try {
    await api("POST", `/tickets/${t.id}/${path}`, { text, version: t.version }, `${path} ${t.id} ${text}`);
    $("compose-text").value = "";
    toast(state.mode === "note" ? "Note added" : "Reply sent");
    hideMentions();
  } catch (error) {
    if (error.status === 422 && error.body.error === "outside_service_window") {
      showTemplates(error.body.templates, text);
      toast("Outside the 24 h window: choose a template.", true);
    } else if (error.status === 409 && error.body.error === "version_conflict") {
      toast("The ticket changed meanwhile (new message?). Check the conversation and send again.", true);
    } else {
      toast(error.message, true);
    }
  } finally {
    $("compose-send").disabled = false;
  }
  await Promise.all([loadTicket(true), loadQueue()]);
}
$("compose-send").addEventListener("click", sendComposed);
$("compose-text").addEventListener("keydown", (event) => {
  if (!$("mentions").classList.contains("hidden") && ["ArrowDown", "ArrowUp", "Enter", "Tab", "Escape"].includes(event.key)) {
    mentionKey(event);
    return;
  }
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    sendComposed();
  }
});

// @mentions: typing "@" in a note suggests agents.
function mentionQuery() {
  const area = $("compose-text");
  const before = area.value.slice(0, area.selectionStart);
  const match = before.match(/@([A-Za-z0-9_-]*)$/);
  return match ? match[1].toLowerCase() : null;
}
$("compose-text").addEventListener("input", () => {
  const q = state.mode === "note" ? mentionQuery() : null;
  if (q === null) return hideMentions();
  const hits = state.agents.filter((a) => a.id.toLowerCase().startsWith(q) || a.name.toLowerCase().includes(q)).slice(0, 6);
  if (!hits.length) return hideMentions();
  $("mentions").replaceChildren(...hits.map((a, i) => el("li", {
    role: "option", "aria-selected": String(i === 0), dataset: { id: a.id },
    onmousedown: (event) => { event.preventDefault(); insertMention(a.id); },
  }, `${a.name} `, el("span", { class: "muted small" }, `@${a.id}`))));
  $("mentions").classList.remove("hidden");
});
function hideMentions() {
  $("mentions").classList.add("hidden");
}
function mentionKey(event) {
  const items = [...$("mentions").children];
  const at = items.findIndex((li) => li.getAttribute("aria-selected") === "true");
  if (event.key === "Escape") return hideMentions();
  event.preventDefault();
  if (event.key === "Enter" || event.key === "Tab") return insertMention(items[Math.max(0, at)].dataset.id);
  const next = (at + (event.key === "ArrowDown" ? 1 : items.length - 1)) % items.length;
  items.forEach((li, i) => li.setAttribute("aria-selected", String(i === next)));
}
function insertMention(id) {
  const area = $("compose-text");
  const before = area.value.slice(0, area.selectionStart).replace(/@([A-Za-z0-9_-]*)$/, `@${id} `);
  const after = area.value.slice(area.selectionStart);
  area.value = before + after;
  area.selectionStart = area.selectionEnd = before.length;
  hideMentions();
  area.focus();
}

function templateParams(body) {
  const numbers = [...body.matchAll(/\{\{(\d+)\}\}/g)].map((m) => Number(m[1]));
  return numbers.length ? Math.max(...numbers) : 0;
}

function showTemplates(templates, draft) {
  const list = templates && templates.length ? templates : state.templates;
  const t = state.ticket;
  const select = $("template-select");
  select.replaceChildren(...list.map((tpl, i) => el("option", { value: String(i) }, `${tpl.name} (${tpl.language})`)));
  const preferred = list.findIndex((tpl) => tpl.language === "de");
  if (preferred >= 0) select.value = String(preferred);
  const paint = () => {
    const tpl = list[Number(select.value)];
    if (!tpl) return;
    const count = templateParams(tpl.body);
    const old = [...$("template-params").querySelectorAll("input")].map((i) => i.value);
    $("template-params").replaceChildren(...Array.from({ length: count }, (_, i) => {
      const guess = old[i] ?? (i === 0 ? (t.customer_name || "") : i === 1 ? (draft || "") : "");
      const input = el("input", { "aria-label": `Parameter {{${i + 1}}}`, placeholder: `{{${i + 1}}}`, value: guess, dataset: { testid: "template-param" } });
      input.addEventListener("input", preview);
      return input;
    }));
    preview();
  };
  const preview = () => {
    const tpl = list[Number(select.value)];
    const values = [...$("template-params").querySelectorAll("input")].map((i) => i.value);
    $("template-preview").textContent = tpl.body.replace(/\{\{(\d+)\}\}/g, (_, n) => values[n - 1] || `{{${n}}}`);
  };
  select.onchange = paint;
  $("template-send").onclick = async () => {
    const tpl = list[Number(select.value)];
    const params = [...$("template-params").querySelectorAll("input")].map((i) => i.value.trim());
    if (params.some((p) => !p)) return toast("Fill in every parameter.", true);
    try {
      await api("POST", `/tickets/${t.id}/template`, { name: tpl.name, language: tpl.language, params, version: state.ticket.version }, `template ${t.id} ${tpl.name} ${params.join("|")}`);
      toast("Template sent");
      hideTemplates();
      $("compose-text").value = "";
    } catch (error) {
      toast(error.message, true);
    }
    await Promise.all([loadTicket(true), loadQueue()]);
  };
  paint();
  $("templates").classList.remove("hidden");
  $("compose-box").classList.add("hidden");
}
function hideTemplates() {
  $("templates").classList.add("hidden");
  $("compose-box").classList.remove("hidden");
}
$("template-cancel").addEventListener("click", hideTemplates);
$("show-templates").addEventListener("click", () => showTemplates(state.templates, $("compose-text").value.trim()));

// ---- dashboard (supervisors) -----------------------------------------------------------------

function isoDay(d) {
  return d.toISOString().slice(0, 10);
}

async function loadDashboard() {
  if (!$("d-to").value) {
    const today = new Date();
    $("d-to").value = isoDay(today);
    $("d-from").value = isoDay(new Date(today.getTime() - 13 * 86400000));
  }
  const q = new URLSearchParams({ from: $("d-from").value, to: $("d-to").value, scope: $("d-scope").value || "all" });
  try {
    const report = await api("GET", `/analytics?${q}`);
    renderDashboard(report);
  } catch (error) {
    toast(`Analytics: ${error.message}`, true);
  }
}
$("range").addEventListener("submit", (event) => {
  event.preventDefault();
  loadDashboard();
});

const pct = (x) => (x === null || x === undefined ? "–" : `${Math.round(x * 1000) / 10} %`);
const secs = (x) => (x === null || x === undefined ? "–" : duration(x));

function renderDashboard(r) {
  const scope = $("d-scope");
  const current = scope.value || "all";
  scope.replaceChildren(...["all", ...r.scopes.filter((s) => s !== "all")].map((s) => el("option", { value: s, selected: s === current }, s === "all" ? "Everyone" : s)));
  const kpis = [
    ["Opened", r.opened],
    ["Resolved", r.resolved],
    ["Bot resolution rate", pct(r.bot_resolution_rate)],
    ["Handoff rate", pct(r.handoff_rate)],
    ["Avg. first response", secs(r.first_response.average_seconds)],
    ["Avg. resolution", secs(r.resolution.average_seconds)],
    ["CSAT", r.csat_average === null ? "–" : `${r.csat_average.toFixed(1)} / 5 (${r.csat_count})`],
  ];
  $("kpis").replaceChildren(...kpis.map(([label, value]) => el("div", { class: "kpi" }, el("div", { class: "label" }, label), el("div", { class: "value" }, value))));
  $("c-volume").replaceChildren(volumeChart(r.per_day));
  $("c-times").replaceChildren(timesChart(r));
  $("c-sla").replaceChildren(slaChart(r.sla_by_target));
  $("c-bot").replaceChildren(botChart(r));
  $("c-csat").replaceChildren(csatChart(r.csat_distribution));
  $("c-hours").replaceChildren(hoursChart(r.per_hour));
}

function noData() {
  return el("p", { class: "muted small" }, "No data in this range yet.");
}

function legend(items) {
  return el("div", { class: "legend" }, items.map(([color, text]) => el("span", {}, el("i", { style: `background:${color}` }), text)));
}

function volumeChart(days) {
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

function timesChart(r) {
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

function slaChart(byTarget) {
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

function botChart(r) {
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

function csatChart(distribution) {
  const rows = [5, 4, 3, 2, 1].map((score) => ({
    label: `${"★".repeat(score)}${"☆".repeat(5 - score)}`,
    value: distribution[score] || distribution[String(score)] || 0,
    color: score >= 4 ? "#2da44e" : score === 3 ? "#d4a72c" : "#cf222e",
  }));
  if (rows.every((r) => !r.value)) return noData();
  return hbars(rows, { format: (v) => String(v) });
}

function hoursChart(perHour) {
  if (!perHour.some((v) => v > 0)) return noData();
  const W = 520, H = 140, pad = 20, max = Math.max(1, ...perHour), step = (W - pad * 2) / 24;
  return svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": "Tickets opened per hour of day" },
    perHour.map((v, h) => {
      const height = (v / max) * (H - pad * 2);
      return svg("rect", { x: pad + h * step + 1, y: H - pad - height, width: step - 2, height, fill: "#1f6feb", rx: 2 }, svg("title", {}, `${h}:00 – ${v}`));
    }),
    [0, 6, 12, 18, 23].map((h) => svg("text", { x: pad + h * step + step / 2, y: H - 5, "text-anchor": "middle" }, `${h}h`)));
}

// ---- start ---------------------------------------------------------------------------------

setInterval(() => {
  if (!state.key || document.hidden) return;
  if (!$("queue-view").classList.contains("hidden")) {
    loadQueue();
    loadTicket();
  }
}, 3000);

(function start() {
  const saved = sessionStorage.getItem(KEY_STORE);
  if (saved) signIn(saved);
  else showLogin();
})();
