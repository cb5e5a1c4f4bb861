// Test harness: a runner process per test on a free port, and headless Chromium with a fresh
// profile. HELPDESK_LOCAL_BIN names the built runner (default: target/debug/helpdesk-local).
import { spawn } from "node:child_process";
import { mkdtemp, mkdir, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const artifactsDir = path.join(repoRoot, "target", "browser-artifacts");

const CHROMIUM = process.env.CHROMIUM_BIN || "/usr/bin/chromium";
const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts `helpdesk-local` in memory mode on a free port; resolves when it answers. `env` adds
 * variables (e.g. `HELPDESK_SLA_CONFIG` for a short SLA policy). */
export async function startRunner({ env = {} } = {}) {
  const bin = process.env.HELPDESK_LOCAL_BIN || path.join(repoRoot, "target", "debug", "helpdesk-local");
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(bin, [], {
    env: { ...process.env, HELPDESK_LISTEN: `127.0.0.1:${port}`, RUST_LOG: process.env.RUST_LOG || "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (d) => { output += d; });
  child.stderr.on("data", (d) => { output += d; });
  const exited = new Promise((resolve) => child.on("exit", (code) => resolve(code)));
  let spawnError = null;
  child.on("error", (e) => { spawnError = e; });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (spawnError) throw new Error(`cannot start ${bin}: ${spawnError.message} (build it with cargo build -p helpdesk-local, or set HELPDESK_LOCAL_BIN)`);
    if (child.exitCode !== null) throw new Error(`the runner exited with ${child.exitCode}:\n${output}`);
    try {
      const response = await fetch(`${url}/dev/demo-keys`);
      if (response.ok) break;
    } catch (_) { /* not listening yet */ }
    if (Date.now() > deadline) {
      child.kill();
      throw new Error(`the runner did not answer at ${url} within 30 s:\n${output}`);
    }
    await sleep(100);
  }
  return {
    url,
    output: () => output,
    async stop() {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await Promise.race([exited, sleep(3000)]);
        if (child.exitCode === null) child.kill("SIGKILL");
      }
    },
  };
}

/**
 * Headless Chromium with a fresh profile directory (removed by close()). Every page it opens is
 * watched: an uncaught page error, a console error, a request that fails (network error) or is
 * answered with 4xx/5xx is a problem, and `close()` throws listing them, so the test fails.
 * `allowFailure(test)` accepts expected failed responses: `test({ url, status, method })`
 * returns true for one the test provokes on purpose.
 */
export async function startBrowser() {
  const profile = await mkdtemp(path.join(tmpdir(), "helpdesk-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1400, height: 900 },
    locale: "de-DE",
  });
  const problems = [];
  const allowed = [];
  const expected = (failure) => allowed.some((accept) => accept(failure));
  const watch = (page) => {
    page.on("pageerror", (e) => problems.push(`page error on ${page.url()}: ${e.message}`));
    page.on("console", (message) => {
      if (message.type() !== "error") return;
      const text = message.text();
      // The browser logs each failed load too; the request and response handlers judge those.
      if (text.startsWith("Failed to load resource")) return;
      problems.push(`console error on ${page.url()}: ${text}`);
    });
    page.on("requestfailed", (request) => {
      const error = request.failure()?.errorText || "failed";
      // A request still running when its page closes, reloads or navigates is cancelled
      // (ERR_ABORTED), not failed: the polls are always running.
      if (error.includes("ERR_ABORTED")) return;
      problems.push(`request failed on ${page.url()}: ${request.method()} ${request.url()}: ${error}`);
    });
    page.on("response", (response) => {
      const failure = { url: response.url(), status: response.status(), method: response.request().method() };
      if (failure.status >= 400 && !expected(failure)) problems.push(`${failure.method} ${failure.url} answered ${failure.status} on ${page.url()}`);
    });
  };
  context.pages().forEach(watch);
  context.on("page", watch);
  return {
    context,
    /** Problems seen so far (see above). */
    problems: () => [...problems],
    allowFailure(accept) {
      allowed.push(accept);
    },
    async newPage() {
      return context.newPage();
    },
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
      if (problems.length) throw new Error(`the pages had ${problems.length} problem(s):\n${problems.join("\n")}`);
    },
  };
}

/**
 * The runner and the browser, started at once: the runner's start is mostly training the bot's
 * model (about 1.7 s of one core in a dev build), Chromium's launch is other processes, so on
 * two cores the two overlap instead of adding up. If either fails, the other is stopped.
 */
export async function startBoth(options) {
  const [runner, browser] = await Promise.allSettled([startRunner(options), startBrowser()]);
  if (runner.status === "fulfilled" && browser.status === "fulfilled") {
    return { runner: runner.value, browser: browser.value };
  }
  if (runner.status === "fulfilled") await runner.value.stop();
  if (browser.status === "fulfilled") await browser.value.close().catch(() => {});
  throw runner.status === "rejected" ? runner.reason : browser.reason;
}

/** Calls the agent API as `key`. */
export async function api(runner, key, method, route, body) {
  const response = await fetch(`${runner.url}/api${route}`, {
    method,
    headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

/** Polls `probe` until it returns a truthy value. */
export async function eventually(probe, what, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

export async function ensureArtifactsDir() {
  await mkdir(artifactsDir, { recursive: true });
  return artifactsDir;
}
