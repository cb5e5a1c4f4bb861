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

test("an admin's draft of the templates survives a sync with Meta and a status webhook, keeps her edit and takes Meta's statuses", { timeout: TIMEOUT }, async (t) => {
  const { runner, browser } = await start(t);
  const SIGNATURE = 'footer = "Ihr Nordlicht-Team"';
  // GIVEN an admin's unpublished draft of the templates document: a footer on ticket_update (de)
  const admin = await signIn(browser, runner, "ada");
  await admin.getByTestId("tab-config").click();
  await admin.locator('[data-testid="config"][data-loading="no"]').waitFor();
  await admin.getByTestId("config-kind").selectOption("templates");
  await admin.locator('[data-testid="config"][data-loading="no"]').waitFor();
  const editor = admin.getByTestId("config-editor");
  const original = await editor.inputValue();
  const edited = original.replace('name = "ticket_update"\nlanguage = "de"\n', `name = "ticket_update"\nlanguage = "de"\n${SIGNATURE}\n`);
  assert.notEqual(edited, original);
  await editor.fill(edited);
  await admin.getByTestId("config-note").fill("team signature");
  await admin.getByTestId("config-save").click();
  await admin.getByTestId("config-draft").filter({ hasText: "team signature" }).waitFor();

  // WHEN someone syncs with Meta in the Templates tab
  await admin.getByTestId("tab-templates").click();
  await admin.getByTestId("template-sync").click();
  await admin.getByTestId("template-sync-result").filter({ hasText: /\S/ }).waitFor();
  // AND Meta pauses follow_up (en): the simulator's review control sends the signed webhook
  const all = await api(runner, "demo-ada", "GET", "/templates?all=1");
  const id = all.body.templates.find((x) => x.name === "follow_up" && x.language === "en").id;
  assert.ok(id, JSON.stringify(all.body));
  const paused = await fetch(`${runner.url}/dev/templates/${id}/status`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ event: "PAUSED", reason: "LOW_QUALITY" }),
  });
  assert.equal(paused.status, 200, await paused.text());
  await admin.locator('[data-testid="template-row"][data-name="follow_up"][data-language="en"][data-status="PAUSED"]').waitFor();

  // THEN the Admin tab still shows her draft on top, carried over Meta's changes, with her edit
  await admin.getByTestId("tab-config").click();
  await admin.getByTestId("config-kind").selectOption("bot");
  await admin.locator('[data-testid="config"][data-loading="no"]').waitFor();
  await admin.getByTestId("config-kind").selectOption("templates");
  await admin.locator('[data-testid="config"][data-loading="no"]').waitFor();
  await admin.getByTestId("config-draft").filter({ hasText: "draft v2 by ada carried over" }).waitFor();
  const draft = await editor.inputValue();
  assert.ok(draft.includes(SIGNATURE), draft);
  assert.match(draft, /name = "follow_up"\nlanguage = "en"[^\[]*status = "PAUSED"/);

  // WHEN she publishes it
  await admin.getByTestId("config-publish").click();
  await admin.getByTestId("config-status").filter({ hasText: "No draft." }).waitFor();
  // THEN her footer is live and Meta's pause is not undone: agents are not offered follow_up (en)
  const live = await api(runner, "demo-ada", "GET", "/templates?all=1");
  const find = (name, language) => live.body.templates.find((x) => x.name === name && x.language === language);
  assert.equal(find("follow_up", "en").status, "PAUSED", JSON.stringify(live.body));
  assert.equal(find("ticket_update", "de").footer, "Ihr Nordlicht-Team", JSON.stringify(find("ticket_update", "de")));
  const offered = await api(runner, "demo-ada", "GET", "/templates");
  assert.ok(!offered.body.templates.some((x) => x.name === "follow_up" && x.language === "en"));
});
