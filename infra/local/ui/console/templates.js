// The template picker: the only way to write to a customer outside the 24 h window, and
// available inside it too. Parameters {{1}}, {{2}}, ... are filled in and previewed as text.
import { $, el } from "../dom.js";
import { api } from "./api.js";
import { on, refresh, state } from "./app.js";
import { toast } from "./toast.js";

function templateParams(body) {
  const numbers = [...body.matchAll(/\{\{(\d+)\}\}/g)].map((m) => Number(m[1]));
  return numbers.length ? Math.max(...numbers) : 0;
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
    const count = templateParams(tpl.body);
    const old = [...$("template-params").querySelectorAll("input")].map((i) => i.value);
    $("template-params").replaceChildren(...Array.from({ length: count }, (_, i) => {
      const guess = old[i] ?? (i === 0 ? (t.customer_name || "") : i === 1 ? (draft || "") : "");
      const input = el("input", { "aria-label": `Parameter {{${i + 1}}}`, placeholder: `{{${i + 1}}}`, value: guess, dataset: { testid: "template-param" } });
      input.addEventListener("input", preview);
      return input;
    }));
    preview();
  };
  const preview = () => {
    const tpl = list[Number(select.value)];
    const values = [...$("template-params").querySelectorAll("input")].map((i) => i.value);
    $("template-preview").textContent = tpl.body.replace(/\{\{(\d+)\}\}/g, (_, n) => values[n - 1] || `{{${n}}}`);
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
$("show-templates").addEventListener("click", () => showTemplates(state.templates, $("compose-text").value.trim()));
on("ticket-opened", hideTemplates);
