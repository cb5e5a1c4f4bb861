// Saved views (above the queue filters): named filters, the agent's own and their teams', each
// with how many tickets it holds now (counted by the API from the same indexes as the queue,
// up to 100). Picking one applies its filter; "Save view" keeps the current filter under a name
// (supervisors may keep it for a team); a view can be updated to the current filter or deleted.
import { $, el } from "../dom.js";
import { api } from "./api.js";
import { on, state, supervisor } from "./app.js";
import { applyFilter, currentFilter } from "./queue.js";
import { toast } from "./toast.js";

const nav = $("saved-views");
let views = [];
let active = null; // the id of the view applied last
let loading = false;
let lastLoad = 0;

async function load() {
  if (!state.key || loading) return;
  loading = true;
  try {
    views = (await api("GET", "/views")).views;
    lastLoad = Date.now();
    render();
  } catch (error) {
    if (error.status !== 401) toast(`Views: ${error.message}`, true);
  } finally {
    loading = false;
  }
}

function count(v) {
  if (v.count === null || v.count === undefined) return "–";
  return v.count_more ? `${v.count}+` : String(v.count);
}

async function save(form) {
  const name = form.name.value.trim();
  const body = { name, filter: currentFilter() };
  if (form.scope && form.scope.value !== "personal") Object.assign(body, { scope: "team", team: form.scope.value });
  try {
    const saved = await api("POST", "/views", body, "save view");
    active = saved.id;
    toast(`View "${saved.name}" saved`);
    await load();
  } catch (error) {
    if (error.status !== 401) toast(`Save view: ${error.message}`, true);
  }
}

async function update(v) {
  try {
    await api("PUT", `/views/${v.id}`, { name: v.name, filter: currentFilter(), version: v.version }, `update view ${v.id}`);
    toast(`View "${v.name}" now shows the current filter`);
  } catch (error) {
    if (error.status !== 401) toast(`Update view: ${error.message}`, true);
  }
  await load();
}

async function remove(v) {
  if (!window.confirm(`Delete the view "${v.name}"?`)) return;
  try {
    await api("DELETE", `/views/${v.id}?version=${v.version}`, undefined, `delete view ${v.id}`);
    if (active === v.id) active = null;
  } catch (error) {
    if (error.status !== 401) toast(`Delete view: ${error.message}`, true);
  }
  await load();
}

function saveForm() {
  const teams = supervisor() && state.me.profile ? state.me.profile.teams : [];
  const form = el("form", { class: "row save-view hidden", dataset: { testid: "save-view-form" } },
    el("input", { name: "name", type: "text", maxlength: "40", required: true, placeholder: "View name", "aria-label": "View name", dataset: { testid: "view-name" } }),
    teams.length ? el("select", { name: "scope", "aria-label": "Keep for" }, el("option", { value: "personal" }, "Just me"), ...teams.map((t) => el("option", { value: t }, `Team ${t}`))) : null,
    el("button", { type: "submit", class: "small primary", dataset: { testid: "view-save" } }, "Save"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    save(form);
  });
  return form;
}

function render() {
  const form = saveForm();
  const mayChange = (v) => v.scope === "personal" || supervisor();
  nav.replaceChildren(
    el("div", { class: "views-head" },
      el("span", { class: "muted small" }, "Views"),
      el("button", { type: "button", class: "link small", title: "Keep the filters below under a name. Each view shows how many tickets it holds now (counted up to 100).", dataset: { testid: "save-view" }, onclick: () => { form.classList.toggle("hidden"); form.name.focus(); } }, "Save current filter…")),
    el("ul", { class: "views" }, ...views.map((v) => el("li", {},
      el("button", {
        type: "button", class: "view", "aria-current": v.id === active ? "true" : "false",
        title: v.scope === "team" ? `Team ${v.team}` : "Personal",
        dataset: { testid: "saved-view", id: v.id },
        onclick: () => { active = v.id; render(); applyFilter(v.filter); },
      }, el("span", {}, v.name), el("span", { class: "count", dataset: { testid: "view-count" } }, count(v))),
      mayChange(v) ? el("button", { type: "button", class: "link small", "aria-label": `Update ${v.name} to the current filter`, onclick: () => update(v) }, "↻") : null,
      mayChange(v) ? el("button", { type: "button", class: "link small", "aria-label": `Delete ${v.name}`, onclick: () => remove(v) }, "✕") : null))),
    form);
}

on("signed-in", load);
on("refresh", load);
// Counts follow the desk, at most every 10 s (each count is a few index queries).
on("queue-changed", () => {
  if (Date.now() - lastLoad > 10000) load();
});
