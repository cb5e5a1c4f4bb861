// The live console: instead of re-reading the queue and the open ticket every few seconds, poll
// the change feed (`GET /api/changes?since=<token>&ticket=<id>`, one cheap read of two counters)
// and re-read only what moved. New customer messages, delivery ticks, assignments and queue
// changes show within about 2 s on every open console. README: "Live console".
//
// Events it emits: "queue-changed" (queue.js reloads the list), "ticket-changed" (ticket.js
// reloads the open ticket). When a ticket opens, or moves while it is open and the page is
// visible, the customer's newest message is marked read with a typing indicator (the API does
// that once per message, and never for a conversation the bot answers).
import { requestJson } from "../dom.js";
import { emit, on, state } from "./app.js";

/** How often the feed is asked (the 3 s promise minus a reload). */
const POLL_MS = 1500;
/** GSIs behind the queue are eventually consistent: the queue is read once more after this. */
const SETTLE_MS = 1000;
/** A full reload now and then covers a counter bump that was lost. */
const FULL_MS = 60000;

let token = null; // "<desk>.<ticket>" as the API gave it
let following = null; // the ticket the token's second part belongs to
let timer = null;
let lastFull = Date.now();

async function feed(query) {
  const answer = await requestJson("GET", `/api/changes?${query}`, { headers: { Authorization: `Bearer ${state.key}` } });
  if (answer.status === 401) {
    emit("unauthorized");
    return null;
  }
  return answer.ok ? answer.body : null;
}

/** Starts following `ticket` (or none): keeps the desk part of the token, takes the ticket's. */
async function follow(ticket) {
  const now = await feed(ticket ? new URLSearchParams({ ticket }).toString() : "");
  if (!now) return;
  const [desk] = (token || now.token).split(".");
  token = `${desk}.${now.token.split(".")[1]}`;
  following = ticket;
}

async function poll() {
  if (!state.key || document.hidden) return;
  if (following !== state.openId) await follow(state.openId);
  if (!token) return;
  const q = new URLSearchParams({ since: token });
  if (following) q.set("ticket", following);
  const answer = await feed(q.toString());
  if (!answer) return;
  token = answer.token;
  const full = Date.now() - lastFull > FULL_MS;
  if (full) lastFull = Date.now();
  const work = [];
  if (answer.queue || full) {
    work.push(emit("queue-changed"));
    setTimeout(() => emit("queue-changed"), SETTLE_MS);
  }
  if ((answer.ticket || full) && following) {
    work.push(emit("ticket-changed"));
    if (answer.ticket) work.push(markRead(following));
  }
  await Promise.all(work);
}

/** Tells the customer an agent is looking: their newest message turns read, "typing…" shows. */
async function markRead(id) {
  if (!id || document.hidden) return;
  // Not through `api`: that would take over the Idempotency-Key kept for a user's retry.
  await requestJson("POST", `/api/tickets/${encodeURIComponent(id)}/read`, { headers: { Authorization: `Bearer ${state.key}` } }).catch(() => {});
}

function loop() {
  clearTimeout(timer);
  timer = setTimeout(async () => {
    try {
      await poll();
    } finally {
      if (state.key) loop();
    }
  }, POLL_MS);
}

on("signed-in", async () => {
  token = null;
  following = null;
  await follow(state.openId);
  loop();
});
on("signed-out", () => {
  clearTimeout(timer);
  token = null;
  following = null;
});
// Before the ticket loads: a change after this point shows at the next poll.
on("ticket-opened", async (id) => {
  await follow(id);
  markRead(id);
});
document.addEventListener("visibilitychange", () => {
  if (!document.hidden && state.key) {
    poll().finally(loop);
  }
});
