// What the console's modules share: the session state and a small event bus, so a panel never
// imports another panel. Events:
//   "signed-in"      the agent is signed in and agents and templates are loaded
//   "signed-out"     the session ended
//   "refresh"        reload what is shown; detail {scroll, agents}: see `refresh`
//   "ticket-opened"  the agent picked another ticket (detail: its id), before it loads
//   "ticket"         the open ticket was (re)rendered (detail: {ticket, scroll})
//   "unauthorized"   the API refused the key

export const state = {
  key: null,
  me: null, // {agent, role, profile}
  agents: [],
  templates: [],
  openId: null,
  ticket: null,
  mode: "reply", // the composer's: "reply" or "note"
};

const handlers = new Map();

/** Calls `handler(detail)` on every `event`; it may return a promise. */
export function on(event, handler) {
  if (!handlers.has(event)) handlers.set(event, []);
  handlers.get(event).push(handler);
}

/** Runs every handler of `event` (in the order they were added) and waits for all of them. */
export function emit(event, detail) {
  return Promise.all((handlers.get(event) || []).map((handler) => handler(detail)));
}

/** Reloads the queue and the open ticket (and the agents' load with `agents`); `scroll` moves
 * the conversation to its end. Resolves when all of it is shown. */
export const refresh = ({ scroll = false, agents = false } = {}) => emit("refresh", { scroll, agents });

/** True for supervisors and admins. */
export const supervisor = () => Boolean(state.me) && state.me.role !== "agent";
