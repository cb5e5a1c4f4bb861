// The phone's composer: text, taps on buttons and list rows, and attachments (PNG, JPEG or PDF
// up to 5 MB, with an optional caption).
import { $ } from "../dom.js";
import { onChoice, onQuoteMessage, onReactMessage, quoteText, refreshChat } from "./chat.js";
import { refreshChats } from "./chats.js";
import { call, showSendError, state } from "./phone.js";

const MAX_FILE_BYTES = 5 * 1024 * 1024;

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

onChoice((choice, kind) => send({ reply: { id: choice.id, title: choice.title, kind } }));
onReactMessage((m, emoji) => send({ reaction: { message_id: m.wamid, emoji } }));
onQuoteMessage((m) => {
  state.quote = m;
  $("quote-text").textContent = quoteText(m);
  $("quote").classList.remove("hidden");
  $("text").focus();
});

function clearQuote() {
  state.quote = null;
  $("quote").classList.add("hidden");
}
$("quote-cancel").addEventListener("click", clearQuote);

$("composer").addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = $("text");
  if (state.attachment) {
    const caption = $("attachment-caption").value.trim();
    const media = { ...state.attachment };
    if (caption && media.kind !== "audio") media.caption = caption;
    const part = state.quote ? { media, quote: state.quote.wamid } : { media };
    if (await send(part)) {
      clearAttachment();
      clearQuote();
    }
    return;
  }
  const text = input.value.trim();
  if (!text) return;
  const part = state.quote ? { text, quote: state.quote.wamid } : { text };
  if (await send(part)) {
    input.value = "";
    clearQuote();
  }
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
