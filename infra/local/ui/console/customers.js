// "Find anything" and the customer view. The search box in the top bar asks GET /search (phone
// number or its last 4+ digits, a name, a ticket id, an order number) and lists customers and
// tickets; a `#tag` goes to the queue's tag filter when the console has one. The customer view
// (opened from a hit or from a ticket's "Customer" panel) shows the profile agents edit (PATCH
// with the version read: a colleague's earlier save is a 409, never overwritten), the consent
// state, the customer's tags, every ticket newest first and the whole history across tickets,
// a page at a time.
import { $, el } from "../dom.js";
import { api } from "./api.js";
import { on, refresh } from "./app.js";
import { STATUS, badge, clock } from "./format.js";
import { openTicket, sidePanel } from "./ticket.js";
import { toast } from "./toast.js";
import { showView } from "./views.js";

const HELP =
  "Find a customer by phone number (whole or the last 4+ digits) or name (any word, accents ignored), " +
  "a ticket by its id or the order number the bot found; #tag filters the queue by tag.";

// ---- the search box -------------------------------------------------------------------------

const input = el("input", {
  type: "search",
  id: "search-input",
  placeholder: "Find: phone, name, ticket, order, #tag",
  "aria-label": "Search customers and tickets",
  title: HELP,
  autocomplete: "off",
  dataset: { testid: "search-input" },
});
const results = el("div", { id: "search-results", class: "search-results hidden", role: "dialog", "aria-label": "Search results", dataset: { testid: "search-results" } });
const form = el("form", { class: "search", role: "search" }, input, results);
document.querySelector(".topbar .spacer").before(form);

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const q = input.value.trim();
  if (!q) return closeResults();
  // The hook for tag search: `#word` (not an order number like #1042) filters the queue.
  if (q.startsWith("#") && !/\d/.test(q)) return tagFilter(q.slice(1));
  try {
    showResults(await api("GET", `/search?q=${encodeURIComponent(q)}`));
  } catch (error) {
    if (error.status !== 401) showMessage(error.message);
  }
});
input.addEventListener("keydown", (event) => {
  if (event.key === "Escape") closeResults();
});
document.addEventListener("click", (event) => {
  if (!form.contains(event.target)) closeResults();
});

/** Sends `tag` to the queue's tag filter (another part of the console owns it). */
function tagFilter(tag) {
  const filter = $("f-tag");
  if (!filter) return showMessage("Filtering the queue by tag is not available in this console.");
  closeResults();
  showView("queue");
  filter.value = tag.toLowerCase();
  filter.dispatchEvent(new Event("change", { bubbles: true }));
}

function closeResults() {
  results.classList.add("hidden");
}

function showMessage(text) {
  results.replaceChildren(el("p", { class: "muted small" }, text), el("p", { class: "muted small" }, HELP));
  results.classList.remove("hidden");
}

function showResults(r) {
  const items = [];
  for (const c of r.customers) {
    items.push(
      el(
        "li",
        {},
        el(
          "button",
          { type: "button", class: "hit", dataset: { testid: "search-customer", waId: c.wa_id }, onclick: () => openCustomer(c.wa_id) },
          el("strong", {}, c.name || c.phone),
          " ",
          el("span", { class: "muted small" }, c.phone),
          c.tier ? badge(c.tier) : null,
          c.tags.map((t) => badge(t, "tag")),
        ),
      ),
    );
  }
  for (const t of r.tickets) {
    const [status, kind] = STATUS[t.status] || [t.status, ""];
    items.push(
      el(
        "li",
        {},
        el(
          "button",
          { type: "button", class: "hit", dataset: { testid: "search-ticket", id: t.id }, onclick: () => openFromSearch(t.id) },
          el("strong", {}, t.customer_name || t.customer),
          " ",
          badge(status, kind),
          el("div", { class: "muted small" }, `ticket ${t.id} · opened ${clock(t.created_at)}`),
        ),
      ),
    );
  }
  results.replaceChildren(
    items.length
      ? el("ul", { class: "hits" }, items)
      : el("p", { class: "muted small", dataset: { testid: "search-empty" } }, `Nothing found for “${r.q}” (searched as ${r.searched.join(", ")}).`),
  );
  results.classList.remove("hidden");
}

async function openFromSearch(id) {
  closeResults();
  closeCustomer();
  showView("queue");
  await openTicket(id);
}

// ---- the customer view ----------------------------------------------------------------------

const panel = el("section", { id: "customer-view", class: "customer-view hidden", role: "dialog", "aria-label": "Customer", dataset: { testid: "customer-view" } });
document.body.append(panel);
let shown = null; // the customer as last loaded
let history = []; // entries shown, newest first
let historyNext = null;

export async function openCustomer(waId) {
  closeResults();
  try {
    render(await api("GET", `/customers/${waId}`));
    panel.classList.remove("hidden");
  } catch (error) {
    if (error.status !== 401) toast(`Customer: ${error.message}`, true);
  }
}

function closeCustomer() {
  panel.classList.add("hidden");
  shown = null;
}

function render(c) {
  shown = c;
  history = c.history.entries;
  historyNext = c.history.next_cursor;
  const error = el("p", { class: "error", role: "alert", dataset: { testid: "customer-error" } });
  const field = (label, name, value, props = {}) =>
    el("label", {}, label, el("input", { name, value: value || "", dataset: { testid: `customer-${name}` }, ...props }));
  const custom = Object.entries(c.fields).map(([k, v]) => customRow(k, v));
  const customList = el("div", { class: "custom-fields", dataset: { testid: "customer-fields" } }, custom);
  const profile = el(
    "form",
    { class: "customer-form", dataset: { testid: "customer-form" } },
    field("Name", "name", c.name, { placeholder: c.profile_name || "", maxlength: 100 }),
    field("E-mail", "email", c.email, { type: "email", maxlength: 254 }),
    field("Language", "language", c.language, { placeholder: c.detected_language || "de, en, pt-BR", maxlength: 12 }),
    field("Tier", "tier", c.tier, { placeholder: "gold", maxlength: 32 }),
    el("div", { class: "muted small" }, "Custom fields (name: a-z, 0-9, _)"),
    customList,
    el("button", { type: "button", class: "small", onclick: () => customList.append(customRow("", "")) }, "Add field"),
    el("div", { class: "row" }, el("button", { type: "submit", class: "primary", dataset: { testid: "customer-save" } }, "Save profile"), el("span", { class: "muted small" }, `version ${c.version}`)),
    error,
  );
  profile.addEventListener("submit", (event) => {
    event.preventDefault();
    save(profile, error);
  });
  const tagInput = el("input", { placeholder: "add a tag", maxlength: 32, "aria-label": "New tag", dataset: { testid: "customer-tag-input" } });
  const tagForm = el("form", { class: "row" }, tagInput, el("button", { type: "submit", class: "small", dataset: { testid: "customer-tag-add" } }, "Add tag"));
  tagForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const tag = tagInput.value.trim();
    if (tag) changeTag(tag, true);
  });
  const consent = c.consent.state === "unknown" ? "never asked" : `${c.consent.state.replace("_", " ")} ${clock(c.consent.at)} (${c.consent.source})`;
  panel.replaceChildren(
    el(
      "header",
      { class: "customer-head" },
      el("div", {}, el("h2", { dataset: { testid: "customer-name" } }, c.display_name || c.phone), el("div", { class: "muted small" }, `${c.phone} · WhatsApp name: ${c.profile_name || "–"}`)),
      el("button", { type: "button", "aria-label": "Close", dataset: { testid: "customer-close" }, onclick: closeCustomer }, "Close"),
    ),
    el(
      "div",
      { class: "customer-columns" },
      el(
        "div",
        {},
        el("h3", {}, "Profile"),
        profile,
        el("h3", {}, "Tags"),
        el("div", { class: "badges tags", dataset: { testid: "customer-tags" } }, c.tags.map(tagChip)),
        tagForm,
        el("h3", {}, "Consent to business-initiated messages"),
        el("p", { class: "small", dataset: { testid: "customer-consent" } }, consent),
        el("h3", {}, `Tickets (${c.tickets.length + c.more_tickets})`),
        el(
          "ul",
          { class: "customer-tickets", dataset: { testid: "customer-tickets" } },
          c.tickets.map((t) => {
            const [status, kind] = STATUS[t.status] || [t.status, ""];
            return el("li", {}, el("button", { type: "button", class: "link", onclick: () => openFromSearch(t.id) }, `ticket ${t.id}`), " ", badge(status, kind), el("span", { class: "muted small" }, ` opened ${clock(t.created_at)}`));
          }),
        ),
      ),
      el("div", { class: "customer-history" }, el("h3", {}, "Conversation history (all tickets)"), el("div", { id: "customer-history", dataset: { testid: "customer-history" } }), el("button", { type: "button", id: "history-more", class: "small hidden", dataset: { testid: "history-more" }, onclick: moreHistory }, "Older messages")),
    ),
  );
  renderHistory();
}

function customRow(key, value) {
  return el(
    "div",
    { class: "row custom-field" },
    el("input", { class: "custom-key", value: key, placeholder: "customer_no", "aria-label": "Field name", maxlength: 32 }),
    el("input", { class: "custom-value", value, placeholder: "value", "aria-label": "Field value", maxlength: 200 }),
    el("button", { type: "button", class: "link small", "aria-label": "Remove field", onclick: (e) => {
      // Sent empty: the API removes it.
      const row = e.target.closest(".custom-field");
      row.querySelector(".custom-value").value = "";
      row.classList.add("hidden");
    } }, "✕"),
  );
}

function tagChip(tag) {
  return el("span", { class: "badge tag", dataset: { testid: "customer-tag" } }, tag, el("button", { type: "button", class: "link small", "aria-label": `Remove tag ${tag}`, onclick: () => changeTag(tag, false) }, "✕"));
}

function renderHistory() {
  const box = $("customer-history");
  // Oldest at the top, as a chat reads; a ticket's first message starts a section.
  const entries = [...history].reverse();
  let ticket = null;
  const nodes = [];
  for (const m of entries) {
    if (m.ticket_id !== ticket) {
      ticket = m.ticket_id;
      nodes.push(el("div", { class: "system-line" }, `ticket ${ticket}`));
    }
    nodes.push(el("div", { class: `msg ${m.direction}`, dataset: { testid: "history-entry", ticket: m.ticket_id } }, m.text || `[${m.kind}]`, el("div", { class: "muted small" }, clock(m.sent_at))));
  }
  box.replaceChildren(...nodes);
  $("history-more").classList.toggle("hidden", !historyNext);
}

async function moreHistory() {
  if (!historyNext || !shown) return;
  try {
    const page = await api("GET", `/customers/${shown.wa_id}/history?cursor=${encodeURIComponent(historyNext)}`);
    history = history.concat(page.entries);
    historyNext = page.next_cursor;
    renderHistory();
  } catch (error) {
    if (error.status !== 401) toast(`History: ${error.message}`, true);
  }
}

async function save(form, error) {
  const value = (name) => form.querySelector(`[name="${name}"]`).value.trim();
  const fields = {};
  for (const row of form.querySelectorAll(".custom-field")) {
    const key = row.querySelector(".custom-key").value.trim();
    if (key) fields[key] = row.querySelector(".custom-value").value.trim();
  }
  const body = { version: shown.version, name: value("name"), email: value("email"), language: value("language"), tier: value("tier"), fields };
  try {
    render(await api("PATCH", `/customers/${shown.wa_id}`, body, `edit customer ${shown.wa_id}`));
    toast("Profile saved");
    refresh();
  } catch (e) {
    if (e.status === 409) {
      // A colleague saved first: show theirs; nothing of it was overwritten.
      const waId = shown.wa_id;
      await openCustomer(waId);
      $("customer-view").querySelector('[data-testid="customer-error"]').textContent = "Someone else changed this customer meanwhile: their version is shown; make your change again.";
    } else if (e.status !== 401) {
      const fields = e.body && e.body.fields ? Object.entries(e.body.fields).map(([k, v]) => `${k}: ${v}`).join("; ") : "";
      error.textContent = fields || e.message;
    }
  }
}

async function changeTag(tag, add) {
  try {
    render(await api(add ? "PUT" : "DELETE", `/customers/${shown.wa_id}/tags/${encodeURIComponent(tag)}`, undefined, `${add ? "tag" : "untag"} ${shown.wa_id} ${tag}`));
    refresh();
  } catch (e) {
    if (e.status !== 401) toast(`Tag: ${e.message}`, true);
  }
}

// ---- on the ticket: its customer's tags and the way to the customer view --------------------

const customerBox = sidePanel("Customer", "ticket-customer");
on("ticket", ({ ticket }) => {
  customerBox.replaceChildren(
    el("div", { class: "badges tags", dataset: { testid: "ticket-customer-tags" } }, ticket.customer_tags.length ? ticket.customer_tags.map((t) => badge(t, "tag")) : el("span", { class: "muted small" }, "no tags")),
    el("button", { type: "button", class: "small", dataset: { testid: "open-customer" }, onclick: () => openCustomer(ticket.customer) }, "Open customer"),
  );
});
on("signed-out", () => {
  closeCustomer();
  closeResults();
  input.value = "";
});
