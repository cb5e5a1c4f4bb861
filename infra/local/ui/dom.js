// The DOM helpers both pages share: look-ups, element building, text-only rendering and JSON
// requests whose failures carry the server's message. Nothing here writes HTML from strings:
// every value a page shows goes in as a text node or an attribute, so customer and agent input
// can never become markup.

const HTML_NS = "http://www.w3.org/1999/xhtml";
const SVG_NS = "http://www.w3.org/2000/svg";

/** The element with this id. */
export const $ = (id) => document.getElementById(id);

/**
 * Builds an element. `props`: `class`, `dataset` (an object), `on<event>` (a listener), or any
 * attribute (`true` sets it empty; `false`, `null` and `undefined` leave it out). `children`
 * (nested arrays allowed) are nodes or values shown as text; `null`, `undefined` and `false`
 * are skipped.
 */
export function el(tag, props = {}, ...children) {
  const node = document.createElementNS(tag === "svg" || props.svg ? SVG_NS : HTML_NS, tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "svg") continue;
    if (key === "class") node.setAttribute("class", value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value !== undefined && value !== null && value !== false) node.setAttribute(key, value === true ? "" : value);
  }
  append(node, children);
  return node;
}

/** An SVG element (see `el`). */
export const svg = (tag, props = {}, ...children) => el(tag, { ...props, svg: true }, ...children);

/** Appends `children` to `node` as `el` does: nodes as they are, anything else as text. */
export function append(node, ...children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** Shows `message` (text only) in `node`, e.g. a form's `role="alert"` line; empty clears it. */
export function showError(node, message) {
  node.textContent = message || "";
}

/** A failed request: `status` is the HTTP status (0 if the server was not reached), `body` the
 * JSON the server answered with (`{}` if none), `message` the server's message if it gave one. */
export class HttpError extends Error {
  constructor(status, body, message) {
    super(message || body.message || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

/**
 * Sends a JSON request and returns `{ status, body }` whatever the status (`body` is `{}` when
 * the answer is not JSON). Throws `HttpError` with status 0 when the server is not reached.
 */
export async function requestJson(method, path, { body, headers = {} } = {}) {
  const sent = { ...headers };
  if (body !== undefined) sent["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, { method, headers: sent, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (error) {
    throw new HttpError(0, {}, `cannot reach the server (${error.message})`);
  }
  const data = await response.json().catch(() => ({}));
  return { status: response.status, ok: response.ok, body: data };
}

/** `requestJson` that returns the body of a 2xx answer and throws `HttpError` otherwise. */
export async function fetchJson(method, path, options) {
  const answer = await requestJson(method, path, options);
  if (!answer.ok) throw new HttpError(answer.status, answer.body);
  return answer.body;
}
