// The simulated phone's state, its calls to the runner's simulator endpoints, and its error line:
//   POST /dev/simulator/messages   the customer writes, taps a choice or attaches a file
//   GET  /dev/simulator/chat       the chat as the phone shows it (polled every second)
//   GET  /dev/simulator/chats      everybody who wrote, for the list on the left
import { $, fetchJson, showError } from "../dom.js";

export const state = {
  customer: null, // {wa_id, name}
  lastChat: "",
  attachment: null, // {kind, filename, mime_type, data_base64}
  sending: false,
  scrollToEnd: false,
};

/** Calls a simulator endpoint; throws `HttpError` with the runner's message on failure. */
export const call = (method, path, body) => fetchJson(method, path, { body });

/** Shows `text` in the phone's error line (above the composer); empty clears it. */
export const showSendError = (text) => showError($("send-error"), text);

export function time(at) {
  return new Date(at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}
