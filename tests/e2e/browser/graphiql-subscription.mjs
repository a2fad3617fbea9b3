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
import process from "node:process";

import { checkedEndpoint, finisher, runCheck } from "./check.mjs";
import {
  EDITOR,
  HEADERS_EDITOR,
  RESPONSE,
  RUN_BUTTON,
  TAB_TITLES,
  VARIABLES_EDITOR,
  editorText,
  setEditorText,
} from "./offline.mjs";

const OVERALL_TIMEOUT_MS = 100_000;
const UPDATES_TIMEOUT_MS = 80_000;
const TAB = "AnalysisProgress";
const MASK = "<AUTHORIZATION>";

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

const USAGE = "node graphiql-subscription.mjs <base-url> <job-id> <expected>";
const finish = finisher("graphiql-subscription.mjs", outcome, () => {
  for (const ws of outcome.websockets) {
    ws.sent = ws.sent.map(masked);
  }
  outcome.graphqlRequests = outcome.graphqlRequests.map((r) => ({
    ...r,
    authorization: r.authorization === null ? null : masked(r.authorization),
  }));
  outcome.headers = outcome.headers === null ? null : masked(outcome.headers);
  outcome.panes = outcome.panes.map((text) => (text.length > 2000 ? `${text.slice(0, 2000)}...` : text));
});
outcome.url = checkedEndpoint(baseArg, executablePath, USAGE, finish);
if (!jobId || !expected) {
  finish(2, `usage: ${USAGE}`);
}

async function steps(page, response) {
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
}

// What this check finds wrong besides the page's common problems (check.mjs).
function problems() {
  const found = [];
  if (outcome.websockets.length === 0) {
    found.push("the page opened no WebSocket");
  }
  if (outcome.websockets.some((ws) => !ws.closed)) {
    found.push("a WebSocket stayed open after the subscription ended");
  }
  if (outcome.graphqlRequests.some((r) => r.body.includes(`subscription ${TAB}`))) {
    found.push("the subscription was POSTed instead of sent over the WebSocket");
  }
  const csp = outcome.consoleErrors.filter((text) => text.includes("Content Security Policy"));
  if (csp.length > 0) {
    found.push(`CSP violations: ${csp.join(" | ")}`);
  }
  return found;
}

await runCheck({ executablePath, outcome, timeoutMs: OVERALL_TIMEOUT_MS, finish, steps, problems });
