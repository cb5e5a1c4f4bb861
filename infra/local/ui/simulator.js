// The simulated customer phone. Talks to the runner's simulator endpoints only:
//   POST /dev/simulator/messages   the customer writes, taps a choice or attaches a file
//   GET  /dev/simulator/chat       the chat as the phone shows it (polled every second)
//   GET  /dev/simulator/chats      everybody who wrote, for the list on the left
"use strict";

const MAX_FILE_BYTES = 5 * 1024 * 1024;
const $ = (id) => document.getElementById(id);

const state = {
  customer: null, // {wa_id, name}
  lastChat: "",
  attachment: null, // {kind, filename, mime_type, data_base64}
  sending: false,
};

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value !== undefined && value !== null) node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

async function call(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: body ? { "Content-Type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error(data.message || `HTTP ${response.status}`);
    error.status = response.status;
    throw error;
  }
  return data;
}

function time(at) {
  return new Date(at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
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

// ---- customer selection ----------------------------------------------------------------

function normaliseNumber(raw) {
  return raw.replace(/[^0-9]/g, "");
}

function openChat(name, waId) {
  state.customer = { name, wa_id: waId };
  state.lastChat = "";
  localStorage.setItem("simulator.customer", JSON.stringify(state.customer));
  $("customer-name").value = name;
  $("customer-number").value = waId;
  $("phone-subtitle").textContent = `you are ${name} (+${waId})`;
  $("text").disabled = false;
  $("send").disabled = false;
  $("chat").replaceChildren(el("p", { class: "chat-hint" }, "Loading…"));
  $("text").focus();
  refreshChat();
  refreshChats();
}

$("customer-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const name = $("customer-name").value.trim();
  const waId = normaliseNumber($("customer-number").value);
  $("customer-error").textContent = "";
  if (!name) {
    $("customer-error").textContent = "Enter the customer's name.";
    return;
  }
  if (waId.length < 5 || waId.length > 20) {
    $("customer-error").textContent = "Enter the number in international form, e.g. 4915112345678 (5–20 digits).";
    return;
  }
  openChat(name, waId);
});

async function refreshChats() {
  try {
    const { chats } = await call("GET", "/dev/simulator/chats");
    const list = $("chat-list");
    list.replaceChildren(
      ...chats.map((c) =>
        el("li", {},
          el("button", {
            type: "button",
            "aria-current": state.customer && state.customer.wa_id === c.wa_id ? "true" : "false",
            onclick: () => openChat(c.name || c.wa_id, c.wa_id),
          },
          el("strong", {}, c.name || `+${c.wa_id}`),
          el("span", { class: "muted small" }, time(c.last_at)),
          el("span", { class: "preview" }, `${c.last_from === "customer" ? "You: " : ""}${c.last_text || ""}`)),
        ),
      ),
    );
    $("chat-list-empty").classList.toggle("hidden", chats.length > 0);
  } catch (_) {
    // The runner is restarting; the next poll tries again.
  }
}

// ---- the chat ----------------------------------------------------------------------------

async function refreshChat() {
  if (!state.customer) return;
  const seen = document.visibilityState === "visible";
  try {
    const chat = await call("GET", `/dev/simulator/chat?wa_id=${encodeURIComponent(state.customer.wa_id)}&seen=${seen}`);
    const key = JSON.stringify(chat.messages);
    if (key !== state.lastChat) {
      state.lastChat = key;
      renderChat(chat.messages);
    }
  } catch (error) {
    showSendError(`Cannot reach the runner: ${error.message}`);
  }
}

function renderChat(messages) {
  const box = $("chat");
  const nearBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
  const nodes = [];
  let day = "";
  const byId = new Map(messages.map((m) => [m.wamid, m]));
  for (const m of messages) {
    const d = new Date(m.at).toLocaleDateString();
    if (d !== day) {
      day = d;
      nodes.push(el("div", { class: "day" }, d));
    }
    nodes.push(bubble(m, byId));
    if (m.from === "business" && m.buttons) {
      nodes.push(el("div", { class: "choices", dataset: { testid: "buttons" } },
        m.buttons.map((b) => el("button", { type: "button", dataset: { testid: "choice", id: b.id }, onclick: () => tap(b, "button") }, b.title))));
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

function bubble(m, byId) {
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
        onclick: () => { closeList(); tap(row, "list"); },
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

// ---- sending -----------------------------------------------------------------------------

function showSendError(text) {
  $("send-error").textContent = text || "";
}

async function send(part) {
  if (!state.customer || state.sending) return false;
  state.sending = true;
  $("send").disabled = true;
  showSendError("");
  try {
    await call("POST", "/dev/simulator/messages", { from: state.customer.wa_id, name: state.customer.name, ...part });
    state.scrollToEnd = true;
    await refreshChat();
    refreshChats();
    return true;
  } catch (error) {
    showSendError(error.message);
    refreshChat();
    return false;
  } finally {
    state.sending = false;
    $("send").disabled = false;
  }
}

function tap(choice, kind) {
  send({ reply: { id: choice.id, title: choice.title, kind } });
}

$("composer").addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = $("text");
  if (state.attachment) {
    const caption = $("attachment-caption").value.trim();
    const media = { ...state.attachment };
    if (caption && media.kind !== "audio") media.caption = caption;
    if (await send({ media })) clearAttachment();
    return;
  }
  const text = input.value.trim();
  if (!text) return;
  if (await send({ text })) input.value = "";
  input.focus();
});

$("file").addEventListener("change", () => {
  const file = $("file").files[0];
  $("file").value = "";
  if (!file) return;
  const kind = file.type.startsWith("image/") ? "image" : file.type === "application/pdf" ? "document" : null;
  if (!kind) {
    showSendError("Attach a PNG or JPEG image or a PDF.");
    return;
  }
  if (file.size > MAX_FILE_BYTES) {
    showSendError(`${file.name} is larger than 5 MB.`);
    return;
  }
  const reader = new FileReader();
  reader.onload = () => {
    const data = String(reader.result);
    state.attachment = { kind, filename: file.name, mime_type: file.type, data_base64: data.slice(data.indexOf(",") + 1) };
    $("attachment-name").textContent = `${kind === "image" ? "🖼" : "📄"} ${file.name}`;
    $("attachment").classList.remove("hidden");
    $("attachment-caption").focus();
    showSendError("");
  };
  reader.onerror = () => showSendError(`Cannot read ${file.name}.`);
  reader.readAsDataURL(file);
});

function clearAttachment() {
  state.attachment = null;
  $("attachment-caption").value = "";
  $("attachment").classList.add("hidden");
}
$("attachment-cancel").addEventListener("click", clearAttachment);

// ---- start -------------------------------------------------------------------------------

(function start() {
  const params = new URLSearchParams(location.search);
  let saved = null;
  try { saved = JSON.parse(localStorage.getItem("simulator.customer")); } catch (_) { /* none */ }
  const waId = params.get("wa_id") || (saved && saved.wa_id);
  const name = params.get("name") || (saved && saved.name) || "Anna Müller";
  if (waId) openChat(name, normaliseNumber(waId));
  refreshChats();
  setInterval(refreshChat, 1000);
  setInterval(refreshChats, 3000);
  document.addEventListener("visibilitychange", refreshChat);
})();
