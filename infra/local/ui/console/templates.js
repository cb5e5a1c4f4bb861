// The template picker: the only way to write to a customer outside the 24 h window, and
// available inside it too. Parameters {{1}}, {{2}}, ... are filled in and previewed as text.
import { $, el } from "../dom.js";
import { api } from "./api.js";
import { on, refresh, state } from "./app.js";
import { loadTemplates } from "./directory.js";
import { toast } from "./toast.js";

/** The parameters to fill in: the API names them (`1`, `2`, ... or named ones). */
function templateParams(tpl) {
  if (Array.isArray(tpl.params)) return tpl.params;
  const numbers = [...tpl.body.matchAll(/\{\{(\d+)\}\}/g)].map((m) => Number(m[1]));
  return Array.from({ length: numbers.length ? Math.max(...numbers) : 0 }, (_, i) => String(i + 1));
}

/** Opens the picker over the composer with `templates` (default: all of them); `draft` (what
 * the agent had written) pre-fills the second parameter. */
export function showTemplates(templates, draft) {
  const list = templates && templates.length ? templates : state.templates;
  const t = state.ticket;
  const select = $("template-select");
  select.replaceChildren(...list.map((tpl, i) => el("option", { value: String(i) }, `${tpl.name} (${tpl.language})`)));
  const preferred = list.findIndex((tpl) => tpl.language === "de");
  if (preferred >= 0) select.value = String(preferred);
  const paint = () => {
    const tpl = list[Number(select.value)];
    if (!tpl) return;
    const names = templateParams(tpl);
    const old = [...$("template-params").querySelectorAll("input")].map((i) => i.value);
    $("template-params").replaceChildren(...names.map((name, i) => {
      const guess = old[i] ?? (i === 0 ? (t.customer_name || "") : i === 1 ? (draft || "") : "");
      const input = el("input", { "aria-label": `Parameter {{${name}}}`, placeholder: `{{${name}}}`, value: guess, dataset: { testid: "template-param" } });
      input.addEventListener("input", preview);
      return input;
    }));
    preview();
  };
  const preview = () => {
    const tpl = list[Number(select.value)];
    const values = [...$("template-params").querySelectorAll("input")].map((i) => i.value);
    const names = templateParams(tpl);
    $("template-preview").textContent = tpl.body.replace(/\{\{\s*([^}]+?)\s*\}\}/g, (whole, n) => {
      const i = names.indexOf(n);
      return (i >= 0 && values[i]) || whole;
    });
  };
  select.onchange = paint;
  $("template-send").onclick = async () => {
    const tpl = list[Number(select.value)];
    const params = [...$("template-params").querySelectorAll("input")].map((i) => i.value.trim());
    if (params.some((p) => !p)) return toast("Fill in every parameter.", true);
    try {
      await api("POST", `/tickets/${t.id}/template`, { name: tpl.name, language: tpl.language, params, version: state.ticket.version }, `template ${t.id} ${tpl.name} ${params.join("|")}`);
      toast("Template sent");
      hideTemplates();
      $("compose-text").value = "";
    } catch (error) {
      toast(error.message, true);
    }
    await refresh({ scroll: true });
  };
  paint();
  $("templates").classList.remove("hidden");
  $("compose-box").classList.add("hidden");
}

function hideTemplates() {
  $("templates").classList.add("hidden");
  $("compose-box").classList.remove("hidden");
}

$("template-cancel").addEventListener("click", hideTemplates);
// Opened by hand: the approved templates as they are now (a review decided since sign-in counts).
$("show-templates").addEventListener("click", async () => {
  await loadTemplates();
  showTemplates(state.templates, $("compose-text").value.trim());
});
on("ticket-opened", hideTemplates);
