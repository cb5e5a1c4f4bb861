// Routing keywords per team as a form: each rule's team with its handoff reasons and keywords
// (add and remove keywords, add or remove a rule), and the default team. Changes collect here and
// are saved together; the rest of the routing document stays as it is.
import { el } from "../dom.js";
import { FormError, field } from "./config-forms.js";

/** As routing compares words: lower case, ä→ae, ö→oe, ü→ue, ß→ss. */
const normal = (word) => word.trim().toLowerCase().replace(/ä/g, "ae").replace(/ö/g, "oe").replace(/ü/g, "ue").replace(/ß/g, "ss");

export function routingForm(json, ctx) {
  // The rules as edited here; `at` is the rule's index in the saved document (null: new).
  let rules = (json.rules || []).map((r, at) => ({ at, team: r.team, reasons: [...(r.reasons || [])], keywords: [...(r.keywords || [])] }));
  const list = el("div", { dataset: { testid: "routing-rules" } });
  const defaultTeam = el("input", { size: 16, value: json.default_team || "", "aria-label": "Default team", dataset: { testid: "routing-default", field: "default_team" } });

  function render() {
    list.replaceChildren(
      ...rules.map((rule, i) => {
        const path = `rules[${rule.at ?? (json.rules || []).length + i}]`;
        const chips = rule.keywords.map((k) =>
          el(
            "span",
            { class: "chip", dataset: { testid: "routing-keyword", keyword: k } },
            k,
            el("button", { type: "button", class: "link small", "aria-label": `Remove ${k}`, disabled: !ctx.canEdit, dataset: { testid: "routing-keyword-remove" }, onclick: () => { rule.keywords = rule.keywords.filter((x) => x !== k); render(); } }, "✕"),
          ),
        );
        const word = el("input", { size: 14, placeholder: "keyword", "aria-label": `New keyword for ${rule.team}`, dataset: { testid: "routing-keyword-input" } });
        const add = () => {
          for (const w of word.value.split(",").map(normal).filter(Boolean)) if (!rule.keywords.includes(w)) rule.keywords.push(w);
          render();
        };
        word.addEventListener("keydown", (e) => {
          if (e.key === "Enter") {
            e.preventDefault();
            add();
          }
        });
        const reasons = el("input", { size: 20, value: rule.reasons.join(", "), "aria-label": `Handoff reasons for ${rule.team}`, dataset: { field: `${path}.reasons` } });
        reasons.addEventListener("change", () => {
          rule.reasons = reasons.value.split(",").map((r) => r.trim()).filter(Boolean);
        });
        return el(
          "fieldset",
          { class: "routing-rule", dataset: { testid: "routing-rule", team: rule.team, field: path } },
          el("legend", {}, `Team ${rule.team}`),
          field("Handoff reasons", reasons),
          el("div", { class: "chips", dataset: { field: `${path}.keywords` } }, chips.length ? chips : el("span", { class: "hint" }, "no keywords")),
          word,
          " ",
          el("button", { type: "button", disabled: !ctx.canEdit, dataset: { testid: "routing-keyword-add" }, onclick: add }, "Add keyword"),
          " ",
          el("button", { type: "button", class: "link small", disabled: !ctx.canEdit, dataset: { testid: "routing-rule-remove" }, onclick: () => { rules = rules.filter((r) => r !== rule); render(); } }, "Remove this rule"),
        );
      }),
    );
  }
  render();

  const newTeam = el("input", { size: 16, placeholder: "team", "aria-label": "Team of a new rule", dataset: { testid: "routing-new-team" } });
  const addRule = el("button", { type: "button", disabled: !ctx.canEdit, dataset: { testid: "routing-rule-add" } }, "Add a rule");
  addRule.addEventListener("click", () => {
    const team = newTeam.value.trim();
    if (!team) return;
    rules.push({ at: null, team, reasons: [], keywords: [] });
    newTeam.value = "";
    render();
  });
  const save = el("button", { type: "button", disabled: !ctx.canEdit, dataset: { testid: "routing-save" } }, "Save routing");
  save.addEventListener("click", () => {
    const edited = rules.map((r) => ({ ...r, keywords: [...r.keywords], reasons: [...r.reasons] }));
    const fallback = defaultTeam.value.trim();
    ctx.save((doc) => {
      if (!fallback) throw new FormError("default_team", "name the team that gets what no rule matches");
      const before = doc.rules || [];
      // A rule keeps whatever else it has (fields this form does not show) from the saved one.
      doc.rules = edited.map((r) => {
        const old = r.at !== null && before[r.at] && before[r.at].team === r.team ? before[r.at] : {};
        const rule = { ...old, team: r.team, keywords: r.keywords };
        if (r.reasons.length) rule.reasons = r.reasons;
        else delete rule.reasons;
        return rule;
      });
      doc.default_team = fallback;
    }, "routing keywords");
  });
  return el(
    "section",
    { class: "config-form", "aria-label": "Routing keywords", dataset: { testid: "routing-form" } },
    el("h3", {}, "Routing keywords per team"),
    el("p", { class: "hint" }, "A handed-over ticket goes to the team of the first rule whose reason or keyword matches; else to the default team."),
    field("Default team", defaultTeam),
    list,
    el("p", {}, newTeam, " ", addRule),
    el("p", {}, save),
  );
}
