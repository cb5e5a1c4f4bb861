// Agents send files from the console, in headless Chromium against the real runner: the file is
// checked against WhatsApp's limits before any upload, goes to the upload URL the API gives, is
// uploaded to the (simulated) Cloud API and sent by its media id; it shows in the ticket's
// history and on the customer's phone.
import assert from "node:assert/strict";
import { test } from "node:test";
import { fromBusiness, openTicket, signIn, start, urgentCustomer } from "./steps.mjs";

const TIMEOUT = 60_000;

const toast = (page, text) => page.locator("#toast", { hasText: text });

/** A small but real PDF and PNG (1×1 pixel), so the pages can show them. */
const PDF = Buffer.from("%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n");
const PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==", "base64");

/** Attaches `file` in the console's composer and waits until it is uploaded. */
async function attach(page, file) {
  await page.getByTestId("attach-file").setInputFiles(file);
  await page.locator('[data-testid="attachment-state"][data-ready="true"]').waitFor();
}

test("an agent sends a PDF with a caption and an image; both show in the history and on the phone", { timeout: TIMEOUT }, async (t) => {
  const { runner, browser } = await start(t);
  // GIVEN a customer's urgent ticket, open in the console of the agent it was given to
  const { phone, ticket } = await urgentCustomer(browser, runner, "Paula Richter", "4915100000701");
  const page = await signIn(browser, runner, ticket.assignee);
  await openTicket(page, ticket);

  // WHEN the agent attaches a PDF, writes a caption and sends it
  await attach(page, { name: "Rechnung 4711.pdf", mimeType: "application/pdf", buffer: PDF });
  await page.getByTestId("compose-text").fill("Ihre Rechnung");
  await page.getByTestId("compose-send").click();
  await toast(page, "Document sent").waitFor();
  // THEN the history shows it as a document with its name, and the customer receives it
  const sent = page.locator('[data-testid="message"][data-direction="outbound"][data-kind="document"]');
  await sent.getByTestId("media").filter({ hasText: "Rechnung_4711.pdf" }).waitFor();
  assert.match(await sent.innerText(), /Ihre Rechnung/);
  const onPhone = fromBusiness(phone, "Ihre Rechnung");
  await onPhone.locator("a.file", { hasText: "Rechnung_4711.pdf" }).waitFor();
  // AND the phone's link opens the very file
  const href = await onPhone.locator("a.file").getAttribute("href");
  const file = await fetch(new URL(href, runner.url));
  assert.equal(file.status, 200);
  assert.deepEqual(Buffer.from(await file.arrayBuffer()), PDF);

  // WHEN the agent sends an image without a caption
  await attach(page, { name: "foto.png", mimeType: "image/png", buffer: PNG });
  await page.getByTestId("compose-send").click();
  await toast(page, "Image sent").waitFor();
  // THEN the history shows a preview, and so does the phone
  await page.locator('[data-testid="message"][data-kind="image"] img.media-preview').waitFor();
  await phone.locator('[data-testid="message"][data-from="business"][data-type="media"] img').waitFor();
  const image = phone.locator('[data-testid="message"][data-from="business"][data-type="media"] img');
  await phone.waitForFunction((img) => img.complete && img.naturalWidth === 1, await image.elementHandle());
});

test("a file over WhatsApp's limit is refused with the limit before anything is uploaded", { timeout: TIMEOUT }, async (t) => {
  const { runner, browser } = await start(t);
  const { ticket } = await urgentCustomer(browser, runner, "Max Brandt", "4915100000702");
  const page = await signIn(browser, runner, ticket.assignee);
  // The refusal is the answer this test provokes.
  browser.allowFailure((f) => f.status === 422 && f.url.endsWith(`/api/tickets/${ticket.id}/attachments`));
  const uploads = [];
  page.on("request", (r) => { if (r.url().includes("/uploads/")) uploads.push(r.url()); });
  await openTicket(page, ticket);

  // WHEN the agent attaches a 6 MB image (WhatsApp takes images up to 5 MB)
  const big = Buffer.alloc(6 * 1024 * 1024, 0);
  PNG.copy(big);
  await page.getByTestId("attach-file").setInputFiles({ name: "scan.png", mimeType: "image/png", buffer: big });
  // THEN the console says why, naming the limit, and nothing was uploaded or is attached
  await page.getByTestId("attach-error").filter({ hasText: "image files may be at most 5 MB on WhatsApp; this one is 6.0 MB" }).waitFor();
  assert.deepEqual(uploads, []);
  assert.ok(await page.getByTestId("compose-attachment").isHidden());

  // WHEN the agent attaches a type WhatsApp does not send
  await page.getByTestId("attach-file").setInputFiles({ name: "anim.gif", mimeType: "image/gif", buffer: Buffer.from("GIF89a") });
  await page.getByTestId("attach-error").filter({ hasText: "image/gif cannot be sent on WhatsApp" }).waitFor();
  assert.deepEqual(uploads, []);
});
