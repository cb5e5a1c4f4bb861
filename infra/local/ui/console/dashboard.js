// The supervisors' dashboard: key figures and charts over a date range and scope.
import { $, el } from "../dom.js";
import { api, download } from "./api.js";
import { supervisor } from "./app.js";
import { botChart, csatChart, hoursChart, slaChart, timesChart, volumeChart } from "./charts.js";
import { pct, secs } from "./format.js";
import { toast } from "./toast.js";
import { addView } from "./views.js";

function isoDay(d) {
  return d.toISOString().slice(0, 10);
}

async function load() {
  if (!$("d-to").value) {
    const today = new Date();
    $("d-to").value = isoDay(today);
    $("d-from").value = isoDay(new Date(today.getTime() - 13 * 86400000));
  }
  const q = new URLSearchParams({ from: $("d-from").value, to: $("d-to").value, scope: $("d-scope").value || "all" });
  try {
    render(await api("GET", `/analytics?${q}`));
  } catch (error) {
    toast(`Analytics: ${error.message}`, true);
  }
}

function render(r) {
  const scope = $("d-scope");
  const current = scope.value || "all";
  scope.replaceChildren(...["all", ...r.scopes.filter((s) => s !== "all")].map((s) => el("option", { value: s, selected: s === current }, s === "all" ? "Everyone" : s)));
  const kpis = [
    ["Opened", r.opened],
    ["Resolved", r.resolved],
    ["Bot resolution rate", pct(r.bot_resolution_rate)],
    ["Handoff rate", pct(r.handoff_rate)],
    ["Avg. first response", secs(r.first_response.average_seconds)],
    ["Avg. resolution", secs(r.resolution.average_seconds)],
    ["CSAT", r.csat_average === null ? "–" : `${r.csat_average.toFixed(1)} / 5 (${r.csat_count})`],
    ["CSAT response rate", r.csat_response_rate === null ? "–" : `${pct(r.csat_response_rate)} (${r.csat_count} of ${r.csat_asked} asked, ${r.csat_not_asked} not asked)`],
  ];
  $("kpis").replaceChildren(...kpis.map(([label, value]) => el("div", { class: "kpi", dataset: { testid: "kpi", label } }, el("div", { class: "label" }, label), el("div", { class: "value" }, value))));
  $("c-volume").replaceChildren(volumeChart(r.per_day));
  $("c-times").replaceChildren(timesChart(r));
  $("c-sla").replaceChildren(slaChart(r.sla_by_target));
  $("c-bot").replaceChildren(botChart(r));
  $("c-csat").replaceChildren(csatChart(r.csat_distribution));
  $("c-hours").replaceChildren(hoursChart(r.per_hour));
}

/** The range's figures a day a row, as a CSV file. */
async function exportRange() {
  const q = new URLSearchParams({ from: $("d-from").value, to: $("d-to").value, scope: $("d-scope").value || "all" });
  try {
    const name = await download(`/analytics/export.csv?${q}`, "analytics.csv");
    toast(`Exported ${name}`);
  } catch (error) {
    if (error.status !== 401) toast(`Export: ${error.message}`, true);
  }
}

$("export-analytics").addEventListener("click", exportRange);

$("range").addEventListener("submit", (event) => {
  event.preventDefault();
  load();
});

addView({ name: "dashboard", tab: $("tab-dashboard"), view: $("dashboard-view"), allowed: supervisor, onShow: load });
