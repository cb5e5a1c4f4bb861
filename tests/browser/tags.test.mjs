// Ticket tags, saved views and personal canned responses in headless Chromium against the real
// runner: an agent tags a ticket, filters the queue by the tag, saves that as a view that shows
// its count, and writes a personal canned response that "/" then inserts.
import assert from "node:assert/strict";
import { test } from "node:test";
import { api } from "./harness.mjs";
import { openTicket, signIn, start, urgentCustomer } from "./steps.mjs";

const TIMEOUT = 120_000;

test("an agent tags a ticket, filters by the tag, saves the view with its count and inserts a personal canned response", { timeout: TIMEOUT }, async (t) => {
  const { runner, browser } = await start(t);
  // GIVEN an urgent ticket, open in the console of the agent it was given to
  const { ticket } = await urgentCustomer(browser, runner, "Mia Berger", "4915100000601");
  const agent = ticket.assignee;
  const page = await signIn(browser, runner, agent);
  await openTicket(page, ticket);

  // WHEN the agent tags it "Refund Request"
  await page.getByTestId("tag-input").fill("Refund Request");
  await page.getByTestId("tag-add").click();
  // THEN the tag shows, normalised, on the ticket and in its queue row, and in the activity
  await page.getByTestId("ticket-tag").filter({ hasText: "#refund-request" }).waitFor();
  const row = page.locator(`[data-testid="ticket-row"][data-id="${ticket.id}"]`);
  await row.getByTestId("row-tag").filter({ hasText: "#refund-request" }).waitFor();
  await page.getByTestId("activity").getByText("#refund-request").first().waitFor();

  // WHEN the agent filters the queue by the tag
  await page.getByTestId("f-tag").fill("refund-request");
  await page.getByTestId("f-tag").press("Enter");
  // THEN only tagged tickets are listed
  await page.waitForFunction(() => {
    const rows = [...document.querySelectorAll('[data-testid="ticket-row"]')];
    return rows.length === 1;
  });
  await row.waitFor();

  // WHEN the agent saves this filter as the view "Refunds"
  await page.getByTestId("save-view").click();
  await page.getByTestId("view-name").fill("Refunds");
  await page.getByTestId("view-save").click();
  // THEN the view is in the list with its count
  const view = page.getByTestId("saved-view").filter({ hasText: "Refunds" });
  await view.waitFor();
  assert.equal(await view.getByTestId("view-count").innerText(), "1");
  const stored = (await api(runner, `demo-${agent}`, "GET", "/views")).body.views;
  assert.deepEqual(stored.map((v) => [v.name, v.filter.tag, v.count]), [["Refunds", "refund-request", 1]]);

  // AND picking the view after clearing the filter shows the tagged ticket again
  await page.getByTestId("f-tag").fill("");
  await page.getByTestId("f-tag").press("Enter");
  await view.click();
  assert.equal(await page.getByTestId("f-tag").inputValue(), "refund-request");

  // WHEN the agent writes a personal canned response
  await page.getByTestId("tab-canned").click();
  await page.getByTestId("canned-title").fill("Meine Erstattung");
  await page.getByTestId("canned-shortcut").fill("erstattung");
  await page.getByTestId("canned-text").fill("Ihre Erstattung zu Ticket {{ticket_id}} ist unterwegs.");
  await page.getByTestId("canned-save").click();
  await page.locator('[data-testid="canned-row"][data-scope="personal"]', { hasText: "/erstattung" }).waitFor();

  // THEN "/erstattung" in the reply inserts it, filled in for the open ticket
  await page.getByTestId("tab-queue").click();
  await openTicket(page, ticket);
  const box = page.getByTestId("compose-text");
  await box.pressSequentially("/erstattung");
  await page.getByTestId("canned-option").filter({ hasText: "Meine Erstattung" }).waitFor();
  await box.press("Enter");
  assert.equal(await box.inputValue(), `Ihre Erstattung zu Ticket ${ticket.id} ist unterwegs.`);
});
