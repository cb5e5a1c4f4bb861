// Who the phone is: the customer form, and the list of everybody who wrote (pick one to switch).
import { $, el } from "../dom.js";
import { refreshChat } from "./chat.js";
import { call, state, time } from "./phone.js";

export function normaliseNumber(raw) {
  return raw.replace(/[^0-9]/g, "");
}

export function openChat(name, waId) {
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

export async function refreshChats() {
  try {
    const { chats } = await call("GET", "/dev/simulator/chats");
    $("chat-list").replaceChildren(
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
