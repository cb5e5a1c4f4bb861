// The open chat: bubbles with ticks, attachments, buttons and lists as WhatsApp shows them.
import { $, el } from "../dom.js";
import { call, showSendError, state, time } from "./phone.js";

let onTap = () => {};

/** `handler(choice, kind)` runs when the customer taps a button or a list row. */
export function onChoice(handler) {
  onTap = handler;
}

function ticks(status) {
  const shown = {
    pending: ["🕓", "sending"],
    sent: ["✓", "sent"],
    delivered: ["✓✓", "delivered"],
    read: ["✓✓", "read"],
    failed: ["!", "not delivered"],
  }[status] || ["", status];
  return el("span", { class: `ticks ${status}`, title: shown[1], "aria-label": shown[1], dataset: { status } }, shown[0]);
}

/** Reloads the chat (marking it seen while the page is visible) and redraws it if it changed. */
export async function refreshChat() {
  if (!state.customer) return;
  const seen = document.visibilityState === "visible";
  try {
    const chat = await call("GET", `/dev/simulator/chat?wa_id=${encodeURIComponent(state.customer.wa_id)}&seen=${seen}`);
    // The business marked the customer's message read with a typing indicator (an agent opened it).
    const subtitle = $("phone-subtitle");
    subtitle.dataset.typing = chat.typing ? "true" : "false";
    subtitle.classList.toggle("typing", Boolean(chat.typing));
    if (chat.typing) subtitle.textContent = "typing…";
    else if (subtitle.textContent === "typing…") subtitle.textContent = `you are ${state.customer.name} (+${state.customer.wa_id})`;
    const key = JSON.stringify(chat.messages);
    if (key !== state.lastChat) {
      state.lastChat = key;
      render(chat.messages);
    }
  } catch (error) {
    showSendError(`Cannot reach the runner: ${error.message}`);
  }
}

function render(messages) {
  const box = $("chat");
  const nearBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
  const nodes = [];
  let day = "";
  for (const m of messages) {
    const d = new Date(m.at).toLocaleDateString();
    if (d !== day) {
      day = d;
      nodes.push(el("div", { class: "day" }, d));
    }
    nodes.push(bubble(m));
    if (m.from === "business" && m.buttons) {
      nodes.push(el("div", { class: "choices", dataset: { testid: "buttons" } },
        m.buttons.map((b) => el("button", { type: "button", dataset: { testid: "choice", id: b.id }, onclick: () => onTap(b, "button") }, b.title))));
    }
    if (m.from === "business" && m.list) {
      nodes.push(el("div", { class: "choices" },
        el("button", { type: "button", dataset: { testid: "open-list" }, onclick: () => openList(m) }, `☰ ${m.list.button}`)));
    }
  }
  if (!messages.length) {
    nodes.push(el("p", { class: "chat-hint" }, "No messages yet. Say hello, or ask “Wo ist mein Paket?”."));
  }
  box.replaceChildren(...nodes);
  if (nearBottom || state.scrollToEnd) {
    box.scrollTop = box.scrollHeight;
    state.scrollToEnd = false;
  }
}

function bubble(m) {
  const parts = [];
  if (m.from === "business" && m.type === "template") {
    parts.push(el("div", { class: "label" }, `Template · ${m.template.name}`));
  }
  if (m.type === "reply") {
    parts.push(el("div", { class: "quoted" }, m.reply.kind === "list" ? "Chose from the list" : "Tapped a button"));
  }
  if (m.media) {
    if (m.media.kind === "image") {
      parts.push(el("img", { src: m.media.url, alt: m.media.caption || m.media.filename }));
    } else {
      parts.push(el("a", { class: "file", href: m.media.url, target: "_blank", rel: "noopener" },
        m.media.kind === "audio" ? "🎵" : "📄",
        el("span", {}, m.media.filename, el("br"), el("span", { class: "muted small" }, `${Math.ceil(m.media.file_size / 1024)} KB · ${m.media.mime_type}`))));
    }
  }
  if (m.text) parts.push(el("div", { class: "text" }, m.text));
  if (m.error) parts.push(el("div", { class: "failed" }, m.error));
  const meta = el("div", { class: "meta" }, time(m.at), m.from === "customer" ? ticks(m.status) : null);
  return el("div", {
    class: `bubble ${m.from}`,
    dataset: { testid: "message", from: m.from, status: m.status, wamid: m.wamid },
    title: m.from === "business" ? `status: ${m.status}` : undefined,
  }, parts, meta);
}

function openList(message) {
  $("list-sheet-title").textContent = message.list.button;
  $("list-sheet-rows").replaceChildren(
    ...message.list.rows.map((row) =>
      el("li", {}, el("button", {
        type: "button",
        dataset: { testid: "list-row", id: row.id },
        onclick: () => { closeList(); onTap(row, "list"); },
      }, row.title))),
  );
  $("list-sheet").classList.remove("hidden");
  $("list-sheet-rows").querySelector("button")?.focus();
}

function closeList() {
  $("list-sheet").classList.add("hidden");
}

$("list-sheet-close").addEventListener("click", closeList);
$("list-sheet").addEventListener("click", (event) => { if (event.target === $("list-sheet")) closeList(); });
document.addEventListener("keydown", (event) => { if (event.key === "Escape") closeList(); });
