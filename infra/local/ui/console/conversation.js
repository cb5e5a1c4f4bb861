// The conversation: the customer's and our messages, internal notes, and the ticket's events
// and SLA entries in time order.
import { $, el } from "../dom.js";
import { api } from "./api.js";
import { emit, on, refresh, state } from "./app.js";
import { agentName } from "./directory.js";
import { badge, clock } from "./format.js";
import { SLA_ENTRY, activityText, slaBadge, slaHeadline } from "./activity.js";
import { toast } from "./toast.js";

/** Emoji an agent reacts with in one click (WhatsApp takes any single emoji). */
const QUICK_REACTIONS = ["👍", "❤️", "🙏", "✅"];

/** What a message reads as in a quote: its text, or its kind. */
export function quoteText(m) {
  if (!m) return "A message that is not on this ticket";
  return m.text || (m.media ? `📎 ${m.kind}` : `[${m.kind}]`);
}

/** The reactions on each message, by its wamid: the latest of the customer and of us (a later
 * reaction replaces an earlier one of the same side; an empty one takes it back). */
function reactionsByMessage(messages) {
  const latest = new Map();
  for (const m of messages) {
    if (m.kind !== "reaction" || !m.context_id) continue;
    latest.set(`${m.context_id} ${m.direction}`, m);
  }
  const on = new Map();
  for (const r of latest.values()) {
    if (!r.emoji) continue;
    if (!on.has(r.context_id)) on.set(r.context_id, []);
    on.get(r.context_id).push(r);
  }
  return on;
}

async function react(t, m, emoji) {
  try {
    await api("POST", `/tickets/${t.id}/react`, { message: m.wamid, emoji, version: t.version }, `react ${t.id} ${m.wamid} ${emoji}`);
    toast(`Reacted ${emoji}`);
  } catch (error) {
    toast(error.status === 422 ? "The customer's 24 h window is closed: WhatsApp allows no reaction now." : error.message, true);
  }
  await refresh({});
}

/** Quote and reaction buttons under a customer message. */
function messageTools(t, m) {
  if (m.direction !== "inbound" || m.kind === "reaction" || t.status === "resolved" || t.status === "closed") return null;
  return el("div", { class: "msg-tools" },
    el("button", { type: "button", class: "link small", dataset: { testid: "quote-message" }, title: "Reply quoting this message", onclick: () => emit("quote", m) }, "↩ Quote"),
    ...QUICK_REACTIONS.map((emoji) => el("button", { type: "button", class: "link small", dataset: { testid: "react", emoji }, title: `React ${emoji}`, onclick: () => react(t, m, emoji) }, emoji)));
}

/** The attachment of a message: a preview for images, a link for other files, or why it is missing. */
function mediaView(m) {
  const media = m.media;
  if (!media) return null;
  const from = m.direction === "inbound" ? "from the customer" : "sent to the customer";
  const type = media.mime_type || "";
  if (media.url && type.startsWith("image/")) {
    return el("a", { href: media.url, target: "_blank", rel: "noopener", dataset: { testid: "media" } },
      el("img", { class: "media-preview", src: media.url, alt: `${m.kind} ${from}` }));
  }
  if (media.url && type.startsWith("audio/")) {
    return el("audio", { controls: true, preload: "none", src: media.url, dataset: { testid: "media" }, title: `${m.kind} ${from}` });
  }
  if (media.url) {
    const size = media.size ? ` · ${Math.ceil(media.size / 1024)} KB` : "";
    return el("a", { class: "file", href: media.url, target: "_blank", rel: "noopener", dataset: { testid: "media" } }, `📎 ${media.file_name || type || m.kind}${size}`);
  }
  return el("span", { class: "muted small" }, `[${m.kind} not kept: ${media.refused || "still being fetched"}]`);
}

function withMentions(text) {
  return text.split(/(@[A-Za-z0-9_-]+)/).map((part) => (part.startsWith("@") ? el("span", { class: "mention" }, part) : part));
}

const EVENTS = ["assigned", "unassigned", "taken_over", "resolved", "reopened", "pending"];

function render(t, scroll) {
  const box = $("t-conversation");
  const nearBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
  const byId = new Map(t.messages.map((m) => [m.wamid, m]));
  const reactions = reactionsByMessage(t.messages);
  // A reaction shows on its message; one whose message is not on the ticket stays a line.
  const shown = t.messages.filter((m) => !(m.kind === "reaction" && byId.has(m.context_id)));
  const items = [
    ...shown.map((m) => ({ at: m.sent_at, kind: "message", m })),
    ...t.activity.filter((a) => a.kind === "note").map((a) => ({ at: a.at, kind: "note", a })),
    ...t.activity.filter((a) => EVENTS.includes(a.kind)).map((a) => ({ at: a.at, kind: "event", a })),
    ...t.activity.filter((a) => SLA_ENTRY[a.kind]).map((a) => ({ at: a.at, kind: "sla", a })),
  ].sort((x, y) => new Date(x.at) - new Date(y.at));
  const nodes = items.map((item) => {
    if (item.kind === "sla") {
      return el("div", { class: `sla-line ${SLA_ENTRY[item.a.kind][1]}`, dataset: { testid: "sla-event", kind: item.a.kind } },
        slaBadge(item.a), " ", slaHeadline(item.a), item.a.text ? ` · ${item.a.text}` : "", ` · ${clock(item.a.at)}`);
    }
    if (item.kind === "note") {
      return el("div", { class: "msg note", dataset: { testid: "note" } },
        el("div", { class: "who" }, el("span", {}, `Internal note · ${agentName(item.a.actor)}`), el("span", {}, clock(item.a.at))),
        withMentions(item.a.text || ""));
    }
    if (item.kind === "event") return el("div", { class: "system-line", dataset: { testid: "ticket-event", kind: item.a.kind } }, `${activityText(item.a)} · ${clock(item.a.at)}`);
    const m = item.m;
    const author = m.direction === "outbound" ? m.sent_by || "bot" : null;
    const who = m.direction === "inbound" ? (t.customer_name || "Customer") : author === "bot" ? "Bot" : agentName(author);
    const delivery = m.direction === "outbound" && m.delivery ? ` · ${m.delivery}` : "";
    const kind = m.kind && m.kind !== "text" ? badge(m.kind.replace("_", " ")) : null;
    const quoted = m.context_id && m.kind !== "reaction"
      ? el("div", { class: "quoted", dataset: { testid: "quoted", wamid: m.context_id } }, quoteText(byId.get(m.context_id)))
      : null;
    const body = m.kind === "reaction" ? `${m.emoji || "(reaction removed)"} on a message not on this ticket` : m.text || (m.media ? "" : `[${m.kind}]`);
    const chips = (reactions.get(m.wamid) || []).map((r) => el("span", {
      class: `reaction ${r.direction}`,
      dataset: { testid: "reaction", from: r.direction === "inbound" ? "customer" : "agent" },
      title: r.direction === "inbound" ? `${t.customer_name || "The customer"} reacted` : `${r.sent_by ? agentName(r.sent_by) : "We"} reacted`,
    }, r.emoji));
    return el("div", { class: `msg ${m.direction} ${author === "bot" ? "bot" : ""}`, dataset: { testid: "message", direction: m.direction, kind: m.kind || "text", wamid: m.wamid } },
      el("div", { class: "who" }, el("span", {}, who, " ", kind), el("span", {}, `${clock(m.sent_at)}${delivery}`)),
      quoted, mediaView(m), body,
      chips.length ? el("div", { class: "reactions" }, chips) : null,
      messageTools(t, m));
  });
  box.replaceChildren(...nodes);
  if (scroll || nearBottom) box.scrollTop = box.scrollHeight;
}

on("ticket", ({ ticket, scroll }) => render(ticket, scroll));
