// The admin area for supervisors and admins: the configuration documents (bot, sla, routing,
// templates, canned_responses) as raw TOML with drafts, publish, history with diffs and rollback;
// for the bot a tryout on the draft and the messages it did not understand ("Add to intent").
// What changes most has a form above the raw TOML (FAQ answers; hours, holidays and SLA targets;
// routing keywords); a form saves the document's JSON through the same draft route.
// Everything goes over the agent API's /config and /bot/unrecognised routes.
import { el, showError } from "../dom.js";
import { api } from "./api.js";
import { FormError, clearFieldErrors, showFieldError } from "./config-forms.js";
import { faqForm } from "./form-faq.js";
import { hoursForm } from "./form-hours.js";
import { routingForm } from "./form-routing.js";
import { slaForm } from "./form-sla.js";
import { clock } from "./format.js";
import { toast } from "./toast.js";
import { addView } from "./views.js";

const KINDS = ["bot", "sla", "routing", "templates", "canned_responses"];
// The forms of each kind, in the order shown; the raw TOML below edits everything.
const FORMS = { bot: [faqForm], sla: [hoursForm, slaForm], routing: [routingForm] };

let kind = "bot";
let doc = null; // GET /config/{kind}
let base = null; // the version the editor's text is based on

const view = addView({ name: "config", label: "Admin", allowed: (me) => me.role !== "agent", onShow: () => load() });

const kindSelect = el("select", { "aria-label": "Configuration", dataset: { testid: "config-kind" } }, ...KINDS.map((k) => el("option", { value: k }, k)));
kindSelect.addEventListener("change", () => {
  kind = kindSelect.value;
  load();
});
const status = el("p", { dataset: { testid: "config-status" } });
const editor = el("textarea", { rows: 24, cols: 100, spellcheck: "false", "aria-label": "TOML", dataset: { testid: "config-editor" } });
const note = el("input", { maxlength: 200, placeholder: "What changed (optional)", "aria-label": "Note", dataset: { testid: "config-note" } });
const error = el("div", { role: "alert", class: "error", dataset: { testid: "config-error" } });
const saveButton = el("button", { type: "button", dataset: { testid: "config-save" } }, "Save draft");
const publishButton = el("button", { type: "button", dataset: { testid: "config-publish" } }, "Publish draft");
const history = el("tbody", { dataset: { testid: "config-history" } });
const diffView = el("pre", { class: "diff", dataset: { testid: "config-diff" } });
const formsBox = el("div", { class: "config-forms", dataset: { testid: "config-forms" } });
const tryBox = el("section", { "aria-label": "Try the bot", dataset: { testid: "bot-try" } });
const unrecognised = el("section", { "aria-label": "Messages the bot did not understand", dataset: { testid: "bot-unrecognised" } });

// The error line stands under what was used last: the TOML's save button, or publish and forms.
const publishRow = el("p", {}, publishButton);
const tomlRow = el("p", {}, note, " ", saveButton);

saveButton.addEventListener("click", save);
publishButton.addEventListener("click", publish);

function diffLines(diff) {
  return diff.map((d) => el("div", { class: `diff-${d.op}`, dataset: { op: d.op } }, `${d.op === "add" ? "+" : d.op === "remove" ? "-" : " "} ${d.line}`));
}

// Loads running (a tab click, a save, a kind change): the view says `data-loading="yes"` until the
// last one has rendered, so nobody acts on a list about to be replaced.
let loading = 0;

async function load() {
  loading += 1;
  view.dataset.loading = "yes";
  try {
    await loadNow();
  } finally {
    loading -= 1;
    if (loading === 0) view.dataset.loading = "no";
  }
}

async function loadNow() {
  showError(error, "");
  diffView.replaceChildren();
  try {
    doc = await api("GET", `/config/${kind}`);
  } catch (e) {
    showError(error, e.message);
    return;
  }
  const shown = doc.draft || doc.published;
  base = shown ? shown.version : 0;
  editor.value = shown ? shown.toml : "";
  note.value = "";
  renderStatus();
  renderForms();
  await Promise.all([loadHistory(), kind === "bot" ? loadUnrecognised() : null]);
  tryBox.classList.toggle("hidden", kind !== "bot");
  unrecognised.classList.toggle("hidden", kind !== "bot");
}

function renderStatus() {
  const p = doc.published;
  const d = doc.draft;
  status.replaceChildren(
    p ? `Published: version ${p.version} by ${p.author} (${clock(p.at)}). ` : "Nothing published yet. ",
    d ? el("strong", { dataset: { testid: "config-draft" } }, `Draft: version ${d.version} by ${d.author}${d.note ? ` – ${d.note}` : ""}.`) : "No draft.",
  );
  publishButton.disabled = !d;
}

/** Sends a draft and reloads once it is saved. Returns null when saved, else the refusal:
 * `{invalid}` (422: field, line, problem) or `{conflict}` (409: current_version, diff); any other
 * failure is shown and returned as `{failed}`. */
async function sendDraft(body, action) {
  try {
    const r = await api("PUT", `/config/${kind}/draft`, body, action);
    toast(`Draft version ${r.version} saved`);
    await load();
    return null;
  } catch (e) {
    const b = e.body || {};
    if (e.status === 422 && b.error === "invalid") return { invalid: b };
    if (e.status === 409 && b.error === "conflict") return { conflict: b };
    showError(error, e.message);
    return { failed: e };
  }
}

/** "problem (line N)" of a 422. */
const problemOf = (b) => `${b.problem || "invalid"}${b.line ? ` (line ${b.line})` : ""}`;

async function save() {
  tomlRow.after(error);
  showError(error, "");
  const body = { base_version: base, toml: editor.value };
  if (note.value.trim()) body.note = note.value.trim();
  const refusal = await sendDraft(body, `save ${kind}`);
  if (refusal && refusal.invalid) {
    const b = refusal.invalid;
    showError(error, `Not saved: ${b.field ? `${b.field}: ` : ""}${problemOf(b)}`);
    error.dataset.field = b.field || "";
    error.dataset.line = b.line || "";
  } else if (refusal && refusal.conflict) {
    // Keep the user's text; show what the other person changed, and let them save again on top.
    const b = refusal.conflict;
    showError(error, `Not saved: someone saved version ${b.current_version} meanwhile. Their changes are below; check them, then save again to replace them.`);
    diffView.replaceChildren(...diffLines((b.diff || []).filter((d) => d.op !== "same")));
    base = b.current_version;
  }
}

// Each form in its own slot, so one re-rendering itself (a calendar's month) leaves the others'
// unsaved input alone.
function renderForms() {
  const shown = doc.draft || doc.published;
  const builders = shown && shown.json ? FORMS[kind] || [] : [];
  formsBox.replaceChildren(
    ...builders.map((build) => {
      const slot = el("div");
      const ctx = { canEdit: true, save: saveForm, rerender: () => slot.replaceChildren(build((doc.draft || doc.published).json, ctx)) };
      ctx.rerender();
      return slot;
    }),
  );
  formsBox.classList.toggle("hidden", builders.length === 0);
}

/** A refusal shown at the form field it names (and in the error line). */
function refuse(field, problem) {
  showFieldError(formsBox, field, problem);
  showError(error, `Not saved: ${field ? `${field}: ` : ""}${problem}`);
  error.dataset.field = field || "";
}

/** Saves a form's change: `change(json)` edits a copy of the newest version's JSON in place (so
 * what no form knows is sent back as it was), then the same draft route checks and saves it. On
 * a conflict the forms show the other person's version, with their changes, and the same change
 * can be made again on top of it. */
async function saveForm(change, what) {
  publishRow.after(error);
  showError(error, "");
  clearFieldErrors(formsBox);
  diffView.replaceChildren();
  const shown = doc.draft || doc.published;
  const json = structuredClone(shown ? shown.json : {});
  try {
    change(json);
  } catch (e) {
    if (!(e instanceof FormError)) throw e;
    refuse(e.field, e.message);
    return;
  }
  const body = { base_version: base, json };
  const text = note.value.trim() || what;
  if (text) body.note = text.slice(0, 200);
  const refusal = await sendDraft(body, `form ${kind}`);
  if (refusal && refusal.invalid) {
    refuse(refusal.invalid.field, problemOf(refusal.invalid));
  } else if (refusal && refusal.conflict) {
    const b = refusal.conflict;
    await load();
    const again = el("button", { type: "button", dataset: { testid: "config-apply-again" } }, `Make my change again on version ${b.current_version}`);
    again.addEventListener("click", () => saveForm(change, what));
    showError(error, `Not saved: someone saved version ${b.current_version} meanwhile; the forms now show it, their changes are below. `);
    error.append(again);
    diffView.replaceChildren(...diffLines((b.diff || []).filter((d) => d.op !== "same")));
  }
}

async function publish() {
  publishRow.after(error);
  showError(error, "");
  if (!doc.draft) return;
  const body = { version: doc.draft.version };
  if (doc.published) body.published_version = doc.published.version;
  try {
    const r = await api("POST", `/config/${kind}/publish`, body, `publish ${kind}`);
    toast(`Version ${r.published_version} is live`);
    await load();
  } catch (e) {
    showError(error, e.message);
  }
}

async function showDiff(from, to) {
  try {
    const r = await api("GET", `/config/${kind}/diff?from=${from}&to=${to}`);
    diffView.replaceChildren(el("h3", {}, `Changes from version ${from} to ${to}`), ...diffLines(r.diff.filter((d) => d.op !== "same")));
    if (!r.diff.some((d) => d.op !== "same")) diffView.append("(no changes)");
  } catch (e) {
    showError(error, e.message);
  }
}

async function rollback(version, button) {
  // Two clicks: the first asks, the second rolls back.
  if (button.dataset.armed !== "yes") {
    button.dataset.armed = "yes";
    button.textContent = `Confirm: publish version ${version} again`;
    return;
  }
  try {
    const r = await api("POST", `/config/${kind}/rollback`, { version }, `rollback ${kind} ${version}`);
    toast(`Version ${version} is live again (as version ${r.published_version})`);
    await load();
  } catch (e) {
    showError(error, e.message);
  }
}

async function loadHistory() {
  const { versions } = await api("GET", `/config/${kind}/versions`);
  const live = doc.published ? doc.published.version : null;
  history.replaceChildren(
    ...versions.map((v, i) => {
      const older = versions[i + 1];
      const diff = el("button", { type: "button", disabled: !older, dataset: { testid: "config-version-diff" } }, "Diff");
      diff.addEventListener("click", () => showDiff(older.version, v.version));
      const back = el("button", { type: "button", disabled: v.version === live || v.state === "draft", dataset: { testid: "config-rollback" } }, "Roll back to this");
      back.addEventListener("click", () => rollback(v.version, back));
      return el(
        "tr",
        { dataset: { testid: "config-version", version: v.version, state: v.state } },
        el("td", {}, String(v.version)),
        el("td", {}, v.state),
        el("td", {}, v.author),
        el("td", {}, clock(v.at)),
        el("td", {}, v.note || ""),
        el("td", {}, diff, " ", back),
      );
    }),
  );
}

// The visible text of a bot reply (a text message, buttons or a list), whatever its shape.
function replyText(value, key = "") {
  if (typeof value === "string") return ["type", "id"].includes(key) ? [] : [value];
  if (Array.isArray(value)) return value.flatMap((v) => replyText(v));
  if (value && typeof value === "object") return Object.entries(value).flatMap(([k, v]) => replyText(v, k));
  return [];
}

function tryForm() {
  const input = el("input", { maxlength: 1000, placeholder: "A customer's message", "aria-label": "Message to try", dataset: { testid: "bot-try-input" } });
  const replies = el("ol", { dataset: { testid: "bot-try-replies" } });
  const meta = el("p", { dataset: { testid: "bot-try-intent" } });
  let botState = null;
  const form = el(
    "form",
    {},
    el("h2", {}, "Try the bot (on the newest version: the draft if there is one)"),
    input,
    " ",
    el("button", { type: "submit", dataset: { testid: "bot-try-send" } }, "Try"),
    " ",
    el("button", { type: "button", onclick: () => { botState = null; replies.replaceChildren(); meta.replaceChildren(); } }, "New conversation"),
    meta,
    replies,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    const body = { text };
    if (botState) body.state = botState;
    try {
      const r = await api("POST", "/config/bot/try", body, "try bot");
      botState = r.state;
      replies.replaceChildren(...r.replies.map((reply) => el("li", { dataset: { testid: "bot-try-reply" } }, replyText(reply).join(" · "))));
      meta.replaceChildren(
        r.intent ? `Intent: ${r.intent}${r.confidence !== undefined && r.confidence !== null ? ` (${Math.round(r.confidence * 100)} %)` : ""}` : "No intent recognised",
        r.handoff ? ` · hands over (${typeof r.handoff === "object" ? r.handoff.reason : r.handoff})` : "",
      );
    } catch (e) {
      meta.replaceChildren(e.message);
    }
  });
  return form;
}

async function loadUnrecognised() {
  let r;
  try {
    r = await api("GET", "/bot/unrecognised?limit=50");
  } catch (e) {
    unrecognised.replaceChildren(el("h2", {}, "Messages the bot did not understand"), e.message);
    return;
  }
  const intents = ((doc.published || doc.draft || {}).json?.intents || []).map((i) => i.id);
  const rows = r.groups.map((g) => {
    const guess = (g.guesses || [])[0];
    const select = el("select", { "aria-label": `Intent for ${g.sample}`, dataset: { testid: "unrecognised-intent" } }, ...intents.map((id) => el("option", { value: id, selected: guess && guess.intent === id }, id)));
    const adopt = el("button", { type: "button", dataset: { testid: "unrecognised-adopt" } }, "Add to intent");
    adopt.addEventListener("click", async () => {
      try {
        const res = await api("POST", `/bot/unrecognised/${encodeURIComponent(g.id)}/adopt`, { intent: select.value, base_version: base }, `adopt ${g.id}`);
        toast(`Added to ${select.value}: draft version ${res.version ?? ""}`);
        await load();
      } catch (e) {
        showError(error, e.message);
      }
    });
    // Or a new FAQ answer: an intent of its own with this question and an answer flow.
    const answerDe = el("input", { maxlength: 1000, placeholder: "Antwort (de)", "aria-label": `German answer to ${g.sample}`, dataset: { testid: "unrecognised-answer-de" } });
    const answerEn = el("input", { maxlength: 1000, placeholder: "Answer (en)", "aria-label": `English answer to ${g.sample}`, dataset: { testid: "unrecognised-answer-en" } });
    const faq = el("button", { type: "button", dataset: { testid: "unrecognised-faq" } }, "Add as FAQ");
    faq.addEventListener("click", async () => {
      const answer = {};
      if (answerDe.value.trim()) answer.answer_de = answerDe.value.trim();
      if (answerEn.value.trim()) answer.answer_en = answerEn.value.trim();
      if (!answer.answer_de && !answer.answer_en) {
        showError(error, "Write the answer (German, English or both) before adding the FAQ.");
        return;
      }
      try {
        await api("POST", `/bot/unrecognised/${encodeURIComponent(g.id)}/adopt`, { faq: answer, base_version: base }, `faq ${g.id}`);
        toast("New FAQ answer added to the draft");
        await load();
      } catch (e) {
        showError(error, e.message);
      }
    });
    return el(
      "tr",
      { dataset: { testid: "unrecognised-row", id: g.id } },
      el("td", {}, g.sample),
      el("td", {}, String(g.count)),
      el("td", {}, (g.guesses || []).map((x) => `${x.intent} ${Math.round(x.score * 100)} %`).join(", ")),
      el("td", {}, clock(g.last_seen)),
      el("td", {}, select, " ", adopt, el("br"), answerDe, " ", answerEn, " ", faq),
    );
  });
  unrecognised.replaceChildren(
    el("h2", {}, "Messages the bot did not understand (last 30 days)"),
    rows.length
      ? el(
          "table",
          {},
          el("thead", {}, el("tr", {}, ...["Message", "Times", "Likely intents", "Last", ""].map((h) => el("th", {}, h)))),
          el("tbody", {}, rows),
        )
      : el("p", {}, "None."),
  );
}

view.replaceChildren(
  el("h2", {}, "Configuration ", kindSelect),
  status,
  publishRow,
  error,
  formsBox,
  tryBox,
  el("h3", {}, "The whole document (TOML)"),
  editor,
  tomlRow,
  el("h2", {}, "History"),
  el("table", {}, el("thead", {}, el("tr", {}, ...["Version", "State", "Author", "At", "Note", ""].map((h) => el("th", {}, h)))), history),
  diffView,
  unrecognised,
);
tryBox.append(tryForm());
