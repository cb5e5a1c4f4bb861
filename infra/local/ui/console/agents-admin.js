// Admins manage agents: invite (the API key is shown once, locally; in AWS Cognito e-mails the
// invitation), change teams, languages, capacity and role, deactivate (the agent's open tickets
// go back to the queue and are routed again). Everything goes through the agent API.
import { el, showError } from "../dom.js";
import { api } from "./api.js";
import { refresh, state } from "./app.js";
import { loadAgents } from "./directory.js";
import { toast } from "./toast.js";
import { addView } from "./views.js";

// The one place a new key is shown; emptied whenever the tab is shown again.
const shown = el("p", { dataset: { testid: "invite-result" } });

const view = addView({
  name: "agents",
  label: "Agents",
  allowed: (me) => me.role === "admin",
  onShow: () => {
    shown.replaceChildren();
    return render();
  },
});

const list = (value) => value.split(",").map((s) => s.trim()).filter(Boolean);

function field(label, input) {
  return el("label", {}, label, " ", input);
}

function inviteForm() {
  const error = el("p", { role: "alert", class: "error", dataset: { testid: "invite-error" } });
  const form = el(
    "form",
    { dataset: { testid: "invite-form" }, "aria-label": "Invite an agent" },
    el("h2", {}, "Invite an agent"),
    field("Id", el("input", { name: "id", required: true, maxlength: 64, dataset: { testid: "invite-id" } })),
    field("Name", el("input", { name: "name", required: true, maxlength: 100, dataset: { testid: "invite-name" } })),
    field("E-mail", el("input", { name: "email", type: "email", dataset: { testid: "invite-email" } })),
    field("Teams", el("input", { name: "teams", value: "support", dataset: { testid: "invite-teams" } })),
    field("Languages", el("input", { name: "languages", value: "de,en", dataset: { testid: "invite-languages" } })),
    field("Capacity", el("input", { name: "capacity", type: "number", min: 1, max: 50, value: 3, dataset: { testid: "invite-capacity" } })),
    field(
      "Role",
      el("select", { name: "role", dataset: { testid: "invite-role" } }, ...["agent", "supervisor", "admin"].map((r) => el("option", { value: r }, r))),
    ),
    el("button", { type: "submit", dataset: { testid: "invite-submit" } }, "Invite"),
    error,
    shown,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    showError(error, "");
    shown.replaceChildren();
    const f = new FormData(form);
    const body = {
      id: f.get("id").trim(),
      name: f.get("name").trim(),
      teams: list(f.get("teams")),
      languages: list(f.get("languages")),
      capacity: Number(f.get("capacity")),
      role: f.get("role"),
    };
    if (f.get("email").trim()) body.email = f.get("email").trim();
    try {
      const invited = await api("POST", "/agents", body, "invite agent");
      if (invited.api_key) {
        shown.replaceChildren(
          "API key for ", invited.id, " (shown once; copy it now): ",
          el("code", { dataset: { testid: "invite-key" } }, invited.api_key),
        );
      } else {
        shown.replaceChildren(`${invited.id} was invited by e-mail.`);
      }
      form.reset();
      await loadAgents();
      render(false);
    } catch (e) {
      const fields = e.body && e.body.fields ? Object.entries(e.body.fields).map(([k, v]) => `${k}: ${v}`).join("; ") : "";
      showError(error, fields || e.message);
    }
  });
  return form;
}

function row(agent) {
  const inactive = Boolean(agent.deactivated_at);
  const teams = el("input", { value: agent.teams.join(","), disabled: inactive, "aria-label": `Teams of ${agent.id}`, dataset: { testid: "agent-teams" } });
  const languages = el("input", { value: agent.languages.join(","), disabled: inactive, "aria-label": `Languages of ${agent.id}`, dataset: { testid: "agent-languages" } });
  const capacity = el("input", { type: "number", min: 1, max: 50, value: agent.capacity, disabled: inactive, "aria-label": `Capacity of ${agent.id}`, dataset: { testid: "agent-capacity" } });
  const save = el("button", { type: "button", disabled: inactive, dataset: { testid: "agent-save" } }, "Save");
  save.addEventListener("click", async () => {
    try {
      await api("PATCH", `/agents/${encodeURIComponent(agent.id)}`, { teams: list(teams.value), languages: list(languages.value), capacity: Number(capacity.value) });
      toast(`${agent.id} saved`);
      await loadAgents();
      render(false);
    } catch (e) {
      toast(`${agent.id}: ${e.message}`, true);
    }
  });
  const deactivate = el("button", { type: "button", disabled: inactive || agent.id === state.me.agent, dataset: { testid: "agent-deactivate" } }, "Deactivate");
  deactivate.addEventListener("click", async () => {
    // Two clicks: the first asks, the second deactivates.
    if (deactivate.dataset.armed !== "yes") {
      deactivate.dataset.armed = "yes";
      deactivate.textContent = "Confirm: deactivate (tickets go back to the queue)";
      return;
    }
    try {
      const r = await api("POST", `/agents/${encodeURIComponent(agent.id)}/deactivate`, undefined, `deactivate ${agent.id}`);
      toast(`${agent.id} deactivated; ${r.returned_to_queue.length} ticket(s) back to the queue`);
      await loadAgents();
      render(false);
      refresh({ agents: true });
    } catch (e) {
      toast(`${agent.id}: ${e.message}`, true);
    }
  });
  return el(
    "tr",
    { dataset: { testid: "agent-row", agent: agent.id, state: inactive ? "deactivated" : "active" } },
    el("td", {}, agent.id),
    el("td", {}, agent.name),
    el("td", {}, teams),
    el("td", {}, languages),
    el("td", {}, capacity),
    el("td", {}, inactive ? "deactivated" : agent.online ? `online (${agent.load})` : "offline"),
    el("td", {}, save, " ", deactivate),
  );
}

let form = null;

async function render(reload = true) {
  if (reload) await loadAgents();
  form = form || inviteForm();
  const agents = [...state.agents].sort((a, b) => a.id.localeCompare(b.id));
  view.replaceChildren(
    form,
    el("h2", {}, "Agents"),
    el(
      "table",
      { dataset: { testid: "agents-table" } },
      el("thead", {}, el("tr", {}, ...["Id", "Name", "Teams", "Languages", "Capacity", "State", ""].map((h) => el("th", {}, h)))),
      el("tbody", {}, agents.map(row)),
    ),
  );
}


