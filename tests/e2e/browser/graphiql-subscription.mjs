#!/usr/bin/env node
// Headless Chromium check of a subscription in the self-hosted GraphiQL page, offline (every
// request to a host other than 127.0.0.1 / localhost is aborted and fails the check).
//
//   node graphiql-subscription.mjs <base-url> <job-id> <expected-text>
//
// Opens the AnalysisProgress example tab, puts {"id": <job-id>} in its Variables editor, runs
// it and records every text the result pane shows until one holds <expected-text> (e.g.
// '"SUCCEEDED"', or a refusal's code), and the page's WebSockets with their frames.
// When the pane first shows an update it prints {"event": "first-update"} on a line of its
// own, so the caller can start the worker then and see the job move.
//
// Env: AUTHORIZATION=<value> (e.g. "Bearer abc") is typed into the Headers editor as
//        {"Authorization": value}; without it the tab's template (the <token> placeholder) stays;
//      SCREENSHOT=<path.png> saves a screenshot at the end (also on failure);
//      CHROMIUM=<path> overrides /usr/bin/chromium.
// Prints one JSON line with the outcome last; exit 0 = ok, 1 = check failed, 2 = usage.
import { existsSync } from "node:fs";
import process from "node:process";

import {
  EDITOR,
  HEADERS_EDITOR,
  LOCAL_HOSTS,
  RESPONSE,
  RUN_BUTTON,
  TAB_TITLES,
  VARIABLES_EDITOR,
  editorText,
  openOfflinePage,
  setEditorText,
} from "./offline.mjs";

const OVERALL_TIMEOUT_MS = 100_000;
const UPDATES_TIMEOUT_MS = 80_000;
const TAB = "AnalysisProgress";
const MASK = "<AUTHORIZATION>";

const started = Date.now();
const [baseArg, jobId, expected] = process.argv.slice(2);
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
const authorization = process.env.AUTHORIZATION || null;

const outcome = {
  ok: false,
  url: null,
  jobId: jobId ?? null,
  expected: expected ?? null,
  contentSecurityPolicy: null,
  query: null,
  // The tab's Variables and Headers editors as the page opened them.
  initialVariables: null,
  initialHeaders: null,
  headers: null,
  // Every distinct text of the result pane, in order (the last one is `result`).
  panes: [],
  result: null,
  websockets: [],
  graphqlRequests: [],
  blockedRequests: [],
  failedResponses: [],
  pageErrors: [],
  consoleErrors: [],
  screenshot: process.env.SCREENSHOT || null,
  elapsedMs: 0,
  error: null,
};

function masked(text) {
  return authorization ? String(text).split(authorization).join(MASK) : String(text);
}

function finish(code, error) {
  outcome.ok = code === 0;
  outcome.error = error ?? null;
  outcome.elapsedMs = Date.now() - started;
  for (const ws of outcome.websockets) {
    ws.sent = ws.sent.map(masked);
  }
  outcome.graphqlRequests = outcome.graphqlRequests.map((r) => ({
    ...r,
    authorization: r.authorization === null ? null : masked(r.authorization),
  }));
  outcome.headers = outcome.headers === null ? null : masked(outcome.headers);
  process.stdout.write(`${JSON.stringify(outcome)}\n`);
  if (error) {
    process.stderr.write(`graphiql-subscription.mjs: FAILED: ${error}\n`);
  }
  process.exit(code);
}

let base;
try {
  base = new URL(baseArg ?? "");
} catch {
  finish(2, `usage: node graphiql-subscription.mjs <base-url> <job-id> <expected>; bad base URL ${JSON.stringify(baseArg)}`);
}
if (!jobId || !expected) {
  finish(2, "usage: node graphiql-subscription.mjs <base-url> <job-id> <expected>");
}
if (!LOCAL_HOSTS.has(base.hostname)) {
  finish(2, `base URL must be on 127.0.0.1 or localhost, got ${base.href}`);
}
if (!existsSync(executablePath)) {
  finish(2, `${executablePath} not found; install it with: apt-get update && apt-get install -y chromium`);
}
outcome.url = new URL("graphql", base.href.endsWith("/") ? base.href : `${base.href}/`).href;

let browser = null;
const watchdog = setTimeout(() => {
  browser?.close().catch(() => {});
  finish(1, `timed out after ${OVERALL_TIMEOUT_MS / 1000} s`);
}, OVERALL_TIMEOUT_MS);

async function run() {
  let page;
  ({ browser, page } = await openOfflinePage(executablePath, outcome.url, outcome));
  try {
    const response = await page.goto(outcome.url, { waitUntil: "load" });
    if (!response || !response.ok()) {
      throw new Error(`GET ${outcome.url} answered ${response ? response.status() : "nothing"}`);
    }
    outcome.contentSecurityPolicy = response.headers()["content-security-policy"] ?? null;
    await page.locator(EDITOR).first().waitFor({ state: "visible" });

    // The example tab, as a person opens it.
    await page.locator(TAB_TITLES, { hasText: TAB }).first().click();
    await page.waitForFunction(
      ([selector, name]) => document.querySelector(selector)?.CodeMirror?.getValue().includes(`subscription ${name}`),
      [EDITOR, TAB],
    );
    outcome.query = await editorText(page, EDITOR);
    await page.locator(HEADERS_EDITOR).first().waitFor({ state: "visible" });
    outcome.initialVariables = await editorText(page, VARIABLES_EDITOR);
    outcome.initialHeaders = await editorText(page, HEADERS_EDITOR);
    if (!(await setEditorText(page, VARIABLES_EDITOR, JSON.stringify({ id: jobId }, null, 2)))) {
      throw new Error("variables editor not found");
    }
    if (authorization) {
      await setEditorText(page, HEADERS_EDITOR, JSON.stringify({ Authorization: authorization }, null, 2));
    }
    outcome.headers = await editorText(page, HEADERS_EDITOR);

    // Record every text the result pane takes, in the page, as it changes.
    await page.evaluate((selector) => {
      const cm = document.querySelector(selector)?.CodeMirror;
      window.__panes = [];
      cm?.on("change", () => {
        const text = cm.getValue();
        if (text && window.__panes[window.__panes.length - 1] !== text) {
          window.__panes.push(text);
        }
      });
    }, RESPONSE);
    // GraphiQL takes the editors' text after a short debounce; a click before it could run
    // the tab's previous state, as no person can.
    await page.waitForTimeout(1000);
    await page.locator(RUN_BUTTON).first().click();

    const deadline = Date.now() + UPDATES_TIMEOUT_MS;
    let announced = false;
    for (;;) {
      const panes = await page.evaluate(() => window.__panes.slice());
      if (panes.length > 0 && !announced) {
        announced = true;
        process.stdout.write(`${JSON.stringify({ event: "first-update" })}\n`);
      }
      outcome.panes = panes;
      if (panes.some((text) => text.includes(expected))) {
        break;
      }
      if (Date.now() > deadline) {
        throw new Error(`the result pane never showed ${JSON.stringify(expected)}; last: ${(panes.at(-1) ?? "").slice(0, 300)}`);
      }
      await page.waitForTimeout(100);
    }
    outcome.result = outcome.panes.at(-1) ?? null;
    // The subscription has ended: the page closes its WebSocket.
    await page.waitForFunction(
      (selector) => !document.querySelector(selector)?.classList.contains("graphiql-execute-button-stop"),
      RUN_BUTTON,
      { timeout: 10_000 },
    ).catch(() => {});
    const closeBy = Date.now() + 10_000;
    while (outcome.websockets.some((ws) => !ws.closed) && Date.now() < closeBy) {
      await page.waitForTimeout(100);
    }
  } finally {
    if (outcome.screenshot) {
      await page.screenshot({ path: outcome.screenshot, fullPage: false }).catch((err) => {
        outcome.consoleErrors.push(`screenshot failed: ${err}`);
      });
    }
    outcome.panes = outcome.panes.map((text) => (text.length > 2000 ? `${text.slice(0, 2000)}...` : text));
  }

  const problems = [];
  if (outcome.blockedRequests.length > 0) {
    problems.push(`page tried to reach non-local hosts: ${outcome.blockedRequests.join(", ")}`);
  }
  if (outcome.websockets.length === 0) {
    problems.push("the page opened no WebSocket");
  }
  if (outcome.websockets.some((ws) => !ws.closed)) {
    problems.push("a WebSocket stayed open after the subscription ended");
  }
  if (outcome.graphqlRequests.some((r) => r.body.includes(`subscription ${TAB}`))) {
    problems.push("the subscription was POSTed instead of sent over the WebSocket");
  }
  if (outcome.failedResponses.length > 0) {
    problems.push(`failed responses: ${outcome.failedResponses.join(", ")}`);
  }
  if (outcome.pageErrors.length > 0) {
    problems.push(`uncaught page errors: ${outcome.pageErrors.join(" | ")}`);
  }
  const csp = outcome.consoleErrors.filter((text) => text.includes("Content Security Policy"));
  if (csp.length > 0) {
    problems.push(`CSP violations: ${csp.join(" | ")}`);
  }
  return problems;
}

try {
  const problems = await run();
  await browser?.close();
  clearTimeout(watchdog);
  finish(problems.length === 0 ? 0 : 1, problems.length === 0 ? null : problems.join("; "));
} catch (err) {
  await browser?.close().catch(() => {});
  clearTimeout(watchdog);
  finish(1, err?.message?.split("\n")[0] ?? String(err));
}
