// WhatsApp templates as Meta has them: every template with its review status (only APPROVED
// ones are offered to agents), a button that syncs with Meta now, and (admins) a form that
// submits a new template for review. Supervisors see the list and sync; admins also submit.
import { el, showError } from "../dom.js";
import { api } from "./api.js";
import { state } from "./app.js";
import { loadTemplates } from "./directory.js";
import { toast } from "./toast.js";
import { addView } from "./views.js";

const view = addView({
  name: "templates",
  label: "Templates",
  allowed: (me) => me.role === "admin" || me.role === "supervisor",
  onShow: () => render(),
  // A review decided at Meta arrives by webhook: the list follows without a click.
  onPoll: () => render(),
});

function field(label, input) {
  return el("label", {}, label, " ", input);
}

function fieldsOf(e) {
  return e.body && e.body.fields ? Object.entries(e.body.fields).map(([k, v]) => `${k}: ${v}`).join("; ") : "";
}

/** `{{1}}`, `{{2}}`, ... in the body: one example input each. */
function paramCount(body) {
  const numbers = [...body.matchAll(/\{\{\s*(\d+)\s*\}\}/g)].map((m) => Number(m[1]));
  return numbers.length ? Math.max(...numbers) : 0;
}

function submitForm() {
  const error = el("p", { role: "alert", class: "error", dataset: { testid: "template-submit-error" } });
  const examples = el("div", { dataset: { testid: "template-examples" } });
  const body = el("textarea", { name: "body", required: true, maxlength: 1024, rows: 3, placeholder: "Hi {{1}}, your order {{2}} has shipped.", dataset: { testid: "template-new-body" } });
  const paintExamples = () => {
    const old = [...examples.querySelectorAll("input")].map((i) => i.value);
    examples.replaceChildren(
      ...Array.from({ length: paramCount(body.value) }, (_, i) =>
        field(`Example for {{${i + 1}}}`, el("input", { required: true, value: old[i] || "", "aria-label": `Example for {{${i + 1}}}`, dataset: { testid: "template-new-example" } })),
      ),
    );
  };
  body.addEventListener("input", paintExamples);
  const form = el(
    "form",
    { dataset: { testid: "template-submit-form" }, "aria-label": "Submit a template to Meta" },
    el("h2", {}, "Submit a template for review"),
    field("Name", el("input", { name: "name", required: true, maxlength: 512, pattern: "[a-z0-9_]+", placeholder: "order_update", dataset: { testid: "template-new-name" } })),
    field("Language", el("input", { name: "language", required: true, value: "de", maxlength: 6, dataset: { testid: "template-new-language" } })),
    field(
      "Category",
      el("select", { name: "category", dataset: { testid: "template-new-category" } }, ...["UTILITY", "MARKETING", "AUTHENTICATION"].map((c) => el("option", { value: c }, c))),
    ),
    field("Body", body),
    examples,
    el("button", { type: "submit", dataset: { testid: "template-new-submit" } }, "Submit to Meta"),
    error,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    showError(error, "");
    const f = new FormData(form);
    const request = {
      name: f.get("name").trim(),
      language: f.get("language").trim(),
      category: f.get("category"),
      body: f.get("body"),
      examples: [...examples.querySelectorAll("input")].map((i) => i.value.trim()),
    };
    try {
      const created = await api("POST", "/templates", request, "submit template");
      toast(`${created.name} (${created.language}) submitted: ${created.status}`);
      form.reset();
      examples.replaceChildren();
      await render();
    } catch (e) {
      showError(error, fieldsOf(e) || e.message);
    }
  });
  return form;
}

function row(t) {
  return el(
    "tr",
    { dataset: { testid: "template-row", name: t.name, language: t.language, status: t.status } },
    el("td", {}, t.name),
    el("td", {}, t.language),
    el("td", {}, t.category),
    el("td", {}, el("span", { class: t.approved ? "badge" : "badge warn", dataset: { testid: "template-status" } }, t.status), t.reason ? ` (${t.reason})` : ""),
    el("td", {}, t.body),
  );
}

const status = el("p", { dataset: { testid: "template-sync-result" } });
const sync = el("button", { type: "button", dataset: { testid: "template-sync" } }, "Sync with Meta");
sync.addEventListener("click", async () => {
  sync.disabled = true;
  try {
    const r = await api("POST", "/templates/sync", undefined, "sync templates");
    status.textContent = r.version
      ? `Synced: ${r.templates} templates (${r.approved} approved), stored as version ${r.version}.`
      : `Synced: ${r.templates} templates (${r.approved} approved); nothing changed.`;
    await render();
  } catch (e) {
    status.textContent = "";
    toast(e.message, true);
  } finally {
    sync.disabled = false;
  }
});

let rendering = false;
const rows = el("tbody", {});
let laidOut = false;

function layout() {
  const children = [
    el("h2", {}, "Templates at Meta"),
    el("p", {}, sync, " ", status),
    el(
      "table",
      { dataset: { testid: "templates-table" } },
      el("thead", {}, el("tr", {}, ...["Name", "Language", "Category", "Status", "Body"].map((h) => el("th", {}, h)))),
      rows,
    ),
  ];
  if (state.me && state.me.role === "admin") children.unshift(submitForm());
  view.replaceChildren(...children);
  laidOut = true;
}

async function render() {
  if (rendering) return;
  rendering = true;
  try {
    // Laid out once: a poll replaces only the rows, so the form keeps focus and input.
    if (!laidOut) layout();
    const { templates } = await api("GET", "/templates?all=1");
    const sorted = [...templates].sort((a, b) => a.name.localeCompare(b.name) || a.language.localeCompare(b.language));
    rows.replaceChildren(...sorted.map(row));
    view.dataset.loaded = "yes";
    // The agents' picker follows too.
    await loadTemplates();
  } catch (e) {
    toast(e.message, true);
  } finally {
    rendering = false;
  }
}
