// The agent API client. Every call carries `Authorization: Bearer <key>`; every POST, PATCH and
// PUT carries an Idempotency-Key, reused when the same action is retried.
import { HttpError, requestJson } from "../dom.js";
import { emit, state } from "./app.js";

export { HttpError as ApiError };

let pending = null; // {action, key}: reused when the same action is retried

function idempotencyKey() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return "ui-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Calls the agent API. `action` names a user action: its Idempotency-Key is kept until it
 * succeeds. Throws `ApiError` (`status`, `body`) on any answer but 2xx. */
export async function api(method, path, body, action) {
  const headers = { Authorization: `Bearer ${state.key}` };
  if (method !== "GET") {
    // The key belongs to one request: the same action with other input (an edited reply) is
    // another request and gets a new key (the API refuses a key reused on another request).
    const name = `${action || `${method} ${path}`} ${JSON.stringify(body === undefined ? null : body)}`;
    if (!pending || pending.action !== name) pending = { action: name, key: idempotencyKey() };
    headers["Idempotency-Key"] = pending.key;
  }
  // Not reaching the server (status 0) keeps the key: the retry may repeat a request that arrived.
  const answer = await requestJson(method, `/api${path}`, { body, headers });
  if (answer.status === 401) {
    emit("unauthorized");
    throw new HttpError(401, answer.body);
  }
  if (!answer.ok) {
    // A conflict or refusal is final for this attempt; a 503 may be repeated with the same key.
    if (answer.status !== 503) pending = null;
    throw new HttpError(answer.status, answer.body);
  }
  if (method !== "GET") pending = null;
  return answer.body;
}

/** Downloads the file the API answers `GET path` with (a CSV export) under the name its
 * `Content-Disposition` gives. Throws `ApiError` with the API's message when it refuses. */
export async function download(path, fallbackName) {
  let response;
  try {
    response = await fetch(`/api${path}`, { headers: { Authorization: `Bearer ${state.key}` } });
  } catch (error) {
    throw new HttpError(0, {}, `cannot reach the server (${error.message})`);
  }
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    if (response.status === 401) emit("unauthorized");
    throw new HttpError(response.status, body);
  }
  const named = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "");
  const name = named ? named[1] : fallbackName;
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return name;
}
