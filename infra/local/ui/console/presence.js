// The online switch in the top bar: routing assigns new tickets only to agents who are online.
import { $ } from "../dom.js";
import { api } from "./api.js";
import { on, state } from "./app.js";
import { toast } from "./toast.js";

function paint() {
  const online = Boolean(state.me.profile && state.me.profile.online);
  $("presence").checked = online;
  $("presence-label").textContent = online ? "Online" : "Offline";
  $("presence").disabled = !state.me.profile;
}

$("presence").addEventListener("change", async () => {
  const online = $("presence").checked;
  try {
    const agent = await api("PUT", `/agents/${encodeURIComponent(state.me.agent)}/presence`, { online }, `presence ${online}`);
    state.me.profile = agent;
    toast(online ? "You are online: routing assigns you tickets." : "You are offline: no new tickets.");
  } catch (error) {
    toast(error.message, true);
  }
  paint();
});

on("signed-in", paint);
