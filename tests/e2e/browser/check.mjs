// The frame every GraphiQL browser check script shares: its base-URL and Chromium checks, the one
// JSON outcome line it ends with, the watchdog that bounds it, and the page's common problems.
// A script builds its `outcome`, then calls `checkedEndpoint` and `runCheck` with its own steps.
import { existsSync } from "node:fs";
import process from "node:process";

import { LOCAL_HOSTS, openOfflinePage } from "./offline.mjs";

// A `finish(code, error)` that prints `outcome` as one JSON line and exits with `code`
// (0 = ok, 1 = check failed, 2 = usage). `prepare(outcome)` runs just before the line is
// written, e.g. to mask a credential or shorten long texts.
export function finisher(script, outcome, prepare = () => {}) {
  const started = Date.now();
  return (code, error) => {
    outcome.ok = code === 0;
    outcome.error = error ?? null;
    outcome.elapsedMs = Date.now() - started;
    prepare(outcome);
    process.stdout.write(`${JSON.stringify(outcome)}\n`);
    if (error) {
      process.stderr.write(`${script}: FAILED: ${error}\n`);
    }
    process.exit(code);
  };
}

// The URL of the GraphQL endpoint below `baseArg`. Finishes with code 2 when `baseArg` is not a
// URL (`usage` is then part of the message), is not on a loopback host, or when there is no
// Chromium at `executablePath`.
export function checkedEndpoint(baseArg, executablePath, usage, finish) {
  let base;
  try {
    base = new URL(baseArg ?? "");
  } catch {
    finish(2, `usage: ${usage}; bad base URL ${JSON.stringify(baseArg)}`);
  }
  if (!LOCAL_HOSTS.has(base.hostname)) {
    finish(2, `base URL must be on 127.0.0.1 or localhost, got ${base.href}`);
  }
  if (!existsSync(executablePath)) {
    finish(2, `${executablePath} not found; install it with: apt-get update && apt-get install -y chromium`);
  }
  return new URL("graphql", base.href.endsWith("/") ? base.href : `${base.href}/`).href;
}

// What any check finds wrong with the page, whatever it ran.
function pageProblems(outcome) {
  const problems = [];
  if (outcome.blockedRequests.length > 0) {
    problems.push(`page tried to reach non-local hosts: ${outcome.blockedRequests.join(", ")}`);
  }
  if (outcome.failedResponses.length > 0) {
    problems.push(`failed responses: ${outcome.failedResponses.join(", ")}`);
  }
  if (outcome.pageErrors.length > 0) {
    problems.push(`uncaught page errors: ${outcome.pageErrors.join(" | ")}`);
  }
  return problems;
}

// Opens the offline page on `outcome.url` (which must answer 2xx) and runs `steps(page, response)`
// in it, then takes the screenshot `outcome.screenshot` names (also when a step failed). Finishes
// with 0, or 1 with the page's problems and those `problems()` lists, the first line of an error,
// or a timeout after `timeoutMs`. The browser is closed in every case.
export async function runCheck({ executablePath, outcome, timeoutMs, finish, steps, problems }) {
  let browser = null;
  const watchdog = setTimeout(() => {
    // Do not wait for a hung browser: report and leave (the child dies with us).
    browser?.close().catch(() => {});
    finish(1, `timed out after ${timeoutMs / 1000} s`);
  }, timeoutMs);
  try {
    let page;
    ({ browser, page } = await openOfflinePage(executablePath, outcome.url, outcome));
    try {
      // "load": every script and stylesheet has been fetched (or refused) by now.
      const response = await page.goto(outcome.url, { waitUntil: "load" });
      if (!response || !response.ok()) {
        throw new Error(`GET ${outcome.url} answered ${response ? response.status() : "nothing"}`);
      }
      await steps(page, response);
    } finally {
      if (outcome.screenshot) {
        await page.screenshot({ path: outcome.screenshot, fullPage: false }).catch((err) => {
          outcome.consoleErrors.push(`screenshot failed: ${err}`);
        });
      }
    }
    const found = [...pageProblems(outcome), ...problems()];
    await browser.close();
    clearTimeout(watchdog);
    finish(found.length === 0 ? 0 : 1, found.length === 0 ? null : found.join("; "));
  } catch (err) {
    await browser?.close().catch(() => {});
    clearTimeout(watchdog);
    finish(1, err?.message?.split("\n")[0] ?? String(err));
  }
}
