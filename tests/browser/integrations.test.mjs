// Export and integrations in headless Chromium against the real runner: an agent works a ticket
// to resolved and /events shows what an EventBridge subscriber receives, opened to resolved; a
// supervisor downloads the queue and the dashboard as CSV files.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { test } from "node:test";
import { fromBusiness, openTicket, signIn, start, urgentCustomer } from "./steps.mjs";

const TIMEOUT = 120_000;

const toast = (page, text) => page.locator("#toast", { hasText: text });

test("a resolved ticket's events show under /dev and the CSV export holds its row", { timeout: TIMEOUT }, async (t) => {
  const { runner, browser } = await start(t);
  // GIVEN a customer's urgent ticket, given to an agent, who answers and resolves it
  const { phone, ticket } = await urgentCustomer(browser, runner, "Eva Krüger", "4915100000801");
  const page = await signIn(browser, runner, ticket.assignee);
  await openTicket(page, ticket);
  await page.getByTestId("compose-text").fill("Ist erledigt.");
  await page.getByTestId("compose-send").click();
  await fromBusiness(phone, "Ist erledigt.").waitFor();
  await page.getByTestId("resolve").click();
  await toast(page, "Resolved").waitFor();

  // THEN the events page lists the ticket's events, opened to resolved, without customer data
  const events = await browser.newPage();
  await events.goto(`${runner.url}/events`);
  await events.getByTestId("events-ticket").fill(ticket.id);
  const row = (type) => events.locator(`[data-testid="event-row"][data-type="${type}"][data-ticket="${ticket.id}"]`);
  await row("ticket.resolved").waitFor();
  const types = await events.locator(`[data-testid="event-row"][data-ticket="${ticket.id}"]`).evaluateAll((rows) => rows.map((r) => r.dataset.type).reverse());
  assert.deepEqual(types, ["ticket.opened", "ticket.handed_over", "ticket.assigned", "ticket.replied", "ticket.resolved"]);
  const table = await events.getByTestId("events-table").innerText();
  assert.ok(!table.includes("4915100000801"), "no phone number on the events page");

  // WHEN a supervisor lists resolved tickets and exports them
  const lead = await signIn(browser, runner, "maria");
  await lead.locator("#f-status").selectOption("resolved");
  await lead.locator(`[data-testid="ticket-row"][data-id="${ticket.id}"]`).waitFor();
  const [file] = await Promise.all([lead.waitForEvent("download"), lead.getByTestId("export-tickets").click()]);
  // THEN the file is the CSV with the ticket's row, numbers masked
  assert.match(file.suggestedFilename(), /^tickets-\d{4}-\d{2}-\d{2}\.csv$/);
  const csv = await readFile(await file.path(), "utf8");
  const lines = csv.trim().split("\r\n");
  assert.ok(lines[0].startsWith("id,status,priority,category,team,assignee"), lines[0]);
  const mine = lines.find((l) => l.startsWith(`${ticket.id},resolved,urgent`));
  assert.ok(mine, csv);
  assert.ok(!csv.includes("4915100000801"), "numbers masked");
  await toast(lead, "Exported tickets-").waitFor();

  // AND the dashboard's figures download a day a row
  await lead.getByTestId("tab-dashboard").click();
  await lead.getByTestId("kpi").first().waitFor();
  const [daily] = await Promise.all([lead.waitForEvent("download"), lead.getByTestId("export-analytics").click()]);
  const rows = (await readFile(await daily.path(), "utf8")).trim().split("\r\n");
  assert.ok(rows[0].startsWith("day,opened,resolved"), rows[0]);
  assert.equal(rows.length, 15, "14 days and the header");
});
