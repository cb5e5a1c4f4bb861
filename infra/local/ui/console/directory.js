// The agents and WhatsApp templates the console knows, loaded at sign-in (the agents again
// after an action changes their load).
import { api } from "./api.js";
import { on, state } from "./app.js";

export async function loadAgents() {
  try {
    state.agents = (await api("GET", "/agents")).agents;
  } catch (_) {
    state.agents = [];
  }
}

export async function loadTemplates() {
  try {
    state.templates = (await api("GET", "/templates")).templates;
  } catch (_) {
    state.templates = [];
  }
}

/** An agent's name, or what an automatic actor is called. */
export function agentName(id) {
  const a = state.agents.find((x) => x.id === id);
  if (a) return a.name;
  return { sla: "SLA escalation", routing: "Routing", bot: "Bot" }[id] || id;
}

on("refresh", ({ agents }) => (agents ? loadAgents() : undefined));
