// The Admin tab keeps a supervisor to her own teams' parts, and a published routing change is
// live: maria (supervisor of support, billing and fraud) is refused a keyword for logistics,
// naming the part, moving her team's rule below logistics' (the first match wins), naming
// the rule, and adding to her rule above logistics' a keyword that takes logistics' tickets
// ("Pakete" for its "paket"), naming both; she saves and publishes one for billing, and the next customer who writes it is
// routed to billing by the running router, without a restart.
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { test } from "node:test";
import { api, eventually } from "./harness.mjs";
import { openPhone, signIn, start, write } from "./steps.mjs";

const TIMEOUT = 180_000;

test("a supervisor is refused another team's routing keyword, publishes her team's, and the next handoff follows it", { timeout: TIMEOUT }, async (t) => {
  // The runner asks for the published routing every second.
  const { runner, browser } = await start(t, { env: { HELPDESK_CONFIG_CHECK_SECONDS: "1" } });
  // The refused saves below are on purpose.
  browser.allowFailure(({ url, method, status }) => method === "PUT" && url.endsWith("/api/config/routing/draft") && status === 403);

  // GIVEN the supervisor has the routing open in the Admin tab
  const page = await signIn(browser, runner, "maria");
  await page.getByTestId("tab-config").click();
  await page.getByTestId("config-kind").selectOption("routing");
  const editor = page.getByTestId("config-editor");
  await page.waitForFunction(() => document.querySelector('[data-testid="config-editor"]').value.includes('team = "logistics"'));
  const original = await editor.inputValue();

  // WHEN she adds a keyword to the logistics team, which is not hers
  await editor.fill(original.replace('"zustellung"]', '"zustellung", "mahnung"]'));
  await page.getByTestId("config-save").click();
  // THEN the save is refused, naming the part
  await page.getByTestId("config-error").filter({ hasText: "the rules of team logistics" }).waitFor();
  assert.equal(await page.getByTestId("config-draft").count(), 0);

  // WHEN she moves billing's rule, hers, below logistics' rule, which is not hers
  const blocks = original.trimEnd().split("[[rules]]");
  assert.equal(blocks.length, 4, original);
  const [head, fraud, billing, logistics] = blocks;
  await editor.fill(`${head}[[rules]]${fraud}[[rules]]${logistics}\n\n[[rules]]${billing}`);
  await page.getByTestId("config-save").click();
  // THEN the save is refused, naming the rule whose priority it changes
  await page.getByTestId("config-error").filter({ hasText: "the priority of team logistics's rules[1]" }).waitFor();
  assert.equal(await page.getByTestId("config-draft").count(), 0);

  // WHEN she adds to billing's rule, hers and above logistics', a plural of logistics' "paket"
  await editor.fill(original.replace('"abbuchung"]', '"abbuchung", "Pakete"]'));
  await page.getByTestId("config-save").click();
  // THEN the save is refused, naming logistics' rule and the keyword that would take its tickets
  await page.getByTestId("config-error").filter({ hasText: "the tickets of team logistics's rules[2]" }).waitFor();
  assert.match(await page.getByTestId("config-error").textContent(), /keyword "Pakete" added to rules\[1\] \(team billing/);
  assert.equal(await page.getByTestId("config-draft").count(), 0);

  // WHEN she adds it to billing, her team, and publishes
  await editor.fill(original.replace('"abbuchung"]', '"abbuchung", "mahnung"]'));
  await page.getByTestId("config-note").fill("dunning letters to billing");
  await page.getByTestId("config-save").click();
  await page.getByTestId("config-draft").filter({ hasText: "dunning letters" }).waitFor();
  assert.equal(await page.getByTestId("config-error").textContent(), "");
  await page.getByTestId("config-publish").click();
  await eventually(async () => {
    const doc = await api(runner, "demo-maria", "GET", "/config/routing");
    return doc.body.published.toml.includes('"mahnung"');
  }, "the routing to be published");
  await sleep(1_200);

  // THEN a customer who asks for a person about a dunning letter lands with billing
  const phone = await openPhone(browser, runner, "Jana", "4915100000077");
  await write(phone, "Ich möchte mit einem Mitarbeiter sprechen, es geht um eine Mahnung");
  const ticket = await eventually(async () => {
    const { body } = await api(runner, "demo-maria", "GET", "/tickets?limit=100");
    return body.tickets.find((x) => x.customer_name === "Jana" && x.team);
  }, "the handoff to be routed", 20_000);
  assert.equal(ticket.team, "billing");
});
