// SLA targets as a form: a table policy × target (first response, next response, resolution)
// and the escalation levels, durations written as people say them ("4h", "30m", "1d 2h"),
// checked before saving; and the preview of the deadlines a sample ticket gets under the draft.
import { el, showError } from "../dom.js";
import { api } from "./api.js";
import { FormError, duration, field } from "./config-forms.js";

const TARGETS = [
  ["first_response", "First response"],
  ["next_response", "Next response"],
  ["resolution", "Resolution"],
];

function targetsForm(json, ctx) {
  const inputs = []; // [field path, input, apply(doc, value)]
  const durationInput = (path, value, label, apply) => {
    const input = el("input", { size: 8, value: value || "", "aria-label": label, dataset: { testid: "sla-duration", field: path } });
    inputs.push([path, input, apply]);
    return input;
  };
  const policies = (json.policies || []).map((p, i) =>
    el(
      "tr",
      { dataset: { testid: "sla-policy", policy: p.name } },
      el("th", {}, p.name),
      el("td", {}, p.calendar),
      TARGETS.map(([target, label]) =>
        el(
          "td",
          {},
          durationInput(`policies[${i}].${target}`, p[target], `${label} of ${p.name}`, (doc, v) => {
            const policy = (doc.policies || []).find((x) => x.name === p.name);
            if (!policy) throw new FormError("policies", `the policy ${p.name} was removed meanwhile`);
            policy[target] = v;
          }),
        ),
      ),
    ),
  );
  const escalation = json.escalation || {};
  const levels = (escalation.levels || []).map((l, i) =>
    el(
      "tr",
      { dataset: { testid: "sla-level" } },
      el("th", {}, `Level ${i + 1}`),
      el(
        "td",
        {},
        durationInput(`escalation.levels[${i}].after`, l.after, `Level ${i + 1} after the breach`, (doc, v) => {
          const level = doc.escalation && doc.escalation.levels && doc.escalation.levels[i];
          if (!level) throw new FormError("escalation.levels", `level ${i + 1} was removed meanwhile`);
          level.after = v;
        }),
      ),
      el("td", {}, (l.actions || []).join(", ")),
    ),
  );
  const warning = el("input", { type: "number", min: 1, max: 99, size: 4, value: escalation.warning_percent ?? "", "aria-label": "Warning at percent", dataset: { testid: "sla-warning", field: "escalation.warning_percent" } });
  const save = el("button", { type: "button", disabled: !ctx.canEdit, dataset: { testid: "sla-save" } }, "Save targets");
  save.addEventListener("click", () => {
    const values = inputs.map(([path, input, apply]) => [path, input.value, apply]);
    const percent = warning.value.trim();
    ctx.save((doc) => {
      for (const [path, value, apply] of values) {
        const d = duration(value);
        if (!d) throw new FormError(path, `"${value}" is not a duration like 4h, 30m or 1d 2h`);
        apply(doc, d);
      }
      const n = Number(percent);
      if (!Number.isInteger(n) || n < 1 || n > 99) throw new FormError("escalation.warning_percent", "must be a whole number from 1 to 99");
      if (doc.escalation) doc.escalation.warning_percent = n;
    }, "SLA targets");
  });
  return el(
    "div",
    {},
    el(
      "table",
      { class: "sla-targets", dataset: { testid: "sla-targets" } },
      el("thead", {}, el("tr", {}, ["Policy", "Calendar", ...TARGETS.map(([, l]) => l)].map((h) => el("th", {}, h)))),
      el("tbody", {}, policies),
    ),
    el("h4", {}, "Escalation after a breach"),
    el("p", {}, field("Warn at this share of the target's time (%)", warning)),
    el("table", {}, el("thead", {}, el("tr", {}, ["", "After the breach", "Actions"].map((h) => el("th", {}, h)))), el("tbody", {}, levels)),
    el("p", {}, save),
  );
}

/** The deadlines a sample ticket would get under the draft (or the live version). */
function previewForm(json) {
  const priority = el("select", { "aria-label": "Priority", dataset: { testid: "sla-preview-priority" } }, ["normal", "low", "high", "urgent"].map((p) => el("option", { value: p }, p)));
  const category = el("input", { size: 12, placeholder: "e.g. fraud", "aria-label": "Category", dataset: { testid: "sla-preview-category" } });
  const opened = el("input", { type: "datetime-local", "aria-label": "Opened at", dataset: { testid: "sla-preview-opened" } });
  const result = el("div", { dataset: { testid: "sla-preview-result" } });
  const error = el("p", { role: "alert", class: "error" });
  const form = el(
    "form",
    { dataset: { testid: "sla-preview" } },
    el("h4", {}, "Preview: the deadlines a ticket would get under the newest version"),
    field("Priority", priority),
    " ",
    field("Category", category),
    " ",
    field("Opened at (your time)", opened),
    " ",
    el("button", { type: "submit", dataset: { testid: "sla-preview-run" } }, "Preview"),
    error,
    result,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    showError(error, "");
    const at = opened.value ? new Date(opened.value) : new Date();
    if (Number.isNaN(at.getTime())) {
      showError(error, "Opened at is not a date and time.");
      return;
    }
    const body = { priority: priority.value, opened_at: at.toISOString() };
    if (category.value.trim()) body.category = category.value.trim();
    try {
      const r = await api("POST", "/config/sla/preview", body, "sla preview");
      const show = new Intl.DateTimeFormat("de-DE", { timeZone: r.time_zone, weekday: "short", day: "2-digit", month: "2-digit", year: "numeric", hour: "2-digit", minute: "2-digit" });
      result.replaceChildren(
        el("p", {}, `Version ${r.version}: policy ${r.policy}, calendar ${r.calendar} (${r.time_zone})`),
        el(
          "table",
          {},
          el("tbody", {}, r.deadlines.map((d) => el("tr", { dataset: { testid: "sla-preview-deadline", target: d.target, due: d.due } }, el("th", {}, d.target), el("td", {}, show.format(new Date(d.due)))))),
        ),
      );
    } catch (e) {
      showError(error, e.message);
    }
  });
  return form;
}

export function slaForm(json, ctx) {
  return el("section", { class: "config-form", "aria-label": "SLA targets", dataset: { testid: "sla-form" } }, el("h3", {}, "SLA targets per policy"), targetsForm(json, ctx), previewForm(json));
}
