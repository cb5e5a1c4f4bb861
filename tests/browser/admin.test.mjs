// The admin area in headless Chromium against the real runner: an admin invites an agent (the
// API key is shown once and works at once) and deactivates another, whose open ticket goes back
// to the queue and is routed again.
import assert from "node:assert/strict";
import { test } from "node:test";
import { api, eventually } from "./harness.mjs";
import { signIn, start, urgentCustomer } from "./steps.mjs";

const TIMEOUT = 120_000;

test("an admin invites an agent with a key shown once and deactivates another, whose ticket is routed again", { timeout: TIMEOUT }, async (t) => {
  const { runner, browser } = await start(t);
  // GIVEN a customer's ticket with an agent
  const { ticket } = await urgentCustomer(browser, runner, "Jana Vogel", "4915100000701");
  const holder = ticket.assignee;
  assert.ok(holder);
  // AND agents do not see the admin tab
  const agentPage = await signIn(browser, runner, "tom");
  assert.equal(await agentPage.getByTestId("tab-agents").isVisible(), false);

  // WHEN the admin invites Nina in the Agents tab
  const page = await signIn(browser, runner, "ada");
  await page.getByTestId("tab-agents").click();
  await page.getByTestId("invite-id").fill("nina");
  await page.getByTestId("invite-name").fill("Nina Roth");
  await page.getByTestId("invite-teams").fill("support");
  await page.getByTestId("invite-languages").fill("de");
  await page.getByTestId("invite-role").selectOption("agent");
  await page.getByTestId("invite-submit").click();
  // THEN her key is shown once, and it signs her in as an agent at once
  const key = (await page.getByTestId("invite-key").textContent()).trim();
  assert.match(key, /^hk_[0-9a-f]{64}$/);
  const me = await api(runner, key, "GET", "/me");
  assert.equal(me.status, 200);
  assert.equal(me.body.agent, "nina");
  assert.equal(me.body.role, "agent");
  await page.locator('[data-testid="agent-row"][data-agent="nina"]').waitFor();
  // AND the list never shows it again
  await page.getByTestId("tab-queue").click();
  await page.getByTestId("tab-agents").click();
  assert.equal(await page.getByTestId("invite-key").count(), 0);
  assert.equal((await page.content()).includes(key), false);

  // WHEN the admin deactivates the agent who holds the ticket (two clicks: ask, confirm)
  const row = page.locator(`[data-testid="agent-row"][data-agent="${holder}"]`);
  await row.getByTestId("agent-deactivate").click();
  await row.getByTestId("agent-deactivate").click();
  // THEN the row says so, the agent can no longer act, and the ticket left them
  await page.locator(`[data-testid="agent-row"][data-agent="${holder}"][data-state="deactivated"]`).waitFor();
  assert.equal((await api(runner, `demo-${holder}`, "GET", "/me")).status, 401);
  const moved = await eventually(async () => {
    // As the admin: the holder may have been maria, whose key the steps use.
    const { status, body: now } = await api(runner, "demo-ada", "GET", `/tickets/${ticket.id}`);
    assert.equal(status, 200);
    return now.assignee !== holder ? now : null;
  }, "the ticket to leave the deactivated agent");
  // back to the queue, and routed again to a free colleague of the team if there is one
  assert.ok(["queued", "assigned"].includes(moved.status), moved.status);
  if (moved.assignee) assert.notEqual(moved.assignee, holder);
  const audit = await api(runner, "demo-ada", "GET", "/audit");
  const actions = audit.body.records.map((r) => r.action);
  assert.ok(actions.includes("agent_invited") && actions.includes("agent_deactivated"), actions.join());
});
