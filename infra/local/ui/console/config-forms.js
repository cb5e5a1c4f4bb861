// What the Admin tab's forms share: showing a refusal at the field it names, durations in a
// human format, and the error a form raises before anything is sent. Each form is a module
// (`form-faq.js`, `form-hours.js`, `form-sla.js`, `form-routing.js`) exporting
// `(json, ctx) => element`: it reads the document's JSON and changes it only through
// `ctx.save(change, note)`, where `change(json)` edits a copy of the newest version in place.
// Whatever a form does not know stays in that copy, so it is saved unchanged.
import { el } from "../dom.js";

/** A problem a form finds before sending: `field` as the server would name it. */
export class FormError extends Error {
  constructor(field, message) {
    super(message);
    this.field = field;
  }
}

/** Whether `path` is `field` or a part of it (`calendars.office` of `calendars.office.monday`). */
function covers(path, field) {
  return field === path || field.startsWith(`${path}.`) || field.startsWith(`${path}[`);
}

/** Removes the messages `showFieldError` put under `root`. */
export function clearFieldErrors(root) {
  for (const node of root.querySelectorAll(".field-error")) node.remove();
  for (const node of root.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
}

/** Shows `message` beside the input under `root` whose `data-field` names `field` most closely
 * (the field itself, else the nearest enclosing one). Returns whether such an input exists. */
export function showFieldError(root, field, message) {
  if (!field) return false;
  let best = null;
  for (const node of root.querySelectorAll("[data-field]")) {
    const path = node.dataset.field;
    if (covers(path, field) && (!best || path.length > best.dataset.field.length)) best = node;
  }
  if (!best) return false;
  best.setAttribute("aria-invalid", "true");
  best.after(el("span", { class: "field-error", role: "alert", dataset: { testid: "field-error", field } }, ` ${message}`));
  return true;
}

const DURATION = /^\s*(\d+\s*[dhm]\s*)+$/i;

/** "4h", "30m", "1d 2h", "1h30m" as the SLA file writes them ("1d2h"), or null if it is none. */
export function duration(text) {
  if (!DURATION.test(text)) return null;
  return text.replace(/\s+/g, "").toLowerCase();
}

/** A labelled input whose `data-field` is the document field it edits. */
export function field(label, input) {
  return el("label", { class: "form-field" }, el("span", {}, label), input);
}
