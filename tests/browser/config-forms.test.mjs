// The Admin tab's forms in headless Chromium against the real runner: a supervisor changes a FAQ
// answer and adds one, marks a holiday in the calendar, tries and previews the drafts, publishes,
// a customer gets the new answer, and a rollback brings the old one back; the holiday import
// refuses a bad line and saves nothing; refusals show at the field they name.
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { test } from "node:test";
import { api } from "./harness.mjs";
import { fromBusiness, openPhone, signIn, start, write } from "./steps.mjs";

const TIMEOUT = 120_000;
// The runner's bot reply asks for the published bot every second (HELPDESK_CONFIG_CHECK_SECONDS,
// 15 s by default): a customer who writes after that gets the published answer.
const LIVE_AFTER = 1_200;
const OLD_PAYMENT = "Sie können mit PayPal, Kreditkarte, Klarna (Rechnung) und Apple Pay bezahlen.";
const NEW_PAYMENT = "Sie können mit PayPal, Kreditkarte und neu auch per Vorkasse bezahlen.";
const QUESTION = "Verkauft ihr Geschenkgutscheine?";
const ANSWER = "Ja, Geschenkgutscheine gibt es ab 10 € in unserem Shop.";

const pad = (n) => String(n).padStart(2, "0");
const day = (d) => `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;

/** A Wednesday five to six weeks ahead (an office day, followed by one), and the day after. */
function aWednesdayAhead() {
  const d = new Date(Date.now() + 35 * 86_400_000);
  while (d.getUTCDay() !== 3) d.setUTCDate(d.getUTCDate() + 1);
  const next = new Date(d.getTime() + 86_400_000);
  return { date: day(d), next: day(next) };
}

async function openAdmin(page, kind) {
  await page.getByTestId("tab-config").click();
  await page.locator('[data-testid="config"][data-loading="no"]').waitFor();
  await page.getByTestId("config-kind").selectOption(kind);
  await page.locator('[data-testid="config"][data-loading="no"]').waitFor();
}

const editorText = (page) => page.getByTestId("config-editor").inputValue();

test("a supervisor changes and adds FAQ answers and a holiday through the forms, tries, publishes, and a rollback brings the old answer back", { timeout: TIMEOUT }, async (t) => {
  const { runner, browser } = await start(t, { env: { HELPDESK_CONFIG_CHECK_SECONDS: "1" } });
  const page = await signIn(browser, runner, "maria");

  // WHEN the supervisor changes the payment answer in the FAQ form
  await openAdmin(page, "bot");
  const payment = page.locator('[data-testid="faq"][data-id="payment"]');
  const german = payment.getByTestId("faq-answer-de");
  assert.ok((await german.inputValue()).startsWith(OLD_PAYMENT));
  await german.fill(`${NEW_PAYMENT} Details: https://hilfe.nordlicht-mode.example/zahlung`);
  await payment.getByTestId("faq-save").click();
  await page.getByTestId("config-draft").filter({ hasText: "version 2" }).waitFor();
  // AND adds a new FAQ answer with its question
  await page.getByTestId("faq-new-name").fill("Geschenkgutscheine");
  await page.getByTestId("faq-new-examples").fill(QUESTION);
  await page.getByTestId("faq-new-answer-de").fill(ANSWER);
  await page.getByTestId("faq-add").click();
  await page.getByTestId("config-draft").filter({ hasText: "version 3" }).waitFor();
  await page.locator('[data-testid="faq"][data-id="geschenkgutscheine"]').waitFor();
  // THEN trying the draft gives the new answer
  await page.getByTestId("bot-try-input").fill(QUESTION);
  await page.getByTestId("bot-try-send").click();
  await page.getByTestId("bot-try-reply").filter({ hasText: ANSWER }).waitFor();
  // AND the rest of the document is still there as it was written, comments included
  const bot = await editorText(page);
  for (const kept of ["[flows.size.steps.which]", "max_failed_attempts = 3", "# Words that mean the same to the matcher", "sendungsverfolgung", NEW_PAYMENT]) assert.ok(bot.includes(kept), kept);
  assert.ok(!bot.includes(OLD_PAYMENT));
  // WHEN she publishes it (the running bot takes it up within a second; the calendar meanwhile)
  await page.getByTestId("config-publish").click();
  await page.getByTestId("config-status").filter({ hasText: "Published: version 3" }).waitFor();
  const published = Date.now();

  // WHEN she marks a Wednesday ahead as a holiday in the office calendar
  const { date, next } = aWednesdayAhead();
  await openAdmin(page, "sla");
  await page.getByTestId("calendar-month").fill(date.slice(0, 7));
  await page.locator(`[data-testid="calendar"][data-month="${date.slice(0, 7)}"]`).waitFor();
  await page.locator(`[data-testid="calendar-day"][data-date="${date}"]`).click();
  await page.getByTestId("holiday-name").fill("Betriebsausflug");
  await page.getByTestId("holiday-add").click();
  // THEN the calendar marks it, in a new draft that kept everything else
  await page.locator(`[data-testid="calendar-day"][data-date="${date}"][data-holiday="yes"]`, { hasText: "Betriebsausflug" }).waitFor();
  await page.getByTestId("config-draft").waitFor();
  const sla = await editorText(page);
  for (const kept of ["Betriebsausflug", "2026-12-24", "reassign:senior", "resolve_after_silence", 'name = "fraud"']) assert.ok(sla.includes(kept), kept);
  // AND the preview of a ticket opened that morning has its first response due the day after
  await page.getByTestId("sla-preview-opened").fill(`${date}T09:00`);
  await page.getByTestId("sla-preview-run").click();
  const due = page.locator('[data-testid="sla-preview-deadline"][data-target="first_response"]');
  await due.waitFor();
  assert.ok((await due.getAttribute("data-due")).startsWith(next), await due.getAttribute("data-due"));
  await page.getByTestId("config-publish").click();
  await page.getByTestId("config-status").filter({ hasText: "No draft." }).waitFor();

  // THEN a customer gets the new answer from the running bot
  await sleep(Math.max(0, LIVE_AFTER - (Date.now() - published)));
  const phone = await openPhone(browser, runner, "Lena Berg", "4915100000851");
  await write(phone, QUESTION);
  await fromBusiness(phone, ANSWER).waitFor({ timeout: 15_000 });

  // WHEN she rolls the bot back to the first version (ask, confirm)
  await openAdmin(page, "bot");
  const v1 = page.locator('[data-testid="config-version"][data-version="1"]');
  await v1.getByTestId("config-rollback").click();
  await v1.getByTestId("config-rollback").click();
  await page.getByTestId("config-status").filter({ hasText: "Published: version 4" }).waitFor();
  // THEN the old payment answer is back and the new FAQ gone
  await page.locator('[data-testid="faq"][data-id="payment"]').getByTestId("faq-answer-de").waitFor();
  assert.ok((await page.locator('[data-testid="faq"][data-id="payment"]').getByTestId("faq-answer-de").inputValue()).startsWith(OLD_PAYMENT));
  assert.equal(await page.locator('[data-testid="faq"][data-id="geschenkgutscheine"]').count(), 0);
  await page.getByTestId("bot-try-input").fill("Kann ich mit PayPal bezahlen?");
  await page.getByTestId("bot-try-send").click();
  await page.getByTestId("bot-try-reply").filter({ hasText: OLD_PAYMENT }).waitFor();
});

test("the holiday import reports a bad line and saves nothing until every line is a date; refusals show at their field; a conflict shows what changed", { timeout: TIMEOUT }, async (t) => {
  const { runner, browser } = await start(t);
  // The server's refusal below is on purpose.
  browser.allowFailure(({ url, method, status }) => method === "PUT" && url.endsWith("/api/config/sla/draft") && [409, 422].includes(status));
  const page = await signIn(browser, runner, "maria");
  await openAdmin(page, "sla");

  // WHEN she imports a list with a date that does not exist
  await page.getByTestId("holiday-import").fill("2027-05-05 Brückentag\n31.02.2027 Kein Tag\n\n06.05.2027");
  await page.getByTestId("holiday-import-run").click();
  // THEN the bad line is named and nothing is saved
  await page.locator('[data-testid="holiday-import-error"][data-line="2"]', { hasText: "31.02.2027" }).waitFor();
  assert.equal(await page.getByTestId("holiday-import-error").count(), 1);
  assert.equal(await page.getByTestId("config-draft").count(), 0);

  // WHEN she corrects it
  await page.getByTestId("holiday-import").fill("2027-05-05 Brückentag\n28.02.2027 Ein Tag\n\n06.05.2027");
  await page.getByTestId("holiday-import-run").click();
  // THEN all three are saved in one draft and marked in the calendar
  await page.getByTestId("config-draft").filter({ hasText: "version 2" }).waitFor();
  const sla = await editorText(page);
  for (const d of ["2027-05-05", "2027-02-28", "2027-05-06", "Brückentag"]) assert.ok(sla.includes(d), d);
  await page.getByTestId("calendar-month").fill("2027-05");
  await page.locator('[data-testid="calendar-day"][data-date="2027-05-05"][data-holiday="yes"]', { hasText: "Brückentag" }).waitFor();
  await page.locator('[data-testid="calendar-day"][data-date="2027-05-06"][data-holiday="yes"]').waitFor();

  // WHEN a target is not a duration, THEN the form says so at the field, before sending
  // (the fraud policy: Maria's team's; a supervisor may not change the general ones)
  const fraud = page.locator('[data-testid="sla-policy"][data-policy="fraud"]');
  await fraud.getByTestId("sla-duration").first().fill("4 hours");
  await page.getByTestId("sla-save").click();
  await page.locator('[data-testid="field-error"][data-field="policies[0].first_response"]').waitFor();
  assert.equal(await page.getByTestId("config-draft").filter({ hasText: "version 2" }).count(), 1);

  // WHEN an admin saves a version meanwhile, her save is refused, showing what the admin changed
  const theirs = await api(runner, "demo-ada", "PUT", "/config/sla/draft", { base_version: 2, toml: `# checked by ada\n${await editorText(page)}` });
  assert.equal(theirs.status, 200, JSON.stringify(theirs.body));
  await fraud.getByTestId("sla-duration").first().fill("1d 2h");
  await page.getByTestId("sla-save").click();
  await page.getByTestId("config-error").filter({ hasText: "someone saved version 3" }).waitFor();
  await page.getByTestId("config-diff").locator('[data-op="add"]', { hasText: "# checked by ada" }).waitFor();
  // AND making her change again on top keeps theirs, with the duration as the file writes it
  await page.getByTestId("config-apply-again").click();
  await page.getByTestId("config-draft").filter({ hasText: "version 4" }).waitFor();
  const merged = await editorText(page);
  assert.ok(merged.includes('first_response = "1d2h"'), merged);
  assert.ok(merged.startsWith("# checked by ada"), merged);

  // WHEN the server refuses opening hours, THEN its message shows at that day's hours
  await page.getByTestId("hours-monday").fill("18:00-08:00");
  await page.getByTestId("hours-save").click();
  await page.locator('[data-testid="field-error"][data-field="calendars.office.monday"]', { hasText: "closes before it opens" }).waitFor();
  assert.equal(await page.getByTestId("hours-monday").getAttribute("aria-invalid"), "true");
  await page.getByTestId("config-draft").filter({ hasText: "version 4" }).waitFor();
});

test("a supervisor adds and removes routing keywords of a team and removes a FAQ answer through the forms", { timeout: TIMEOUT }, async (t) => {
  const { runner, browser } = await start(t);
  const page = await signIn(browser, runner, "maria");
  // WHEN she adds a keyword to billing and removes one
  await openAdmin(page, "routing");
  const billing = page.locator('[data-testid="routing-rule"][data-team="billing"]');
  await billing.getByTestId("routing-keyword-input").fill("Gutschrift");
  await billing.getByTestId("routing-keyword-add").click();
  await billing.locator('[data-testid="routing-keyword"][data-keyword="invoice"]').getByTestId("routing-keyword-remove").click();
  await page.getByTestId("routing-save").click();
  // THEN the draft has the new keyword list and the rest as it was
  await page.getByTestId("config-draft").waitFor();
  await billing.locator('[data-testid="routing-keyword"][data-keyword="gutschrift"]').waitFor();
  const routing = await editorText(page);
  assert.ok(routing.includes('keywords = ["rueckerstattung", "erstattung", "refund", "rechnung", "zahlung", "payment", "abbuchung", "gutschrift"]'), routing);
  assert.ok(routing.includes("# Who gets a ticket the bot hands over."));
  assert.ok(routing.includes('reasons = ["complaint", "fraud"]'));

  // WHEN she removes the cancellation FAQ (two clicks: ask, confirm)
  await openAdmin(page, "bot");
  const cancel = page.locator('[data-testid="faq"][data-id="cancel"]');
  await cancel.getByTestId("faq-remove").click();
  await cancel.getByTestId("faq-remove").click();
  // THEN the draft no longer has it, its answer flow or its button titles
  await page.getByTestId("config-draft").waitFor();
  await cancel.waitFor({ state: "detached" });
  const bot = await editorText(page);
  for (const gone of ['id = "cancel"', "[flows.cancel]", 'cancel = "Stornierung"']) assert.ok(!bot.includes(gone), gone);
  // AND a FAQ in the main menu cannot be removed here
  const returns = page.locator('[data-testid="faq"][data-id="returns"]');
  await returns.getByTestId("faq-remove").click();
  await returns.getByTestId("faq-remove").click();
  await page.getByTestId("field-error").filter({ hasText: "main menu" }).waitFor();
});
