// What the tests do as a customer on /simulator and as an agent in /console.
import { api, eventually, startBoth } from "./harness.mjs";

/**
 * Each test gets its own runner (fresh in-memory helpdesk) and browser profile, started at once
 * (`startBoth`). When the test ends the browser closes, which fails the test if any page had an
 * error, logged a console error or saw a failed request (see `startBrowser`).
 */
export async function start(t, options) {
  const { runner, browser } = await startBoth(options);
  t.after(async () => {
    try {
      await browser.close();
    } finally {
      await runner.stop();
    }
  });
  return { runner, browser };
}

/** Opens the simulator as customer `name` with number `waId`. */
export async function openPhone(browser, runner, name, waId) {
  const page = await browser.newPage();
  await page.goto(`${runner.url}/simulator`);
  await page.getByTestId("customer-name").fill(name);
  await page.getByTestId("customer-number").fill(waId);
  await page.getByTestId("open-chat").click();
  await page.getByTestId("message-input").waitFor({ state: "visible" });
  return page;
}

/** The customer writes `text` on the phone. */
export async function write(page, text) {
  await page.getByTestId("message-input").fill(text);
  await page.getByTestId("send").click();
}

export const fromBusiness = (page, text) => page.locator('[data-testid="message"][data-from="business"]', { hasText: text });
export const fromCustomer = (page, text) => page.locator('[data-testid="message"][data-from="customer"]', { hasText: text });

/** A customer who writes that it is urgent; resolves to her ticket (read over the API as the
 * supervisor) once routing has given it to an agent. */
export async function urgentCustomer(browser, runner, name, waId, before = []) {
  const phone = await openPhone(browser, runner, name, waId);
  for (const text of before) {
    await write(phone, text);
    await fromCustomer(phone, text).waitFor();
  }
  await write(phone, "Das ist dringend!");
  await fromCustomer(phone, "Das ist dringend!").waitFor();
  const ticket = await eventually(async () => {
    const { body } = await api(runner, "demo-maria", "GET", "/tickets?limit=100");
    return body.tickets.find((x) => x.customer_name === name && x.assignee);
  }, "the urgent ticket to be assigned", 20_000);
  return { phone, ticket };
}

/** Opens the console as demo agent `agent` (a new tab: its own session). */
export async function signIn(browser, runner, agent) {
  const page = await browser.newPage();
  await page.goto(`${runner.url}/console`);
  await page.locator(`[data-testid="demo-agent"][data-agent="${agent}"]`).click();
  await page.getByTestId("me").filter({ hasText: "·" }).waitFor();
  return page;
}

/** Opens the ticket from the queue and waits for its conversation. */
export async function openTicket(page, ticket, text = "Das ist dringend!") {
  await page.locator(`[data-testid="ticket-row"][data-id="${ticket.id}"]`).click();
  await page.getByTestId("conversation").getByText(text).first().waitFor();
}

/** The ticket as the API returns it now. */
export async function ticketNow(runner, id) {
  return (await api(runner, "demo-maria", "GET", `/tickets/${id}`)).body;
}

/** A customer (`name`, `waId`) writes `text`, which the bot does not understand; the supervisor
 * opens the Admin tab (again, until the message is listed there). Her page and the message's row. */
export async function unrecognisedInAdmin(browser, runner, name, waId, text) {
  const phone = await openPhone(browser, runner, name, waId);
  await write(phone, text);
  await fromBusiness(phone, "").first().waitFor();
  const page = await signIn(browser, runner, "maria");
  const row = page.locator('[data-testid="unrecognised-row"]', { hasText: text });
  await eventually(async () => {
    await page.getByTestId("tab-queue").click();
    await page.getByTestId("tab-config").click();
    await page.locator('[data-testid="config"][data-loading="no"]').waitFor();
    return (await row.count()) > 0;
  }, "the message in the unrecognised list");
  return { page, row };
}
