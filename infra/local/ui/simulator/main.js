// The simulated customer phone (served at /simulator; ES modules, no build step). It talks to
// the runner's simulator endpoints only (see phone.js). `?wa_id=...&name=...` opens that chat.
import { refreshChat } from "./chat.js";
import { normaliseNumber, openChat, refreshChats } from "./chats.js";
import "./composer.js";

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
