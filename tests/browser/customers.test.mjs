// Find anything and the customer view in headless Chromium against the real runner: a customer
// with two tickets is found by the last digits of the number and by a name word typed without
// its umlaut, the customer view shows both tickets' messages, and an agent edits the e-mail and
// adds a tag, which then shows on the customer's ticket.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { test } from "node:test";
import { api, eventually } from "./harness.mjs";
import { signIn, start, urgentCustomer } from "./steps.mjs";

const TIMEOUT = 120_000;
const WA = "4915100000777";
const NAME = "Jörg Müller";

/** Delivers a customer message as Meta would (signed with the runner's local app secret),
 * sent `hoursAgo` hours ago: older than the conversation window, the next message opens a new
 * ticket. */
async function olderMessage(runner, text, hoursAgo) {
  const body = JSON.stringify({
    object: "whatsapp_business_account",
    entry: [{ id: "1", changes: [{ field: "messages", value: {
      messaging_product: "whatsapp",
      metadata: { display_phone_number: "4930123456789", phone_number_id: "106540352242922" },
      contacts: [{ profile: { name: NAME }, wa_id: WA }],
      messages: [{ from: WA, id: `wamid.old-${Date.now()}`, timestamp: String(Math.floor(Date.now() / 1000) - hoursAgo * 3600), type: "text", text: { body: text } }],
    } }] }],
  });
  const signature = createHmac("sha256", "local-app-secret").update(body).digest("hex");
  const response = await fetch(`${runner.url}/webhook`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Hub-Signature-256": `sha256=${signature}` },
    body,
  });
  assert.equal(response.status, 200, await response.text());
}

test("an agent finds a customer by last digits and by name, reads both tickets and edits the profile", { timeout: TIMEOUT }, async (t) => {
  const { runner, browser } = await start(t);
  // GIVEN Jörg Müller wrote two days ago, and writes again today: two tickets
  await olderMessage(runner, "Meine Bestellung ist nicht angekommen", 48);
  await eventually(async () => (await api(runner, "demo-maria", "GET", `/customers/${WA}`)).status === 200, "the first ticket");
  const { ticket } = await urgentCustomer(browser, runner, NAME, WA);
  const customer = (await api(runner, "demo-maria", "GET", `/customers/${WA}`)).body;
  assert.equal(customer.tickets.length, 2, "two tickets");

  const page = await signIn(browser, runner, "maria");
  const search = page.getByTestId("search-input");
  // WHEN the agent searches the last four digits of the number
  await search.fill("0777");
  await search.press("Enter");
  // THEN the customer is found, and opening the hit shows both tickets' conversations
  await page.locator(`[data-testid="search-customer"][data-wa-id="${WA}"]`).click();
  const view = page.getByTestId("customer-view");
  await view.getByTestId("customer-name").filter({ hasText: NAME }).waitFor();
  const history = view.getByTestId("customer-history");
  await history.getByText("Meine Bestellung ist nicht angekommen").waitFor();
  await history.getByText("Das ist dringend!").first().waitFor();
  const ticketsShown = await view.getByTestId("history-entry").evaluateAll((nodes) => [...new Set(nodes.map((n) => n.dataset.ticket))]);
  assert.equal(ticketsShown.length, 2, `messages of both tickets: ${ticketsShown}`);
  await view.getByTestId("customer-close").click();

  // WHEN the agent searches a name word without its umlaut
  await search.fill("muller");
  await search.press("Enter");
  await page.locator(`[data-testid="search-customer"][data-wa-id="${WA}"]`).click();
  await view.getByTestId("customer-name").filter({ hasText: NAME }).waitFor();

  // AND edits the e-mail and adds a tag
  await view.getByTestId("customer-email").fill("joerg@example.com");
  await view.getByTestId("customer-save").click();
  await page.locator("#toast", { hasText: "Profile saved" }).waitFor();
  await view.getByTestId("customer-tag-input").fill("VIP");
  await view.getByTestId("customer-tag-add").click();
  await view.getByTestId("customer-tag").filter({ hasText: "vip" }).waitFor();

  // THEN both are stored, and the tag shows on the customer's ticket
  const stored = (await api(runner, "demo-maria", "GET", `/customers/${WA}`)).body;
  assert.equal(stored.email, "joerg@example.com");
  assert.deepEqual(stored.tags, ["vip"]);
  await view.getByTestId("customer-close").click();
  await page.locator(`[data-testid="ticket-row"][data-id="${ticket.id}"]`).click();
  await page.getByTestId("ticket-customer-tags").getByText("vip").waitFor();
});
