// The Admin tab in headless Chromium against the real runner: a supervisor edits the bot's
// draft (a broken edit or a bad rule word is refused with the line), tries it on the draft, publishes it, and a
// customer on /simulator gets the new answer from the running bot; rolling back brings the old
// answer back.
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { test } from "node:test";
import { api } from "./harness.mjs";
import { fromBusiness, openPhone, signIn, start, unrecognisedInAdmin, write } from "./steps.mjs";

const TIMEOUT = 180_000;
// The runner's bot reply asks for the published bot every second (HELPDESK_CONFIG_CHECK_SECONDS,
// 15 s by default): a customer who writes after that gets the published answer.
const CHECK_EVERY = { HELPDESK_CONFIG_CHECK_SECONDS: "1" };
const LIVE_AFTER = 1_200;
const OLD = "Sie können mit PayPal, Kreditkarte, Klarna (Rechnung) und Apple Pay bezahlen.";
const NEW = "Neu: Sie können jetzt auch per Vorkasse bezahlen.";
const QUESTION = "Kann ich mit PayPal bezahlen?";

test("a supervisor edits, tries and publishes the bot in the console, customers get the new answer, and a rollback brings the old one back", { timeout: TIMEOUT }, async (t) => {
  const { runner, browser } = await start(t, { env: CHECK_EVERY });
  // The refused saves below are on purpose.
  browser.allowFailure(({ url, method, status }) => method === "PUT" && url.endsWith("/api/config/bot/draft") && [409, 422].includes(status));
  // GIVEN agents do not see the Admin tab
  const agentPage = await signIn(browser, runner, "tom");
  assert.equal(await agentPage.getByTestId("tab-config").isVisible(), false);

  // WHEN the supervisor opens the bot's configuration
  const page = await signIn(browser, runner, "maria");
  await page.getByTestId("tab-config").click();
  const editor = page.getByTestId("config-editor");
  await page.waitForFunction((old) => document.querySelector('[data-testid="config-editor"]').value.includes(old), OLD);
  const original = await editor.inputValue();

  // AND saves a broken edit: it is refused, naming the line
  await editor.fill(original.replace('company = "Nordlicht Mode"', 'company = "Nordlicht Mode'));
  await page.getByTestId("config-save").click();
  await page.getByTestId("config-error").filter({ hasText: "line" }).waitFor();
  assert.equal(await page.getByTestId("config-draft").count(), 0);
  // AND a rule word in capitals: refused, naming the list, the entry and its line
  const negations = '[words.negations]\nde = [\n  "nicht"';
  assert.ok(original.includes(negations));
  const capital = original.replace(negations, '[words.negations]\nde = [\n  "Nöd", "nicht"');
  const capitalLine = capital.split("\n").findIndex((l) => l.includes('"Nöd"')) + 1;
  await editor.fill(capital);
  await page.getByTestId("config-save").click();
  await page.getByTestId("config-error").filter({ hasText: "words.negations.de" }).filter({ hasText: '"Nöd" must be lowercase' }).filter({ hasText: `line ${capitalLine}` }).waitFor();
  assert.equal(await page.getByTestId("config-draft").count(), 0);

  // WHEN an admin saves a draft meanwhile, her save is refused, showing what the admin changed
  const theirs = await api(runner, "demo-ada", "PUT", "/config/bot/draft", { base_version: 1, toml: `# reviewed by ada\n${original}` });
  assert.equal(theirs.status, 200, JSON.stringify(theirs.body));
  await editor.fill(original.replace(OLD, NEW));
  await page.getByTestId("config-note").fill("prepayment");
  await page.getByTestId("config-save").click();
  await page.getByTestId("config-error").filter({ hasText: "someone saved version 2" }).waitFor();
  await page.getByTestId("config-diff").locator('[data-op="add"]', { hasText: "# reviewed by ada" }).waitFor();
  // WHEN she saves her change to the payment answer again, on top of it
  await page.getByTestId("config-save").click();
  await page.getByTestId("config-draft").filter({ hasText: "prepayment" }).waitFor();
  assert.equal(await page.getByTestId("config-error").textContent(), "");
  // THEN trying the draft answers with the new text
  await page.getByTestId("bot-try-input").fill(QUESTION);
  await page.getByTestId("bot-try-send").click();
  await page.getByTestId("bot-try-reply").filter({ hasText: NEW }).waitFor();
  await page.getByTestId("bot-try-intent").filter({ hasText: "payment" }).waitFor();
  // AND the history shows the draft, and its diff the change
  const draftRow = page.locator('[data-testid="config-version"][data-version="3"]');
  await draftRow.getByTestId("config-version-diff").click();
  await page.getByTestId("config-diff").locator('[data-op="add"]', { hasText: NEW }).waitFor();
  await page.getByTestId("config-diff").locator('[data-op="remove"]', { hasText: OLD }).waitFor();

  // WHEN she publishes it
  await page.getByTestId("config-publish").click();
  await page.getByTestId("config-status").filter({ hasText: "No draft." }).waitFor();
  await page.getByTestId("config-status").filter({ hasText: "Published: version 3" }).waitFor();
  // THEN a customer gets the new answer from the running bot
  await sleep(LIVE_AFTER);
  const first = await openPhone(browser, runner, "Lena Berg", "4915100000811");
  await write(first, QUESTION);
  await fromBusiness(first, NEW).waitFor({ timeout: 15_000 });

  // WHEN she rolls back to the first version (two clicks: ask, confirm)
  const v1 = page.locator('[data-testid="config-version"][data-version="1"]');
  await v1.getByTestId("config-rollback").click();
  await v1.getByTestId("config-rollback").click();
  await page.getByTestId("config-status").filter({ hasText: "Published: version 4" }).waitFor();
  assert.ok((await editor.inputValue()).includes(OLD));
  // THEN the next customer gets the old answer again
  await sleep(LIVE_AFTER);
  const second = await openPhone(browser, runner, "Paul Kern", "4915100000812");
  await write(second, QUESTION);
  await fromBusiness(second, OLD).waitFor({ timeout: 15_000 });
  assert.equal(await fromBusiness(second, NEW).count(), 0);
});

test("a supervisor adds a message the bot did not understand to an intent, and the draft understands it", { timeout: TIMEOUT }, async (t) => {
  const { runner, browser } = await start(t);
  // GIVEN a customer asked something the bot did not understand
  const unknown = "Habt ihr Gutscheine für Geburtstage?";
  // WHEN the supervisor finds it in the Admin tab and adds it to the payment intent
  const { page, row } = await unrecognisedInAdmin(browser, runner, "Mara Fink", "4915100000821", unknown);
  await row.getByTestId("unrecognised-intent").selectOption("payment");
  await row.getByTestId("unrecognised-adopt").click();
  // THEN a new draft holds it as an example of the intent
  await page.getByTestId("config-draft").waitFor();
  await page.waitForFunction((text) => document.querySelector('[data-testid="config-editor"]').value.includes(text.toLowerCase()) || document.querySelector('[data-testid="config-editor"]').value.includes(text), unknown);
  // AND the draft understands it
  await page.getByTestId("bot-try-input").fill(unknown);
  await page.getByTestId("bot-try-send").click();
  await page.getByTestId("bot-try-intent").filter({ hasText: "Intent: payment" }).waitFor();
});

test("a supervisor answers a message the bot did not understand with a new FAQ, and the draft answers it", { timeout: TIMEOUT }, async (t) => {
  const { runner, browser } = await start(t);
  // GIVEN a customer asked something the bot did not understand
  const unknown = "Habt ihr Gutscheine für Geburtstage?";
  const answer = "Ja, Geschenkgutscheine gibt es ab 10 € in unserem Shop.";
  // WHEN the supervisor writes an answer to it in the Admin tab and adds it as a FAQ
  const { page, row } = await unrecognisedInAdmin(browser, runner, "Mara Fink", "4915100000831", unknown);
  await row.getByTestId("unrecognised-answer-de").fill(answer);
  await row.getByTestId("unrecognised-faq").click();
  // THEN a new draft holds the answer, and trying the draft gives it
  await page.getByTestId("config-draft").waitFor();
  await page.waitForFunction((text) => document.querySelector('[data-testid="config-editor"]').value.includes(text), answer);
  await page.getByTestId("bot-try-input").fill(unknown);
  await page.getByTestId("bot-try-send").click();
  await page.getByTestId("bot-try-reply").filter({ hasText: answer }).waitFor();
});
