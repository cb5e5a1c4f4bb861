// The composer under the conversation: a reply to the customer or an internal note
// (Ctrl+Enter sends). A reply refused because the 24 h window closed opens the template picker.
import { $ } from "../dom.js";
import { api } from "./api.js";
import { unfilledVariables } from "./canned.js";
import { on, refresh, state } from "./app.js";
import { hideMentions, mentionKey } from "./mentions.js";
import { quoteText } from "./conversation.js";
import { showTemplates } from "./templates.js";
import { attachment, sendAttachment } from "./attachments.js";
import { toast } from "./toast.js";

function setMode(mode) {
  state.mode = mode;
  $("mode-reply").setAttribute("aria-selected", String(mode === "reply"));
  $("mode-note").setAttribute("aria-selected", String(mode === "note"));
  paint();
  $("compose-text").focus();
}

function paint() {
  const note = state.mode === "note";
  const t = state.ticket;
  $("composer").classList.toggle("note-mode", note);
  $("compose-text").placeholder = note ? "Internal note for your team; @name notifies a colleague (Ctrl+Enter saves)" : "Write a reply… (Ctrl+Enter sends)";
  $("compose-send").textContent = note ? "Add note" : "Send reply";
  $("compose-hint").textContent = note
    ? "Only agents see notes."
    : "The customer receives this on WhatsApp. 📎 Attach sends a file: images (JPEG, PNG) up to 5 MB, audio and video up to 16 MB, documents (PDF, Office, text) up to 100 MB; the text becomes its caption.";
  $("show-templates").classList.toggle("hidden", note);
  $("compose-attach").classList.toggle("hidden", note);
  const quoting = state.quote && !note;
  $("compose-quote").classList.toggle("hidden", !quoting);
  $("compose-quote-text").textContent = quoting ? quoteText(state.quote) : "";
  const closed = t && !t.service_window_open && !note;
  $("window-notice").classList.toggle("hidden", !closed);
  $("window-notice").textContent = closed ? "The customer last wrote more than 24 hours ago: WhatsApp only allows an approved template now." : "";
}

async function send() {
  const t = state.ticket;
  const text = $("compose-text").value.trim();
  const withFile = state.mode === "reply" && attachment.current;
  if (!t || (!text && !withFile)) return;
  const missing = state.mode === "reply" ? unfilledVariables(text) : [];
  if (missing.length) {
    toast(`Replace ${missing.map((m) => `{{${m}}}`).join(", ")} before sending.`, true);
    return;
  }
  const path = state.mode === "note" ? "notes" : "reply";
  $("compose-send").disabled = true;
  try {
    if (withFile) {
      // The text is the file's caption.
      if (await sendAttachment(text)) $("compose-text").value = "";
      return;
    }
    const body = { text, version: t.version };
    if (path === "reply" && state.quote) body.quote = state.quote.wamid;
    await api("POST", `/tickets/${t.id}/${path}`, body, `${path} ${t.id} ${text}`);
    $("compose-text").value = "";
    if (path === "reply") state.quote = null;
    toast(state.mode === "note" ? "Note added" : "Reply sent");
    hideMentions();
  } catch (error) {
    if (error.status === 422 && error.body.error === "outside_service_window") {
      showTemplates(error.body.templates, text);
      toast("Outside the 24 h window: choose a template.", true);
    } else if (error.status === 409 && error.body.error === "version_conflict") {
      toast("The ticket changed meanwhile (new message?). Check the conversation and send again.", true);
    } else {
      toast(error.message, true);
    }
  } finally {
    $("compose-send").disabled = false;
    await refresh({ scroll: true });
  }
}

$("mode-reply").addEventListener("click", () => setMode("reply"));
$("mode-note").addEventListener("click", () => setMode("note"));
$("compose-send").addEventListener("click", send);
$("compose-text").addEventListener("keydown", (event) => {
  if (mentionKey(event)) return;
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    send();
  }
});

on("ticket-opened", () => { $("compose-text").value = ""; state.quote = null; });
on("quote", (m) => {
  state.quote = m;
  setMode("reply");
});
$("compose-quote-cancel").addEventListener("click", () => {
  state.quote = null;
  paint();
});
on("ticket", paint);
