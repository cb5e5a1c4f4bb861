// The agent console's features in headless Chromium against the real runner: notes with
// @mentions, assigning, resolving with the rating that follows, templates, presence and the
// supervisors' dashboard.
import assert from "node:assert/strict";
import { test } from "node:test";
import { api, eventually } from "./harness.mjs";
import { fromBusiness, fromCustomer, openTicket, signIn, start, ticketNow, urgentCustomer, write } from "./steps.mjs";

const TIMEOUT = 120_000;

const toast = (page, text) => page.locator("#toast", { hasText: text });
const detail = (page, field) => page.locator(`#t-details dd[data-field="${field}"]`);
const kpi = (page, label) => page.locator(`[data-testid="kpi"][data-label="${label}"] .value`);

test("an internal note mentions a colleague and never reaches the customer", { timeout: TIMEOUT }, async (t) => {
  const { runner, browser } = await start(t);
  // GIVEN an urgent ticket routing gave to an agent, open in that agent's console
  const { phone, ticket } = await urgentCustomer(browser, runner, "Lena Vogel", "4915100000401");
  const page = await signIn(browser, runner, ticket.assignee);
  await openTicket(page, ticket);
  const colleague = ticket.assignee === "maria" ? "tom" : "maria";

  // WHEN the agent switches to notes and types "@" and the start of a colleague's id
  await page.getByTestId("mode-note").click();
  await assert.doesNotReject(page.getByTestId("compose-send").filter({ hasText: "Add note" }).waitFor());
  const box = page.getByTestId("compose-text");
  await box.pressSequentially(`Kannst du übernehmen, @${colleague.slice(0, 2)}`);
  // THEN the colleague is suggested, and Enter puts the whole id in the note
  await page.locator(`[data-testid="mention"][data-id="${colleague}"]`).waitFor();
  await box.press("Enter");
  assert.equal(await box.inputValue(), `Kannst du übernehmen, @${colleague} `);
  await box.pressSequentially("bitte?");

  // WHEN the note is added (Ctrl+Enter)
  await box.press("Control+Enter");
  await toast(page, "Note added").waitFor();

  // THEN the conversation shows it as an internal note with the mention marked
  const note = page.getByTestId("note").filter({ hasText: "bitte?" });
  await note.waitFor();
  assert.match(await note.innerText(), /Internal note/);
  assert.equal(await note.locator(".mention").innerText(), `@${colleague}`);
  // AND the activity log has it, the API stored it with the mention, and the colleague was notified
  await page.getByTestId("activity").getByText("added a note").waitFor();
  const stored = await ticketNow(runner, ticket.id);
  const entry = stored.activity.find((a) => a.kind === "note");
  assert.equal(entry.text, `Kannst du übernehmen, @${colleague} bitte?`);
  const state = await (await fetch(`${runner.url}/dev/state`)).json();
  assert.ok(state.notifications.some((n) => n.kind === "mentioned" && n.agent === colleague), JSON.stringify(state.notifications));
  // AND the customer's phone never shows it
  await phone.waitForTimeout(1500);
  assert.equal(await fromBusiness(phone, "bitte?").count(), 0);
  const chat = await (await fetch(`${runner.url}/dev/simulator/chat?wa_id=4915100000401&seen=false`)).json();
  assert.ok(chat.messages.every((m) => !(m.text || "").includes("bitte?")));
});

test("a supervisor assigns a ticket to another agent and then takes it", { timeout: TIMEOUT }, async (t) => {
  const { runner, browser } = await start(t);
  // GIVEN a ticket routing gave to an agent, open in the supervisor's console
  const { ticket } = await urgentCustomer(browser, runner, "Jonas Weber", "4915100000402");
  const page = await signIn(browser, runner, "maria");
  await openTicket(page, ticket);

  // WHEN she picks another agent in "Assign to…"
  const pick = page.getByTestId("assign-select");
  const choices = await pick.locator("option").evaluateAll((options) => options.map((o) => o.value).filter(Boolean));
  const other = choices.find((id) => id !== ticket.assignee && id !== "maria");
  assert.ok(other, `someone to assign to among ${choices}`);
  await pick.selectOption(other);

  // THEN the API has the new assignee, and the console shows it in the details, the queue row
  // and the conversation
  await eventually(async () => (await ticketNow(runner, ticket.id)).assignee === other, `the ticket assigned to ${other}`);
  const name = (await api(runner, "demo-maria", "GET", "/agents")).body.agents.find((a) => a.id === other).name;
  await detail(page, "assignee").filter({ hasText: name }).waitFor();
  await page.locator(`[data-testid="ticket-row"][data-id="${ticket.id}"][data-assignee="${other}"]`).waitFor();
  await page.locator('[data-testid="ticket-event"][data-kind="assigned"]', { hasText: `assigned it to ${name}` }).waitFor();

  // WHEN she takes it herself
  await page.getByTestId("assign-me").click();
  // THEN it is hers, and "Assign to me" turns into "Give back"
  await eventually(async () => (await ticketNow(runner, ticket.id)).assignee === "maria", "the ticket assigned to maria");
  await page.getByTestId("give-back").waitFor();
  await detail(page, "assignee").filter({ hasText: "Maria Schmidt" }).waitFor();
  assert.equal(await page.getByTestId("assign-me").count(), 0);
});

test("resolving asks the customer for a rating that reaches the ticket and the dashboard", { timeout: TIMEOUT }, async (t) => {
  const { runner, browser } = await start(t);
  // GIVEN a customer who never typed START (inside the 24 h window no opt-in is needed for the
  // rating question) and asked urgently for a person
  const { phone, ticket } = await urgentCustomer(browser, runner, "Mia Braun", "4915100000403", []);
  const page = await signIn(browser, runner, ticket.assignee);
  await openTicket(page, ticket);
  await page.getByTestId("compose-text").fill("Erledigt, Ihr Paket ist unterwegs.");
  await page.getByTestId("compose-send").click();
  await fromBusiness(phone, "Ihr Paket ist unterwegs").waitFor();

  // WHEN the agent resolves the ticket
  await page.getByTestId("resolve").click();
  await toast(page, "Resolved").waitFor();

  // THEN the console shows it resolved (Reopen instead of Resolve), and the API agrees
  await page.locator("#t-badges .badge", { hasText: "Resolved" }).waitFor();
  await page.getByTestId("reopen").waitFor();
  assert.equal(await page.getByTestId("resolve").count(), 0);
  await page.locator('[data-testid="ticket-event"][data-kind="resolved"]').waitFor();
  assert.equal((await ticketNow(runner, ticket.id)).status, "resolved");

  // AND the customer is asked for a rating, as a list, and taps "5"
  await phone.getByTestId("open-list").last().click();
  await phone.locator('[data-testid="list-row"][data-id="csat:5"]').click();
  await fromCustomer(phone, "5 - sehr gut").waitFor();

  // THEN the ticket's details show the rating
  await detail(page, "csat").filter({ hasText: "5 / 5" }).waitFor({ timeout: 20_000 });
  assert.equal((await ticketNow(runner, ticket.id)).csat, 5);

  // AND the supervisor's dashboard counts it
  const board = await signIn(browser, runner, "maria");
  await board.getByTestId("tab-dashboard").click();
  await kpi(board, "CSAT").filter({ hasText: "5.0 / 5 (1)" }).waitFor();
  // AND the response rate next to it: one asked, one answered
  await kpi(board, "CSAT response rate").filter({ hasText: "100 % (1 of 1 asked, 0 not asked)" }).waitFor();
  assert.equal(await kpi(board, "Resolved").innerText(), "1");
  assert.equal(await board.locator("#c-csat svg").count(), 1, "the CSAT chart has a bar");
});

test("an agent sends an approved template, parameters filled in and previewed", { timeout: TIMEOUT }, async (t) => {
  const { runner, browser } = await start(t);
  // GIVEN an agent with a ticket open and a draft in the composer
  const { phone, ticket } = await urgentCustomer(browser, runner, "Paul Klein", "4915100000404");
  const page = await signIn(browser, runner, ticket.assignee);
  await openTicket(page, ticket);
  await page.getByTestId("compose-text").fill("Ihr Paket ist unterwegs");

  // WHEN the agent opens the templates
  await page.getByRole("button", { name: "Templates…" }).click();
  // THEN the picker replaces the composer, a German template first, its parameters guessed from
  // the customer's name and the draft, and the preview filled in
  await page.getByTestId("template-picker").waitFor();
  assert.equal(await page.getByTestId("compose-text").isVisible(), false);
  const select = page.getByTestId("template-select");
  assert.equal(await select.locator("option:checked").innerText(), "ticket_update (de)");
  const params = page.getByTestId("template-param");
  assert.deepEqual(await params.evaluateAll((inputs) => inputs.map((i) => i.value)), ["Paul Klein", "Ihr Paket ist unterwegs"]);
  const preview = "Hallo Paul Klein, es gibt Neuigkeiten zu Ihrer Anfrage: Ihr Paket ist unterwegs. Antworten Sie einfach auf diese Nachricht.";
  assert.equal(await page.locator("#template-preview").innerText(), preview);

  // WHEN a parameter is emptied and the agent sends
  await params.nth(1).fill("");
  assert.match(await page.locator("#template-preview").innerText(), /Anfrage: \{\{2\}\}\./);
  await page.getByTestId("template-send").click();
  // THEN nothing goes out and the agent is told to fill it in
  await toast(page, "Fill in every parameter.").waitFor();
  assert.ok(!(await ticketNow(runner, ticket.id)).activity.some((a) => a.kind === "template_sent"));

  // WHEN it is filled in again and sent, but the customer never agreed to business messages
  await params.nth(1).fill("Ihr Paket kommt morgen");
  const refused = (f) => f.method === "POST" && f.url.endsWith(`/api/tickets/${ticket.id}/template`) && f.status === 422;
  browser.allowFailure(refused);
  await page.getByTestId("template-send").click();
  // THEN the helpdesk refuses it and the console says why, keeping the picker open
  await toast(page, "not opted in").waitFor();
  assert.equal(await page.getByTestId("template-picker").isVisible(), true);
  assert.ok(!(await ticketNow(runner, ticket.id)).activity.some((a) => a.kind === "template_sent"));

  // WHEN the customer agrees (START) and the agent sends again
  await write(phone, "START");
  await page.locator('[data-testid="message"][data-direction="inbound"]', { hasText: "START" }).waitFor();
  await page.getByTestId("template-send").click();
  await toast(page, "Template sent").waitFor();
  // THEN the picker closes, the conversation shows the template message and the customer gets it
  await page.getByTestId("compose-text").waitFor({ state: "visible" });
  await page.locator('[data-testid="message"][data-direction="outbound"][data-kind="template"]').waitFor();
  await phone.locator('[data-testid="message"][data-from="business"]', { hasText: "Template · ticket_update" }).waitFor();
  const stored = await ticketNow(runner, ticket.id);
  assert.ok(stored.activity.some((a) => a.kind === "template_sent"), JSON.stringify(stored.activity.map((a) => a.kind)));
});

test("an agent goes offline and online from the console; routing sees it", { timeout: TIMEOUT }, async (t) => {
  const { runner, browser } = await start(t);
  const online = async (id) => (await api(runner, "demo-maria", "GET", "/agents")).body.agents.find((a) => a.id === id).online;
  // GIVEN Tom signed in; the switch shows what the helpdesk has
  const page = await signIn(browser, runner, "tom");
  const presence = page.getByTestId("presence");
  // The switch is disabled until the console has read Tom's profile
  await page.locator('[data-testid="presence"]:not([disabled])').waitFor();
  assert.equal(await presence.isChecked(), await online("tom"));
  if (!(await presence.isChecked())) {
    await presence.check();
    await page.locator("#presence-label", { hasText: "Online" }).waitFor();
  }

  // WHEN he switches himself offline
  await presence.uncheck();
  // THEN the console says so and the helpdesk has him offline
  await toast(page, "You are offline").waitFor();
  await page.locator("#presence-label", { hasText: "Offline" }).waitFor();
  await eventually(async () => (await online("tom")) === false, "tom offline");
  // AND a reload shows the stored state, not a default
  await page.reload();
  await page.getByTestId("me").filter({ hasText: "·" }).waitFor();
  await page.locator("#presence-label", { hasText: "Offline" }).waitFor();
  assert.equal(await presence.isChecked(), false);
  // AND routing gives new tickets to others
  const { ticket } = await urgentCustomer(browser, runner, "Eva Roth", "4915100000405");
  assert.notEqual(ticket.assignee, "tom");

  // WHEN he switches back online
  await presence.check();
  await toast(page, "You are online").waitFor();
  await eventually(async () => (await online("tom")) === true, "tom online");
});

test("the dashboard shows supervisors the day's figures and hides from agents", { timeout: TIMEOUT }, async (t) => {
  const { runner, browser } = await start(t);
  // GIVEN one conversation the bot handed to a person today
  await urgentCustomer(browser, runner, "Ali Yilmaz", "4915100000406");

  // WHEN an agent signs in THEN there is no dashboard tab
  const agent = await signIn(browser, runner, "tom");
  assert.equal(await agent.getByTestId("tab-dashboard").isVisible(), false);

  // WHEN the supervisor opens the dashboard
  const page = await signIn(browser, runner, "maria");
  await page.getByTestId("tab-dashboard").click();
  // THEN the figures count that conversation, over the last 14 days up to today
  await kpi(page, "Opened").filter({ hasText: /^1$/ }).waitFor();
  assert.equal(await kpi(page, "Handoff rate").innerText(), "100 %");
  assert.equal(await kpi(page, "CSAT").innerText(), "–");
  const today = new Date().toISOString().slice(0, 10);
  assert.equal(await page.locator("#d-to").inputValue(), today);
  assert.equal(await page.locator("#d-from").inputValue(), new Date(Date.now() - 13 * 86400000).toISOString().slice(0, 10));
  // AND the charts draw it: a bar per day, the hour it came in, the handoff reason
  assert.equal(await page.locator("#c-volume svg").count(), 1);
  assert.equal(await page.locator("#c-hours svg rect").count(), 24);
  await page.locator("#c-bot li", { hasText: /: 1$/ }).waitFor();
  assert.equal(await page.getByTestId("tickets").isVisible(), false, "the queue is hidden behind the dashboard");

  // WHEN she picks a range before today
  await page.locator("#d-from").fill("2020-01-01");
  await page.locator("#d-to").fill("2020-01-31");
  await page.getByRole("button", { name: "Show" }).click();
  // THEN nothing is counted
  await kpi(page, "Opened").filter({ hasText: /^0$/ }).waitFor();
  await page.locator("#c-hours", { hasText: "No data in this range yet." }).waitFor();
  await page.locator("#c-csat", { hasText: "No data in this range yet." }).waitFor();

  // WHEN she goes back to the tickets THEN the queue shows again
  await page.getByTestId("tab-queue").click();
  await page.getByTestId("tickets").waitFor();
});

test("names and messages with markup are shown as text, never run", { timeout: TIMEOUT }, async (t) => {
  const { runner, browser } = await start(t);
  // GIVEN a customer whose name and message look like HTML
  const name = '<img src=x onerror="window.hacked=1">Eve';
  const { phone, ticket } = await urgentCustomer(browser, runner, name, "4915100000407", ['<b id="bold">fett</b>']);
  // WHEN an agent opens the ticket
  const page = await signIn(browser, runner, ticket.assignee);
  await openTicket(page, ticket, '<b id="bold">fett</b>');
  // THEN the console shows them literally, on both pages, and nothing ran
  assert.equal(await page.locator("#t-title").innerText(), name);
  await page.locator(`[data-testid="ticket-row"][data-id="${ticket.id}"]`, { hasText: name }).waitFor();
  for (const p of [page, phone]) {
    assert.equal(await p.locator("#bold").count(), 0);
    assert.equal(await p.locator('img[src="x"]').count(), 0);
    assert.equal(await p.evaluate(() => window.hacked), undefined);
  }
});
