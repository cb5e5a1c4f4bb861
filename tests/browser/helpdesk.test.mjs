// End-to-end in headless Chromium: a customer on the /simulator phone, an agent in /console,
// the real runner (in-memory helpdesk + simulated WhatsApp Cloud API) between them.
import assert from "node:assert/strict";
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
