// Signing in (a demo agent of the local runner, or an API key) and out. The key lives in
// sessionStorage, so a reload keeps the session and closing the tab ends it.
import { $, el, requestJson } from "../dom.js";
import { api } from "./api.js";
import { emit, on, state } from "./app.js";
import { loadAgents, loadTemplates } from "./directory.js";
import { badge } from "./format.js";

const KEY_STORE = "console.key";

async function showLogin(message) {
  $("app").classList.add("hidden");
  $("login").classList.remove("hidden");
  $("login-error").textContent = message || "";
  const box = $("demo-agents");
  box.replaceChildren();
  try {
    const answer = await requestJson("GET", "/dev/demo-keys");
    if (!answer.ok) return;
    box.append(el("p", { class: "muted small" }, "Demo agents:"));
    for (const k of answer.body) {
      box.append(el("button", { type: "button", dataset: { testid: "demo-agent", agent: k.agent }, onclick: () => signIn(k.key) },
        el("strong", {}, k.agent), badge(k.role, k.role === "agent" ? "" : "info")));
    }
  } catch (_) { /* no demo keys: sign in with a key */ }
}

async function signIn(key) {
  state.key = key;
  try {
    state.me = await api("GET", "/me");
  } catch (error) {
    state.key = null;
    $("login-error").textContent = error.status === 401 ? "That key is not valid." : error.message;
    return;
  }
  sessionStorage.setItem(KEY_STORE, key);
  $("login").classList.add("hidden");
  $("app").classList.remove("hidden");
  $("me").textContent = `${state.me.profile ? state.me.profile.name : state.me.agent} · ${state.me.role}`;
  await Promise.all([loadAgents(), loadTemplates()]);
  await emit("signed-in", state.me);
}

function signOut(message) {
  sessionStorage.removeItem(KEY_STORE);
  state.key = null;
  state.me = null;
  state.openId = null;
  state.ticket = null;
  emit("signed-out");
  showLogin(message);
}

/** Signs in with the key of this tab's session, or shows the sign-in form. */
export function start() {
  $("key-form").addEventListener("submit", (event) => {
    event.preventDefault();
    signIn($("key-input").value.trim());
  });
  $("logout").addEventListener("click", () => signOut());
  on("unauthorized", () => signOut("Your key is no longer valid; sign in again."));
  const saved = sessionStorage.getItem(KEY_STORE);
  if (saved) signIn(saved);
  else showLogin();
}
