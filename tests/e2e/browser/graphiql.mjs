#!/usr/bin/env node
// Headless Chromium check of the self-hosted GraphiQL page, with no internet:
// every request to a host other than 127.0.0.1 / localhost is aborted and
// recorded, and any such attempt fails the check.
//
//   node graphiql.mjs <base-url> [query] [expected-text]
//   e.g. node graphiql.mjs http://127.0.0.1:8000 '{ __typename }' __typename
//   A query of "-" runs the operation of the tab the page opens with, unchanged.
//
// Env: SCREENSHOT=<path.png> saves a screenshot at the end (also on failure);
//      AUTHORIZATION=<value> (e.g. "Bearer abc") is typed into the Headers editor
//        as {"Authorization": value} and must arrive with the query request;
//      CHROMIUM=<path> overrides /usr/bin/chromium.
// Prints one JSON line with the outcome; exit 0 = ok, 1 = check failed, 2 = usage.
import { existsSync } from "node:fs";
import process from "node:process";

import {
  EDITOR,
  EXPLORER_BUTTON,
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

const OVERALL_TIMEOUT_MS = 60_000;
const KEEP_QUERY = "-";

const started = Date.now();
const [baseArg, queryArg, expectedArg] = process.argv.slice(2);
const query = queryArg || "{ __typename }";
const keepQuery = query === KEEP_QUERY;
const expected = expectedArg || "__typename";
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
const authorization = process.env.AUTHORIZATION || null;

const outcome = {
  ok: false,
  url: null,
  query,
  expected,
  result: null,
  graphqlRequests: [],
  blockedRequests: [],
  failedResponses: [],
  pageErrors: [],
  consoleErrors: [],
  explorerPlugin: false,
  headersEditor: false,
  // What the page opens with: tab titles, and the editors' text of the active tab.
  tabs: [],
  initialQuery: null,
  initialVariables: null,
  initialHeaders: null,
  screenshot: process.env.SCREENSHOT || null,
  elapsedMs: 0,
  error: null,
};

function finish(code, error) {
  outcome.ok = code === 0;
  outcome.error = error ?? null;
  outcome.elapsedMs = Date.now() - started;
  process.stdout.write(`${JSON.stringify(outcome)}\n`);
  if (error) {
    process.stderr.write(`graphiql.mjs: FAILED: ${error}\n`);
  }
  process.exit(code);
}

let base;
try {
  base = new URL(baseArg ?? "");
} catch {
  finish(2, `usage: node graphiql.mjs <base-url> [query] [expected]; bad base URL ${JSON.stringify(baseArg)}`);
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
  // Do not wait for a hung browser: report and leave (the child dies with us).
  browser?.close().catch(() => {});
  finish(1, `timed out after ${OVERALL_TIMEOUT_MS / 1000} s`);
}, OVERALL_TIMEOUT_MS);

async function run() {
  let page;
  ({ browser, page } = await openOfflinePage(executablePath, outcome.url, outcome));

  try {
    // "load": every script and stylesheet has been fetched (or refused) by now.
    const response = await page.goto(outcome.url, { waitUntil: "load" });
    if (!response || !response.ok()) {
      throw new Error(`GET ${outcome.url} answered ${response ? response.status() : "nothing"}`);
    }
    if (outcome.blockedRequests.length > 0) {
      throw new Error(`page tried to reach non-local hosts: ${outcome.blockedRequests.join(", ")}`);
    }

    await page.locator(EDITOR).first().waitFor({ state: "visible" });
    outcome.tabs = await page.locator(TAB_TITLES).allInnerTexts();
    outcome.initialQuery = await editorText(page, EDITOR);
    outcome.initialVariables = await editorText(page, VARIABLES_EDITOR);

    // Set editors through CodeMirror's API (typing would fight bracket auto-closing).
    const viaApi = keepQuery || await setEditorText(page, EDITOR, query);
    if (!keepQuery) {
      // A query of our own goes without the example's variables (unused ones are refused).
      await setEditorText(page, VARIABLES_EDITOR, "");
    }
    if (!viaApi) {
      await page.locator(EDITOR).first().click();
      await page.keyboard.press("ControlOrMeta+A");
      await page.keyboard.press("Delete");
      await page.keyboard.insertText(query);
    }

    outcome.explorerPlugin = (await page.locator(EXPLORER_BUTTON).count()) > 0;
    // Each editor mounts its CodeMirror on its own, so wait for this one too.
    outcome.headersEditor = await page
      .locator(HEADERS_EDITOR)
      .first()
      .waitFor({ state: "visible", timeout: 10_000 })
      .then(() => true)
      .catch(() => false);
    if (outcome.headersEditor) {
      outcome.initialHeaders = await editorText(page, HEADERS_EDITOR);
    }
    if (authorization && outcome.headersEditor) {
      await setEditorText(page, HEADERS_EDITOR, JSON.stringify({ Authorization: authorization }, null, 2));
    }

    if (!keepQuery) {
      // GraphiQL re-reads the operation name from an edited document after a debounce; a click
      // before that would send the example's operation name with our query, as no person can.
      await page.waitForTimeout(1000);
    }
    await page.locator(RUN_BUTTON).first().click();

    // Wait for a whole JSON response (any), so a wrong answer fails at once with its text.
    await page.waitForFunction(
      (selector) => {
        const el = document.querySelector(selector);
        const value = el?.CodeMirror ? el.CodeMirror.getValue() : (el?.innerText ?? "");
        try {
          return typeof JSON.parse(value) === "object";
        } catch {
          return false;
        }
      },
      RESPONSE,
    );
    outcome.result = await page.evaluate((selector) => {
      const el = document.querySelector(selector);
      return el?.CodeMirror ? el.CodeMirror.getValue() : (el?.innerText ?? null);
    }, RESPONSE);
    if (!outcome.result.includes(expected)) {
      throw new Error(`the response lacks ${JSON.stringify(expected)}: ${outcome.result.slice(0, 300)}`);
    }
  } finally {
    if (outcome.screenshot) {
      await page.screenshot({ path: outcome.screenshot, fullPage: false }).catch((err) => {
        outcome.consoleErrors.push(`screenshot failed: ${err}`);
      });
    }
    // Result text can be large; keep the JSON line short.
    if (outcome.result && outcome.result.length > 2000) {
      outcome.result = `${outcome.result.slice(0, 2000)}...`;
    }
  }

  const problems = [];
  if (outcome.blockedRequests.length > 0) {
    problems.push(`page tried to reach non-local hosts: ${outcome.blockedRequests.join(", ")}`);
  }
  if (outcome.graphqlRequests.length === 0) {
    problems.push("no POST to the GraphQL endpoint was seen");
  } else if (!outcome.graphqlRequests.some((r) => (r.contentType ?? "").includes("application/json"))) {
    problems.push("GraphQL request was not sent as JSON");
  }
  if (outcome.failedResponses.length > 0) {
    problems.push(`failed responses: ${outcome.failedResponses.join(", ")}`);
  }
  if (outcome.pageErrors.length > 0) {
    problems.push(`uncaught page errors: ${outcome.pageErrors.join(" | ")}`);
  }
  if (!outcome.explorerPlugin) {
    problems.push("explorer plugin button not found");
  }
  if (!outcome.headersEditor) {
    problems.push("headers editor not visible");
  } else if (authorization && !outcome.graphqlRequests.some((r) => r.authorization === authorization)) {
    problems.push("Authorization from the headers editor did not reach the endpoint");
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
