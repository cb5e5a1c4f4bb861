// Templates synced with Meta, in headless Chromium against the real runner (its simulator plays
// Meta's template review): an admin submits a template, it shows PENDING and is not offered to
// agents; Meta approves it (the simulator's /dev control fires the status webhook) and it is
// offered in the agent's template picker, without a restart or a sync.
import assert from "node:assert/strict";
import { test } from "node:test";
import { api, eventually } from "./harness.mjs";
import { openTicket, signIn, start, urgentCustomer } from "./steps.mjs";

const TIMEOUT = 90_000;

const options = (page) => page.getByTestId("template-select").locator("option").allInnerTexts();

test("a submitted template is pending and not offered until Meta approves it, then the picker offers it", { timeout: TIMEOUT }, async (t) => {
  const { runner, browser } = await start(t);
  // GIVEN an agent with a customer's ticket open
  const { ticket } = await urgentCustomer(browser, runner, "Lena Wolf", "4915100000801");
  const agent = await signIn(browser, runner, ticket.assignee);
  await openTicket(agent, ticket);

  // WHEN the admin submits a template in the Templates tab
  const admin = await signIn(browser, runner, "ada");
  await admin.getByTestId("tab-templates").click();
  await admin.getByTestId("template-new-name").fill("order_shipped");
  await admin.getByTestId("template-new-language").fill("de");
  await admin.getByTestId("template-new-category").selectOption("UTILITY");
  await admin.getByTestId("template-new-body").fill("Hallo {{1}}, Ihre Bestellung {{2}} ist unterwegs.");
  const examples = admin.getByTestId("template-new-example");
  await examples.nth(1).waitFor();
  await examples.nth(0).fill("Anna");
  await examples.nth(1).fill("100234");
  await admin.getByTestId("template-new-submit").click();
  // THEN it is listed as PENDING
  const row = admin.locator('[data-testid="template-row"][data-name="order_shipped"]');
  await row.and(admin.locator('[data-status="PENDING"]')).waitFor();

  // AND the agent's picker does not offer it
  await agent.getByRole("button", { name: "Templates…" }).click();
  await agent.getByTestId("template-picker").waitFor();
  assert.ok((await options(agent)).includes("ticket_update (de)"));
  assert.ok(!(await options(agent)).includes("order_shipped (de)"));
  await agent.locator("#template-cancel").click();

  // WHEN Meta approves it: the simulator's review control, which sends the signed webhook
  const all = await api(runner, "demo-ada", "GET", "/templates?all=1");
  const id = all.body.templates.find((x) => x.name === "order_shipped").id;
  const decided = await fetch(`${runner.url}/dev/templates/${id}/status`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ event: "APPROVED" }),
  });
  assert.equal(decided.status, 200, await decided.text());

  // THEN the admin's list shows it approved (the tab follows by itself)
  await row.and(admin.locator('[data-status="APPROVED"]')).waitFor();
  // AND the agent's picker offers it now, its two parameters filled in and previewed
  await agent.getByRole("button", { name: "Templates…" }).click();
  await eventually(async () => (await options(agent)).includes("order_shipped (de)"), "the picker to offer the template", 5_000);
  await agent.getByTestId("template-select").selectOption({ label: "order_shipped (de)" });
  assert.equal(await agent.getByTestId("template-param").count(), 2);
});
