// The harness itself: a browser test fails on any page error, console error or failed request.
import assert from "node:assert/strict";
import { test } from "node:test";
import { startBoth } from "./harness.mjs";

/** Runs `provoke(page, runner)` in a fresh browser and returns what `close()` threw. */
async function problemsAfter(provoke, { allow } = {}) {
  const { runner, browser } = await startBoth();
  try {
    if (allow) browser.allowFailure(allow);
    const page = await browser.newPage();
    await page.goto(`${runner.url}/simulator`);
    await provoke(page, runner);
    await page.waitForTimeout(300);
  } catch (e) {
    await browser.close().catch(() => {});
    throw e;
  } finally {
    await runner.stop();
  }
  return browser.close().then(() => null, (e) => e.message);
}

test("a page the content security policy blocks fails the test", { timeout: 60_000 }, async () => {
  const message = await problemsAfter((page) => page.evaluate(() => fetch("http://127.0.0.1:9/").catch(() => {})));
  assert.match(message, /console error on .*violates the following Content Security Policy directive/);
});

test("a page error fails the test", { timeout: 60_000 }, async () => {
  const message = await problemsAfter((page) => page.evaluate(() => setTimeout(() => { throw new Error("boom in the page"); })));
  assert.match(message, /page error on .*boom in the page/);
});

test("a console error fails the test", { timeout: 60_000 }, async () => {
  const message = await problemsAfter((page) => page.evaluate(() => console.error("something broke")));
  assert.match(message, /console error on .*something broke/);
});

test("a 4xx answer fails the test unless the test expects it", { timeout: 60_000 }, async () => {
  const provoke = (page) => page.evaluate(() => fetch("/ui/no-such-module.js"));
  assert.match(await problemsAfter(provoke), /GET .*\/ui\/no-such-module\.js answered 404/);
  assert.equal(await problemsAfter(provoke, { allow: ({ url, status }) => url.endsWith("/ui/no-such-module.js") && status === 404 }), null);
});

test("a request that cannot reach its server fails the test", { timeout: 60_000 }, async () => {
  const message = await problemsAfter(async (page, runner) => {
    await runner.stop();
    await page.evaluate(() => fetch("/dev/state").catch(() => {}));
  });
  assert.match(message, /request failed on .*GET .*\/dev\/state: net::ERR_CONNECTION_REFUSED/);
});

test("the pages load without any problem", { timeout: 60_000 }, async () => {
  const message = await problemsAfter(async (page, runner) => {
    await page.goto(`${runner.url}/console`);
    await page.getByTestId("demo-agent").first().waitFor();
  });
  assert.equal(message, null);
});
