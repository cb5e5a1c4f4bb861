// @mentions in internal notes: typing "@" suggests agents; arrows, Enter or Tab pick one.
import { $, el } from "../dom.js";
import { state } from "./app.js";

function query() {
  const area = $("compose-text");
  const before = area.value.slice(0, area.selectionStart);
  const match = before.match(/@([A-Za-z0-9_-]*)$/);
  return match ? match[1].toLowerCase() : null;
}

export function hideMentions() {
  $("mentions").classList.add("hidden");
}

/** True if the key goes to the open suggestion list (the composer then ignores it). */
export function mentionKey(event) {
  if ($("mentions").classList.contains("hidden") || !["ArrowDown", "ArrowUp", "Enter", "Tab", "Escape"].includes(event.key)) return false;
  const items = [...$("mentions").children];
  const at = items.findIndex((li) => li.getAttribute("aria-selected") === "true");
  if (event.key === "Escape") {
    hideMentions();
    return true;
  }
  event.preventDefault();
  if (event.key === "Enter" || event.key === "Tab") {
    insert(items[Math.max(0, at)].dataset.id);
    return true;
  }
  const next = (at + (event.key === "ArrowDown" ? 1 : items.length - 1)) % items.length;
  items.forEach((li, i) => li.setAttribute("aria-selected", String(i === next)));
  return true;
}

function insert(id) {
  const area = $("compose-text");
  const before = area.value.slice(0, area.selectionStart).replace(/@([A-Za-z0-9_-]*)$/, `@${id} `);
  const after = area.value.slice(area.selectionStart);
  area.value = before + after;
  area.selectionStart = area.selectionEnd = before.length;
  hideMentions();
  area.focus();
}

$("compose-text").addEventListener("input", () => {
  const q = state.mode === "note" ? query() : null;
  if (q === null) return hideMentions();
  const hits = state.agents.filter((a) => a.id.toLowerCase().startsWith(q) || a.name.toLowerCase().includes(q)).slice(0, 6);
  if (!hits.length) return hideMentions();
  $("mentions").replaceChildren(...hits.map((a, i) => el("li", {
    role: "option", "aria-selected": String(i === 0), dataset: { id: a.id, testid: "mention" },
    onmousedown: (event) => { event.preventDefault(); insert(a.id); },
  }, `${a.name} `, el("span", { class: "muted small" }, `@${a.id}`))));
  $("mentions").classList.remove("hidden");
});
