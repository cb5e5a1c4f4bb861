// Files an agent sends: WhatsApp's type and size limits are checked by the API before anything
// is uploaded (its refusal names the limit), the file goes straight to the upload URL the API
// gives (S3 in AWS), and the reply then names it by its key.
import { $ } from "../dom.js";
import { api } from "./api.js";
import { on, state } from "./app.js";
import { toast } from "./toast.js";

/** The file being attached: `{name, kind, key, ready, uploading}` or null. */
export const attachment = { current: null };

function show() {
  const a = attachment.current;
  $("compose-attachment").classList.toggle("hidden", !a);
  $("compose-attachment-name").textContent = a ? `📎 ${a.name}` : "";
  $("compose-attachment-state").textContent = !a ? "" : a.ready ? `${a.kind} · ready: the text below is its caption` : "uploading…";
  $("compose-attachment-state").dataset.ready = String(Boolean(a && a.ready));
}

function refuse(message) {
  $("attach-error").textContent = message;
  $("attach-error").classList.toggle("hidden", !message);
}

/** Forgets the attached file (sent, removed or another ticket opened). */
export function clearAttachment() {
  attachment.current = null;
  $("compose-file").value = "";
  refuse("");
  show();
}

async function choose(file) {
  const t = state.ticket;
  if (!t || !file) return;
  clearAttachment();
  let slot;
  try {
    slot = await api("POST", `/tickets/${t.id}/attachments`, {
      file_name: file.name,
      content_type: file.type || "application/octet-stream",
      size: file.size,
    }, `attach ${t.id} ${file.name} ${file.size}`);
  } catch (error) {
    // Refused before anything was uploaded: say why (type, size limit, window).
    refuse(error.body?.message || error.message);
    $("compose-file").value = "";
    return;
  }
  attachment.current = { name: file.name, kind: slot.kind, key: slot.key, ready: false, ticket: t.id };
  show();
  try {
    const answer = await fetch(slot.upload.url, { method: slot.upload.method, headers: slot.upload.headers, body: file });
    if (!answer.ok) throw new Error(`the upload was refused (${answer.status})`);
  } catch (error) {
    clearAttachment();
    refuse(`The file could not be uploaded: ${error.message}. Try again.`);
    return;
  }
  if (attachment.current && attachment.current.key === slot.key) {
    attachment.current.ready = true;
    show();
  }
}

/** Sends the attached file with `caption` (may be empty). True when sent. */
export async function sendAttachment(caption) {
  const t = state.ticket;
  const a = attachment.current;
  if (!t || !a) return false;
  if (!a.ready) {
    toast("The file is still uploading.", true);
    return false;
  }
  const body = { attachment: a.key, version: t.version };
  if (caption) body.caption = caption;
  await api("POST", `/tickets/${t.id}/reply`, body, `attach-send ${t.id} ${a.key}`);
  clearAttachment();
  toast(`${a.kind[0].toUpperCase()}${a.kind.slice(1)} sent`);
  return true;
}

$("compose-attach").addEventListener("click", () => $("compose-file").click());
$("compose-file").addEventListener("change", (event) => choose(event.target.files[0]));
$("compose-attachment-cancel").addEventListener("click", clearAttachment);
on("ticket-opened", clearAttachment);
