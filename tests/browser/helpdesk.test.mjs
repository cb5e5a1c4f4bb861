// End-to-end in headless Chromium: a customer on the /simulator phone, an agent in /console,
// the real runner (in-memory helpdesk + simulated WhatsApp Cloud API) between them.
import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { api, ensureArtifactsDir, eventually } from "./harness.mjs";
import { fromBusiness, fromCustomer, openPhone, start, write } from "./steps.mjs";

const TIMEOUT = 90_000;

test("a customer asks for their parcel and the bot finds the order", { timeout: TIMEOUT }, async (t) => {
  const { runner, browser } = await start(t);
  // GIVEN the phone of a customer who never wrote
  const phone = await openPhone(browser, runner, "Lena Vogel", "4915100000101");

  // WHEN she asks where her parcel is
  await write(phone, "Wo ist mein Paket?");

  // THEN the bot greets her and asks for the order number
  await fromBusiness(phone, "Bestellnummer").first().waitFor();
  // and her message turns read (blue ticks): the helpdesk marked it read over the Cloud API
  await fromCustomer(phone, "Wo ist mein Paket?").and(phone.locator('[data-status="read"]')).waitFor();

  // WHEN she answers with the order number (the demo shop has it under another WhatsApp number)
  await write(phone, "100234");

  // THEN the bot tells nothing about the order yet and asks for the postcode of the delivery address
  await fromBusiness(phone, "Postleitzahl").waitFor();
  assert.equal(await fromBusiness(phone, "unterwegs").count(), 0);

  // WHEN she gives the postcode on the order
  await write(phone, "10115");

  // THEN she sees the order status, and the bot asks whether that helped, with buttons
  await fromBusiness(phone, "100234 ist unterwegs").waitFor();
  const yes = phone.locator('[data-testid="choice"][data-id="confirm.yes"]').last();
  await yes.waitFor();

  // WHEN she taps "yes" (counted first: the bot may answer before the next poll shows her tap)
  const before = await phone.locator('[data-testid="message"][data-from="business"]').count();
  await yes.click();

  // THEN the tap shows as her reply and the bot answers it
  await fromCustomer(phone, "Ja, danke").waitFor();
  await eventually(async () => (await phone.locator('[data-testid="message"][data-from="business"]').count()) > before, "the bot's answer to the tap");

  // AND the bot's messages were delivered and read while the chat was open (status webhooks)
  await eventually(async () => {
    const r = await fetch(`${runner.url}/dev/simulator/chat?wa_id=4915100000101&seen=false`);
    const chat = await r.json();
    return chat.messages.filter((m) => m.from === "business").every((m) => m.status === "read") && chat;
  }, "every bot message read");
  await phone.close();
});

test("an urgent customer gets a person who answers from the console", { timeout: TIMEOUT }, async (t) => {
  const { runner, browser } = await start(t);
  // GIVEN a customer who writes that it is urgent
  const phone = await openPhone(browser, runner, "Jonas Weber", "4915100000202");
  await write(phone, "Das ist dringend!");
  await fromCustomer(phone, "Das ist dringend!").waitFor();

  // WHEN routing has given the ticket to an agent (read over the API as the supervisor)
  const ticket = await eventually(async () => {
    const { body } = await api(runner, "demo-maria", "GET", "/tickets?limit=100");
    return body.tickets.find((t) => t.customer_name === "Jonas Weber" && t.assignee);
  }, "the urgent ticket to be assigned", 20_000);
  assert.ok(["tom", "maria"].includes(ticket.assignee), `assigned to ${ticket.assignee}`);

  // AND that agent signs in to the console and opens the ticket from the queue
  const consolePage = await browser.newPage();
  await consolePage.goto(`${runner.url}/console`);
  await consolePage.locator(`[data-testid="demo-agent"][data-agent="${ticket.assignee}"]`).click();
  const row = consolePage.locator(`[data-testid="ticket-row"][data-id="${ticket.id}"]`);
  await row.waitFor();
  await row.click();
  await consolePage.getByTestId("conversation").getByText("Das ist dringend!").waitFor();

  // AND replies
  const reply = "Hallo Jonas, ich kümmere mich sofort darum.";
  await consolePage.getByTestId("compose-text").fill(reply);
  await consolePage.getByTestId("compose-send").click();
  await consolePage.locator('[data-testid="message"][data-direction="outbound"]', { hasText: reply }).waitFor();

  // THEN the customer sees the reply on the phone
  await fromBusiness(phone, reply).waitFor();

  const dir = await ensureArtifactsDir();
  await consolePage.screenshot({ path: path.join(dir, "console.png"), fullPage: true });
  await phone.screenshot({ path: path.join(dir, "simulator.png") });
  await consolePage.close();
  await phone.close();
});

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
