// Canned responses: typing "/" and a shortcut in a reply suggests the responses the agent may
// use (global, their teams', their own), rendered for the open ticket by the API
// (`GET /canned?ticket=`); arrows pick, Enter or Tab inserts. Variables the API had no value for
// stay as {{name}} and are flagged under the composer until the agent replaces them; the
// composer refuses to send them (and so does the API). The "Canned responses" tab lists them all.
import { $, el } from "../dom.js";
import { api } from "./api.js";
import { on, state } from "./app.js";
import { toast } from "./toast.js";
import { addView } from "./views.js";

const VARIABLES = ["customer_name", "agent_name", "ticket_id", "order_id", "company"];
let responses = []; // rendered for the open ticket
let language = null; // the open ticket's language, if known
let loaded = null; // the ticket they were rendered for

/** The variables `text` still carries unfilled ({{name}} or {name}). */
export function unfilledVariables(text) {
  return VARIABLES.filter((name) => text.includes(`{${name}}`));
}

async function load(ticketId) {
  const query = ticketId ? `?ticket=${encodeURIComponent(ticketId)}` : "";
  const answer = await api("GET", `/canned${query}`);
  responses = answer.responses;
  language = answer.language;
  loaded = ticketId;
  return responses;
}

const box = el("ul", { id: "canned-suggest", class: "mentions hidden", role: "listbox", "aria-label": "Canned responses", dataset: { testid: "canned-suggest" } });
$("compose-box").insertBefore(box, $("mentions"));
const flag = el("p", { id: "canned-missing", class: "notice hidden", role: "status", dataset: { testid: "canned-missing" } });
$("compose-box").insertBefore(flag, $("compose-box").querySelector(".row"));

function query() {
  const area = $("compose-text");
  const before = area.value.slice(0, area.selectionStart);
  const match = before.match(/(?:^|\s)\/([a-z0-9-]*)$/);
  return match ? match[1] : null;
}

function hide() {
  box.classList.add("hidden");
}

function paintMissing() {
  const missing = state.mode === "reply" ? unfilledVariables($("compose-text").value) : [];
  flag.classList.toggle("hidden", !missing.length);
  flag.textContent = missing.length ? `Fill in before sending: ${missing.map((m) => `{{${m}}}`).join(", ")}` : "";
}

function insert(index) {
  const r = box._hits[index];
  if (!r) return;
  const area = $("compose-text");
  const before = area.value.slice(0, area.selectionStart).replace(/\/([a-z0-9-]*)$/, r.text);
  const after = area.value.slice(area.selectionStart);
  area.value = before + after;
  area.selectionStart = area.selectionEnd = before.length;
  hide();
  paintMissing();
  area.focus();
}

function hits(q) {
  const matching = responses.filter((r) => (r.shortcut || "").startsWith(q) || (q && r.title.toLowerCase().includes(q)));
  // The agent's own first, then their teams', then everyone's; within each, the ticket's
  // language first, then responses for any language.
  const scope = (r) => ({ personal: 0, team: 1 })[r.scope] ?? 2;
  const rank = (r) => (r.language === language ? 0 : r.language ? 2 : 1);
  return matching.sort((a, b) => scope(a) - scope(b) || rank(a) - rank(b)).slice(0, 8);
}

$("compose-text").addEventListener("input", async () => {
  paintMissing();
  const q = state.mode === "reply" ? query() : null;
  if (q === null) return hide();
  if (state.ticket && loaded !== state.ticket.id) {
    try {
      await load(state.ticket.id);
    } catch {
      return hide();
    }
  }
  const found = hits(query() ?? q);
  if (!found.length) return hide();
  box._hits = found;
  box.replaceChildren(...found.map((r, i) => el("li", {
    role: "option", "aria-selected": String(i === 0), dataset: { testid: "canned-option", id: r.id },
    onmousedown: (event) => { event.preventDefault(); insert(i); },
  }, el("strong", {}, r.shortcut ? `/${r.shortcut} ` : ""), `${r.title} `,
  el("span", { class: "muted small" }, r.missing.length ? `needs ${r.missing.join(", ")}` : r.scope))));
  box.classList.remove("hidden");
});

$("compose-text").addEventListener("keydown", (event) => {
  if (box.classList.contains("hidden") || !["ArrowDown", "ArrowUp", "Enter", "Tab", "Escape"].includes(event.key)) return;
  if (event.ctrlKey || event.metaKey) return;
  event.preventDefault();
  event.stopImmediatePropagation();
  const items = [...box.children];
  const at = Math.max(0, items.findIndex((li) => li.getAttribute("aria-selected") === "true"));
  if (event.key === "Escape") return hide();
  if (event.key === "Enter" || event.key === "Tab") return insert(at);
  const next = (at + (event.key === "ArrowDown" ? 1 : items.length - 1)) % items.length;
  items.forEach((li, i) => li.setAttribute("aria-selected", String(i === next)));
}, true);

on("ticket-opened", () => {
  loaded = null;
  hide();
  paintMissing();
});
on("ticket", paintMissing);

// The "Canned responses" tab: what the agent may insert, with scope, shortcut and text; their
// own (personal) ones are created, edited and deleted here (the API keeps them per agent,
// versioned: an edit of a version someone changed meanwhile is refused).
let editing = null; // the personal response being edited, or null for a new one

function personalForm() {
  const r = editing || {};
  const form = el("form", { class: "panel canned-form", dataset: { testid: "canned-form" } },
    el("h3", {}, editing ? `Edit "${r.title}"` : "New personal response"),
    el("label", {}, "Title ", el("input", { name: "title", maxlength: "60", required: true, value: r.title || "", dataset: { testid: "canned-title" } })),
    el("label", {}, "Shortcut / ", el("input", { name: "shortcut", maxlength: "32", pattern: "[a-z0-9\\-]*", value: r.shortcut || "", dataset: { testid: "canned-shortcut" } })),
    el("label", {}, "Language ", el("input", { name: "language", maxlength: "5", placeholder: "any", value: r.language || "" })),
    el("label", {}, "Text ", el("textarea", { name: "text", rows: "3", maxlength: "4096", required: true, dataset: { testid: "canned-text" } }, r.template || "")),
    el("p", { class: "notice hidden", role: "alert" }),
    el("div", { class: "row" },
      el("button", { type: "submit", class: "primary small", dataset: { testid: "canned-save" } }, editing ? "Save changes" : "Create"),
      editing ? el("button", { type: "button", class: "small", onclick: () => { editing = null; showTab(); } }, "Cancel") : null));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { title: form.title.value, text: form.text.value };
    if (form.shortcut.value.trim()) body.shortcut = form.shortcut.value.trim();
    if (form.language.value.trim()) body.language = form.language.value.trim();
    try {
      if (editing) await api("PUT", `/canned/${editing.id}`, { ...body, version: editing.version }, `edit canned ${editing.id}`);
      else await api("POST", "/canned", body, "create canned");
      toast(editing ? "Response saved" : "Response created");
      editing = null;
      await showTab();
    } catch (error) {
      const alert = form.querySelector("[role=alert]");
      alert.textContent = error.message;
      alert.classList.remove("hidden");
    }
  });
  return form;
}

async function removePersonal(r) {
  if (!window.confirm(`Delete "${r.title}"?`)) return;
  try {
    await api("DELETE", `/canned/${r.id}?version=${r.version}`, undefined, `delete canned ${r.id}`);
  } catch (error) {
    if (error.status !== 401) toast(`Delete: ${error.message}`, true);
  }
  await showTab();
}

async function showTab() {
  view.replaceChildren(el("p", { class: "muted" }, "Loading…"));
  try {
    await load(null);
  } catch (error) {
    view.replaceChildren(el("p", { class: "notice" }, error.message));
    return;
  }
  const rows = responses.map((r) => el("tr", { dataset: { testid: "canned-row", scope: r.scope } },
    el("td", {}, r.shortcut ? `/${r.shortcut}` : "—"),
    el("td", {}, r.title),
    el("td", {}, r.scope === "team" ? `team ${r.team}` : r.scope),
    el("td", {}, r.language || "any"),
    el("td", { class: "small" }, r.template),
    el("td", {}, r.version ? [
      el("button", { type: "button", class: "link small", onclick: () => { editing = r; showTab(); } }, "Edit"),
      el("button", { type: "button", class: "link small", onclick: () => removePersonal(r) }, "Delete")] : null)));
  view.replaceChildren(
    el("section", { class: "panel" },
      el("h2", {}, "Canned responses"),
      el("p", { class: "muted small" }, "Type / and the shortcut in a reply to insert one: your own first, then your teams', then everyone's. {{customer_name}}, {{agent_name}}, {{ticket_id}}, {{order_id}} and {{company}} are filled in for the open ticket; what has no value is flagged and must be replaced before sending. Your personal responses are yours to create, edit and delete below; global and team responses are edited as the configuration document canned_responses (supervisors and admins)."),
      el("table", { class: "table" },
        el("thead", {}, el("tr", {}, ...["Shortcut", "Title", "Scope", "Language", "Text", ""].map((h) => el("th", {}, h)))),
        el("tbody", {}, ...rows))),
    personalForm());
}

const view = addView({
  name: "canned",
  label: "Canned responses",
  onShow: () => {
    editing = null;
    return showTab();
  },
});
