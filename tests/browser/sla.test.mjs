// The SLA timers in headless Chromium: an urgent customer's ticket under a one-minute policy
// shows the warning and the breach in the console. Its own file because it mostly waits for the
// clock: tests/browser/run.sh runs it beside the other files (see there).
import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { api, ensureArtifactsDir, eventually } from "./harness.mjs";
import { openPhone, start, write } from "./steps.mjs";

/** An SLA policy short enough to watch: first response due 1 minute after the handoff (warning
 * at 30 s); the breach moves the ticket to a `senior` team nobody of the demo is in. */
const FAST_SLA = `
version = 1
default_policy = "fast"

[calendars.always]
always = true
time_zone = "Europe/Berlin"

[[policies]]
name = "fast"
calendar = "always"
first_response = "1m"
next_response = "1m"
resolution = "1h"

[bot]
time_limit = "5m"
resolve_after_silence = "30m"

[escalation]
warning_percent = 50

[[escalation.levels]]
after = "0m"
actions = ["notify_managers", "notify_assignee", "reassign:senior"]

[[escalation.levels]]
after = "1h"
actions = ["raise_priority"]

[[escalation.levels]]
after = "2h"
actions = ["notify_managers"]
`;

test("the console's ticket view shows the SLA warning, the breach and what the escalation did", { timeout: 150_000 }, async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), "helpdesk-sla-"));
  const config = path.join(dir, "sla.toml");
  await writeFile(config, FAST_SLA);
  const { runner, browser } = await start(t, { env: { HELPDESK_SLA_CONFIG: config } });
  // GIVEN an urgent customer whose ticket routing gave to an agent
  const phone = await openPhone(browser, runner, "Mia Braun", "4915100000303");
  await write(phone, "Das ist dringend!");
  const ticket = await eventually(async () => {
    const { body } = await api(runner, "demo-maria", "GET", "/tickets?limit=100");
    return body.tickets.find((x) => x.customer_name === "Mia Braun" && x.assignee);
  }, "the urgent ticket to be assigned", 20_000);

  // AND the agent has it open in the console
  const page = await browser.newPage();
  await page.goto(`${runner.url}/console`);
  await page.locator(`[data-testid="demo-agent"][data-agent="${ticket.assignee}"]`).click();
  await page.locator(`[data-testid="ticket-row"][data-id="${ticket.id}"]`).click();
  await page.getByTestId("conversation").getByText("Das ist dringend!").waitFor();

  // WHEN nobody answers for a minute
  // THEN the warning shows in the conversation, marked as an SLA entry
  const line = (kind) => page.locator(`[data-testid="sla-event"][data-kind="${kind}"]`);
  await line("sla_warning").first().waitFor({ timeout: 60_000 });
  assert.match(await line("sla_warning").first().innerText(), /SLA warning[\s\S]*First response due/);
  // AND then the breach, with what the escalation did: nobody in senior is free, so the ticket
  // stays with its agent and that team was alerted
  await line("sla_breach").first().waitFor({ timeout: 60_000 });
  const breach = await line("sla_breach").first().innerText();
  assert.match(breach, /SLA breached[\s\S]*First response was due/);
  assert.match(breach, new RegExp(`moved to team senior; nobody in senior free: it stays with ${ticket.assignee}, team alerted`));
  // AND the side panel's activity log lists both, marked as well
  const logged = page.locator('[data-testid="activity-sla"]');
  const kinds = await eventually(async () => {
    const found = await logged.evaluateAll((items) => items.map((i) => i.dataset.kind));
    return found.includes("sla_warning") && found.includes("sla_breach") && found;
  }, "both SLA entries in the activity log");
  assert.ok(kinds.every((k) => k.startsWith("sla_")), kinds.join());
  // AND the API's ticket says the same: the breach and escalation are on the ticket for anyone who reads it
  const { body } = await api(runner, "demo-maria", "GET", `/tickets/${ticket.id}`);
  assert.equal(body.team, "senior");
  assert.equal(body.assignee, ticket.assignee);
  assert.ok(body.activity.some((a) => a.kind === "sla_breach" && a.actor === "sla" && a.sla.target === "first_response" && a.sla.level === 1));
  // AND the senior team got the alert (the runner keeps notifications in /dev/state)
  const state = await (await fetch(`${runner.url}/dev/state`)).json();
  assert.ok(state.notifications.some((n) => n.audience === "team" && n.team === "senior" && n.ticket_id === ticket.id && n.target === "first_response"));

  const artifacts = await ensureArtifactsDir();
  await page.screenshot({ path: path.join(artifacts, "console-sla.png"), fullPage: true });
  await page.close();
  await phone.close();
});
