// The side panel with the ticket's SLA clocks and live countdowns.
import { $, el } from "../dom.js";
import { on } from "./app.js";
import { TARGETS, badge, clock, countdown } from "./format.js";

const STATE_BADGE = { running: ["running", "info"], at_risk: ["at risk", "warn"], breached: ["breached", "bad"], met: ["met", "ok"], met_late: ["met late", "bad"], paused: ["paused", ""] };

function render(t) {
  const clocks = (t.sla && t.sla.clocks) || [];
  const box = $("t-sla");
  if (!clocks.length) {
    box.replaceChildren(el("p", { class: "muted small" }, "No SLA clocks on this ticket."));
    return;
  }
  box.replaceChildren(
    el("p", { class: "muted small" }, `Policy: ${t.sla.policy || "–"}`),
    ...clocks.map((c) => {
      const [text, kind] = STATE_BADGE[c.state] || [c.state, ""];
      const live = c.due_at && ["running", "at_risk", "breached"].includes(c.state);
      return el("div", { class: "clock", dataset: { testid: "sla-clock", target: c.target } },
        el("span", {}, TARGETS[c.target] || c.target),
        badge(text, kind),
        el("span", { class: "when" },
          live ? countdown(c.due_at) : c.met_at ? `met ${clock(c.met_at)}` : c.due_at ? `due ${clock(c.due_at)}` : "",
          c.due_at && live ? ` (due ${clock(c.due_at)})` : ""));
    }),
  );
}

on("ticket", ({ ticket }) => render(ticket));
