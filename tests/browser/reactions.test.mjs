// Reactions and quoted replies both ways, in headless Chromium against the real runner: the
// customer reacts to and quotes an agent's message on /simulator and the console shows both on
// the right messages; the agent quotes and reacts to the customer's message in the console and
// the phone shows both.
import assert from "node:assert/strict";
import { test } from "node:test";
import { fromBusiness, fromCustomer, openTicket, signIn, start, urgentCustomer, write } from "./steps.mjs";

const TIMEOUT = 60_000;

const toast = (page, text) => page.locator("#toast", { hasText: text });
const inConsole = (page, direction, text) =>
  page.locator(`[data-testid="message"][data-direction="${direction}"]`, { hasText: text });

test("customer and agent react to and quote each other's messages, and both sides show it", { timeout: TIMEOUT }, async (t) => {
  const { runner, browser } = await start(t);
  // GIVEN a customer's ticket, open in the console of its agent, who asks a question
  const { phone, ticket } = await urgentCustomer(browser, runner, "Greta Lang", "4915100000801");
  const page = await signIn(browser, runner, ticket.assignee);
  await openTicket(page, ticket);
  await page.getByTestId("compose-text").fill("Welche Bestellung meinen Sie?");
  await page.getByTestId("compose-send").click();
  await toast(page, "Reply sent").waitFor();
  const question = fromBusiness(phone, "Welche Bestellung meinen Sie?");
  await question.waitFor();

  // WHEN the customer reacts 👍 to the agent's question and replies quoting it
  await question.locator('[data-testid="react"][data-emoji="👍"]').click();
  await question.locator('[data-testid="reaction"][data-from="customer"]', { hasText: "👍" }).waitFor();
  await question.getByTestId("quote-message").click();
  await phone.getByTestId("quote-bar").filter({ hasText: "Welche Bestellung meinen Sie?" }).waitFor();
  await write(phone, "Die vom Montag");
  await fromCustomer(phone, "Die vom Montag").getByTestId("quoted").waitFor();

  // THEN the console shows the reaction on the question, not as a message of its own
  const ours = inConsole(page, "outbound", "Welche Bestellung meinen Sie?");
  await ours.locator('[data-testid="reaction"][data-from="customer"]', { hasText: "👍" }).waitFor();
  assert.equal(await page.locator('[data-testid="message"][data-kind="reaction"]').count(), 0);
  // AND the customer's reply with the question quoted above it
  const reply = inConsole(page, "inbound", "Die vom Montag");
  await reply.getByTestId("quoted").filter({ hasText: "Welche Bestellung meinen Sie?" }).waitFor();

  // WHEN the agent answers quoting the customer's reply, and reacts 🙏 to it
  await reply.getByTestId("quote-message").click();
  await page.getByTestId("compose-quote").filter({ hasText: "Die vom Montag" }).waitFor();
  await page.getByTestId("compose-text").fill("Danke, ich sehe nach.");
  await page.getByTestId("compose-send").click();
  await toast(page, "Reply sent").waitFor();
  await inConsole(page, "inbound", "Die vom Montag").locator('[data-testid="react"][data-emoji="🙏"]').click();
  await toast(page, "Reacted 🙏").waitFor();
  await inConsole(page, "inbound", "Die vom Montag").locator('[data-testid="reaction"][data-from="agent"]', { hasText: "🙏" }).waitFor();
  await inConsole(page, "outbound", "Danke, ich sehe nach.").getByTestId("quoted").filter({ hasText: "Die vom Montag" }).waitFor();

  // THEN the phone shows the answer with the customer's message quoted above it
  const answer = fromBusiness(phone, "Danke, ich sehe nach.");
  await answer.getByTestId("quoted").filter({ hasText: "Die vom Montag" }).waitFor();
  // AND the agent's reaction on the customer's message
  await fromCustomer(phone, "Die vom Montag").locator('[data-testid="reaction"][data-from="business"]', { hasText: "🙏" }).waitFor();
  // AND nothing but the agent's answer and reaction went to the customer after the question
  // (the bot keeps ignoring reactions)
  const sent = await (await fetch(`${runner.url}/dev/whatsapp`)).json();
  const toGreta = sent.filter((m) => m.to === "4915100000801");
  const after = toGreta.slice(toGreta.findIndex((m) => m.message.body === "Welche Bestellung meinen Sie?") + 1);
  assert.deepEqual(after.map((m) => m.message.type === "reaction" ? m.message.emoji : m.message.body), ["Danke, ich sehe nach.", "🙏"]);
});
