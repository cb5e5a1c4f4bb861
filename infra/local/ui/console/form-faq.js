// The bot's FAQ answers as a form: every intent whose flow only answers (the shape
// `POST /bot/unrecognised/{id}/adopt` creates) with its trigger examples and its answer per
// language; edit, remove, or add one. Everything else in the bot document stays as it is.
import { el } from "../dom.js";
import { FormError, field } from "./config-forms.js";

const LANGS = [
  ["de", "Deutsch"],
  ["en", "English"],
];

/** A flow whose every step is a plain answer (as the server's FAQ check reads it). */
function answerOnly(flow) {
  const steps = Object.values((flow && flow.steps) || {});
  return steps.length > 0 && steps.every((s) => s.kind === "answer");
}

const lines = (text) =>
  text
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);

function slug(text) {
  return text
    .toLowerCase()
    .replace(/ä/g, "ae")
    .replace(/ö/g, "oe")
    .replace(/ü/g, "ue")
    .replace(/ß/g, "ss")
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .split("_")
    .slice(0, 4)
    .join("_");
}

/** The answer steps' texts of `flowName` from the inputs, into `json`. */
function setAnswers(json, flowName, answers) {
  const steps = json.flows[flowName].steps;
  for (const [step, byLang] of Object.entries(answers)) {
    const text = {};
    for (const [lang, value] of Object.entries(byLang)) if (value.trim()) text[lang] = value.trim();
    steps[step].text = text;
  }
}

export function faqForm(json, ctx) {
  const flows = json.flows || {};
  const titles = (json.menu && json.menu.titles && json.menu.titles.de) || {};
  const faqs = (json.intents || []).map((intent, index) => ({ intent, index })).filter(({ intent }) => answerOnly(flows[intent.flow]));

  const rows = faqs.map(({ intent, index }) => {
    const flowName = intent.flow;
    const examples = el("textarea", { rows: 5, cols: 40, "aria-label": `Questions for ${intent.id}`, dataset: { testid: "faq-examples", field: `intents[${index}].examples` } });
    examples.value = (intent.examples || []).join("\n");
    const answers = {};
    const answerInputs = Object.entries(flows[flowName].steps).map(([step, spec]) => {
      answers[step] = {};
      return LANGS.map(([lang, name]) => {
        const input = el("textarea", { rows: 5, cols: 50, "aria-label": `${name} answer of ${intent.id}`, dataset: { testid: `faq-answer-${lang}`, field: `flows.${flowName}.steps.${step}.text.${lang}` } });
        input.value = (spec.text && spec.text[lang]) || "";
        answers[step][lang] = input;
        return field(`Answer (${lang})`, input);
      });
    });
    const save = el("button", { type: "button", disabled: !ctx.canEdit, dataset: { testid: "faq-save" } }, "Save");
    save.addEventListener("click", () => {
      const values = Object.fromEntries(Object.entries(answers).map(([step, byLang]) => [step, Object.fromEntries(Object.entries(byLang).map(([l, i]) => [l, i.value]))]));
      const questions = lines(examples.value);
      ctx.save((doc) => {
        const at = doc.intents.findIndex((i) => i.id === intent.id);
        if (at < 0) throw new FormError("intents", `the FAQ ${intent.id} was removed meanwhile`);
        if (!questions.length) throw new FormError(`intents[${at}].examples`, "give at least one question that should get this answer");
        doc.intents[at].examples = questions;
        setAnswers(doc, flowName, values);
      }, `FAQ ${intent.id}`);
    });
    const remove = el("button", { type: "button", disabled: !ctx.canEdit, dataset: { testid: "faq-remove" } }, "Remove");
    remove.addEventListener("click", () => {
      if (remove.dataset.armed !== "yes") {
        remove.dataset.armed = "yes";
        remove.textContent = "Confirm: remove this FAQ";
        return;
      }
      ctx.save((doc) => {
        const at = doc.intents.findIndex((i) => i.id === intent.id);
        if (at < 0) return;
        if (((doc.menu && doc.menu.items) || []).includes(intent.id)) throw new FormError(`intents[${at}]`, "is in the main menu; an admin takes it out of the menu first (TOML below)");
        const gone = doc.intents[at];
        doc.intents.splice(at, 1);
        // Its flow goes with it unless another intent answers with it too; its button titles go.
        if (!doc.intents.some((i) => i.flow === gone.flow)) delete doc.flows[gone.flow];
        for (const titles of Object.values((doc.menu && doc.menu.titles) || {})) delete titles[intent.id];
      }, `remove FAQ ${intent.id}`);
    });
    return el(
      "fieldset",
      { class: "faq", dataset: { testid: "faq", id: intent.id, field: `intents[${index}]` } },
      el("legend", {}, titles[intent.id] ? `${titles[intent.id]} (${intent.id})` : intent.id),
      el("div", { class: "form-row" }, field("Questions that get this answer (one per line)", examples), answerInputs),
      el("p", {}, save, " ", remove),
    );
  });

  // A new FAQ: an intent of its own with an answer-only flow, as the unrecognised list adds one.
  const name = el("input", { maxlength: 60, placeholder: "gift_cards", "aria-label": "New FAQ name", dataset: { testid: "faq-new-name", field: "intents" } });
  const questions = el("textarea", { rows: 3, cols: 40, "aria-label": "New FAQ questions", dataset: { testid: "faq-new-examples", field: "faq.examples" } });
  const newAnswers = Object.fromEntries(LANGS.map(([lang, label]) => [lang, el("textarea", { rows: 3, cols: 50, "aria-label": `New FAQ ${label} answer`, dataset: { testid: `faq-new-answer-${lang}`, field: `faq.answer_${lang}` } })]));
  const add = el("button", { type: "button", disabled: !ctx.canEdit, dataset: { testid: "faq-add" } }, "Add FAQ");
  add.addEventListener("click", () => {
    const qs = lines(questions.value);
    const texts = Object.fromEntries(Object.entries(newAnswers).map(([l, i]) => [l, i.value]));
    const id = slug(name.value.trim() || qs[0] || "");
    ctx.save((doc) => {
      if (!qs.length) throw new FormError("faq.examples", "give at least one question that should get this answer");
      if (!Object.values(texts).some((t) => t.trim())) throw new FormError("faq.answer_de", "write the answer in German, English or both");
      if (!id) throw new FormError("intents", "give the FAQ a name (letters or digits)");
      doc.intents = doc.intents || [];
      doc.flows = doc.flows || {};
      const taken = (x) => doc.intents.some((i) => i.id === x) || x in doc.flows;
      if (taken(id)) throw new FormError("intents", `${id} is already taken; choose another name`);
      doc.intents.push({ id, flow: id, examples: qs });
      doc.flows[id] = { start: "info", steps: { info: { kind: "answer", text: {} } } };
      setAnswers(doc, id, { info: texts });
    }, `new FAQ ${id}`);
  });

  return el(
    "section",
    { class: "config-form", "aria-label": "FAQ answers", dataset: { testid: "faq-form" } },
    el("h3", {}, "FAQ answers"),
    el("p", { class: "hint" }, "Answers the bot gives by itself, in German and English, and the questions that trigger them. Saving makes a draft: try it below, then publish."),
    rows.length ? rows : el("p", {}, "No FAQ answers yet."),
    el(
      "fieldset",
      { class: "faq", dataset: { testid: "faq-new" } },
      el("legend", {}, "New FAQ answer"),
      el("div", { class: "form-row" }, field("Name", name), field("Questions (one per line)", questions), LANGS.map(([lang]) => field(`Answer (${lang})`, newAnswers[lang]))),
      el("p", {}, add),
    ),
  );
}
