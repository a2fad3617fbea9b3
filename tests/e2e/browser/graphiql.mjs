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
import process from "node:process";

import { checkedEndpoint, finisher, runCheck } from "./check.mjs";
import {
  EDITOR,
  EXPLORER_BUTTON,
  HEADERS_EDITOR,
  RESPONSE,
  RUN_BUTTON,
  TAB_TITLES,
  VARIABLES_EDITOR,
  editorText,
  setEditorText,
} from "./offline.mjs";

const OVERALL_TIMEOUT_MS = 60_000;
const KEEP_QUERY = "-";

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

const finish = finisher("graphiql.mjs", outcome, () => {
  // Result text can be large; keep the JSON line short.
  if (outcome.result && outcome.result.length > 2000) {
    outcome.result = `${outcome.result.slice(0, 2000)}...`;
  }
});
outcome.url = checkedEndpoint(baseArg, executablePath, "node graphiql.mjs <base-url> [query] [expected]", finish);

async function steps(page) {
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
}

// What this check finds wrong besides the page's common problems (check.mjs).
function problems() {
  const found = [];
  if (outcome.graphqlRequests.length === 0) {
    found.push("no POST to the GraphQL endpoint was seen");
  } else if (!outcome.graphqlRequests.some((r) => (r.contentType ?? "").includes("application/json"))) {
    found.push("GraphQL request was not sent as JSON");
  }
  if (!outcome.explorerPlugin) {
    found.push("explorer plugin button not found");
  }
  if (!outcome.headersEditor) {
    found.push("headers editor not visible");
  } else if (authorization && !outcome.graphqlRequests.some((r) => r.authorization === authorization)) {
    found.push("Authorization from the headers editor did not reach the endpoint");
  }
  return found;
}

await runCheck({ executablePath, outcome, timeoutMs: OVERALL_TIMEOUT_MS, finish, steps, problems });
