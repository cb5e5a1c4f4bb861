// The agent workspace in headless Chromium against the real runner: canned responses typed as
// "/shortcut" in the composer, with their variables filled for the open ticket and the missing
// ones flagged and never sent.
import assert from "node:assert/strict";
import { test } from "node:test";
import { api } from "./harness.mjs";
import { fromBusiness, openTicket, signIn, start, ticketNow, urgentCustomer } from "./steps.mjs";

const TIMEOUT = 120_000;

const toast = (page, text) => page.locator("#toast", { hasText: text });

test("an agent types /greet and gets the canned text with the customer's name filled in", { timeout: TIMEOUT }, async (t) => {
  const { runner, browser } = await start(t);
  // GIVEN an urgent ticket of Lena Vogel, open in the console of the agent it was given to
  const { phone, ticket } = await urgentCustomer(browser, runner, "Lena Vogel", "4915100000501");
  const page = await signIn(browser, runner, ticket.assignee);
  await openTicket(page, ticket);
  const me = (await api(runner, `demo-${ticket.assignee}`, "GET", "/me")).body;

  // WHEN the agent types "/greet" in the reply
  const box = page.getByTestId("compose-text");
  await box.pressSequentially("/greet");
  // THEN the canned response is suggested, and Enter puts its text in, variables filled
  await page.locator('[data-testid="canned-option"][data-id="greet"]').waitFor();
  await box.press("Enter");
  const expected = `Hallo Lena Vogel, hier ist ${me.profile.name}. Ich kümmere mich jetzt um Ihr Anliegen (Ticket ${ticket.id}).`;
  assert.equal(await box.inputValue(), expected);
  assert.ok(await page.getByTestId("canned-missing").isHidden(), "nothing is missing");

  // WHEN it is sent
  await page.getByTestId("compose-send").click();
  await toast(page, "Reply sent").waitFor();
  // THEN the customer receives exactly that text
  await fromBusiness(phone, expected).waitFor();
});

test("a canned response whose variable has no value is flagged and not sent with raw braces", { timeout: TIMEOUT }, async (t) => {
  const { runner, browser } = await start(t);
  const { phone, ticket } = await urgentCustomer(browser, runner, "Jonas Weber", "4915100000502");
  const page = await signIn(browser, runner, ticket.assignee);
  await openTicket(page, ticket);

  // WHEN the agent inserts the order response, and the ticket has no order number
  const box = page.getByTestId("compose-text");
  await box.pressSequentially("/bestellung");
  await page.locator('[data-testid="canned-option"][data-id="order-status"]').waitFor();
  await box.press("Tab");
  // THEN the variable stays visible and is flagged under the composer
  assert.match(await box.inputValue(), /Bestellung \{\{order_id\}\} angesehen/);
  await page.getByTestId("canned-missing").filter({ hasText: "{{order_id}}" }).waitFor();

  // WHEN the agent tries to send it anyway, the console refuses and says what to replace
  await page.getByTestId("compose-send").click();
  await toast(page, "Replace {{order_id}} before sending.").waitFor();
  // AND the API refuses it too (a client that skips the check)
  const refused = await api(runner, `demo-${ticket.assignee}`, "POST", `/tickets/${ticket.id}/reply`, { text: await box.inputValue() });
  assert.equal(refused.status, 422);
  assert.equal(refused.body.error, "unfilled_variable");

  // WHEN the agent fills in the number, the flag goes and the reply is sent
  await box.fill((await box.inputValue()).replace("{{order_id}}", "10023"));
  assert.ok(await page.getByTestId("canned-missing").isHidden());
  await page.getByTestId("compose-send").click();
  await toast(page, "Reply sent").waitFor();
  await fromBusiness(phone, "Bestellung 10023 angesehen").waitFor();
  const stored = await ticketNow(runner, ticket.id);
  assert.ok(stored.messages.every((m) => !(m.text || "").includes("{{")), "no raw braces stored");
});

test("the canned responses tab lists what the agent may insert", { timeout: TIMEOUT }, async (t) => {
  const { runner, browser } = await start(t);
  const page = await signIn(browser, runner, "tom");
  await page.getByTestId("tab-canned").click();
  const row = page.getByTestId("canned-row").filter({ hasText: "/greet" });
  await row.waitFor();
  assert.match(await row.innerText(), /global/);
});
