// The conversation: the customer's and our messages, internal notes, and the ticket's events
// and SLA entries in time order.
import { $, el } from "../dom.js";
import { on } from "./app.js";
import { agentName } from "./directory.js";
import { badge, clock } from "./format.js";
import { SLA_ENTRY, activityText, slaBadge, slaHeadline } from "./activity.js";

/** The attachment of a message: a preview for images, a link for other files, or why it is missing. */
function mediaView(m) {
  const media = m.media;
  if (!media) return null;
  if (media.url && (media.mime_type || "").startsWith("image/")) {
    return el("a", { href: media.url, target: "_blank", rel: "noopener" },
      el("img", { class: "media-preview", src: media.url, alt: `${m.kind} from the customer` }));
  }
  if (media.url) {
    const size = media.size ? ` · ${Math.ceil(media.size / 1024)} KB` : "";
    return el("a", { class: "file", href: media.url, target: "_blank", rel: "noopener" }, `📎 ${media.mime_type || m.kind}${size}`);
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
  const items = [
    ...t.messages.map((m) => ({ at: m.sent_at, kind: "message", m })),
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
    return el("div", { class: `msg ${m.direction} ${author === "bot" ? "bot" : ""}`, dataset: { testid: "message", direction: m.direction, kind: m.kind || "text" } },
      el("div", { class: "who" }, el("span", {}, who, " ", kind), el("span", {}, `${clock(m.sent_at)}${delivery}`)),
      mediaView(m), m.text || (m.media ? "" : `[${m.kind}]`));
  });
  box.replaceChildren(...nodes);
  if (scroll || nearBottom) box.scrollTop = box.scrollHeight;
}

on("ticket", ({ ticket, scroll }) => render(ticket, scroll));
