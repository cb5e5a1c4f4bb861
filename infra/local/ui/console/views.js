// The top-level views behind the tabs (tickets, dashboard, ...). A view module registers itself
// with `addView`; the tab shows only to the roles the view allows.
import { $, el } from "../dom.js";
import { on, state } from "./app.js";

const views = [];
let current = null;

/**
 * Registers a view. `tab` and `view` are its elements; without them a tab button is added to
 * the top bar and an empty `<main>` to the page (fill it from the module). `allowed(me)`
 * decides who sees the tab (default: everyone); `onShow()` runs each time it is shown and
 * `onPoll()` every 3 s while it is shown and the page is visible.
 * Returns the view's `<main>` element.
 */
export function addView({ name, label, tab, view, allowed = () => true, onShow = () => {}, onPoll = () => {} }) {
  tab = tab || $("tabs").appendChild(el("button", { type: "button", class: "tab hidden", id: `tab-${name}`, dataset: { testid: `tab-${name}` } }, label));
  view = view || $("app").appendChild(el("main", { id: `${name}-view`, class: "hidden", "aria-label": label, dataset: { testid: name } }));
  views.push({ name, tab, view, allowed, onShow, onPoll });
  tab.addEventListener("click", () => showView(name));
  return view;
}

export function showView(name) {
  current = name;
  for (const v of views) {
    v.view.classList.toggle("hidden", v.name !== name);
    v.tab.setAttribute("aria-current", v.name === name ? "page" : "false");
  }
  const shown = views.find((v) => v.name === name);
  if (shown) shown.onShow();
}

on("signed-in", (me) => {
  for (const v of views) v.tab.classList.toggle("hidden", !v.allowed(me));
  showView(views[0].name);
});

setInterval(() => {
  if (!state.key || document.hidden) return;
  const shown = views.find((v) => v.name === current);
  if (shown) shown.onPoll();
}, 3000);
