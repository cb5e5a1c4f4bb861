// The ticket's tags (side panel): each with a button to take it off, and a field to add one.
// Tags are normalised by the API ("VIP order" becomes vip-order); the queue filters by them.
import { el } from "../dom.js";
import { api } from "./api.js";
import { on, refresh, state } from "./app.js";
import { sidePanel } from "./ticket.js";
import { toast } from "./toast.js";

const panel = sidePanel("Tags", "tags");

async function change(action, tag) {
  const t = state.ticket;
  if (!t) return;
  try {
    await api("POST", `/tickets/${t.id}/${action}`, { tag }, `${action} ${t.id} ${tag}`);
    await refresh({ agents: false });
  } catch (error) {
    if (error.status !== 401) toast(`Tag: ${error.message}`, true);
  }
}

function render(t) {
  const input = el("input", { type: "text", maxlength: "32", placeholder: "Add a tag", "aria-label": "New tag", title: "Letters, digits, - and _ (spaces become -); at most 10 per ticket. Filter the queue by a tag with the Tag field.", dataset: { testid: "tag-input" } });
  const add = () => {
    const tag = input.value.trim();
    if (tag) change("tag", tag);
  };
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      add();
    }
  });
  panel.replaceChildren(
    el("div", { class: "tag-list" },
      t.tags.length ? null : el("span", { class: "muted small" }, "No tags"),
      ...t.tags.map((tag) => el("span", { class: "tag", dataset: { testid: "ticket-tag" } }, `#${tag} `,
        el("button", { type: "button", class: "link small", "aria-label": `Remove tag ${tag}`, onclick: () => change("untag", tag) }, "✕")))),
    el("div", { class: "row" }, input, el("button", { type: "button", class: "small", dataset: { testid: "tag-add" }, onclick: add }, "Add")),
  );
}

on("ticket", ({ ticket }) => render(ticket));
