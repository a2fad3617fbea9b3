// What the GraphiQL browser checks share: a headless Chromium in which every request to a host
// other than 127.0.0.1 / localhost is aborted and recorded, the recorders of the page's
// requests, responses, WebSockets and errors, and the selectors of GraphiQL 3's editors.
import { chromium } from "playwright-core";

export const STEP_TIMEOUT_MS = 30_000;
export const LOCAL_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);

export const EDITOR = ".graphiql-query-editor .CodeMirror";
export const RUN_BUTTON = "button.graphiql-execute-button";
export const RESPONSE = ".graphiql-response .CodeMirror";
export const EXPLORER_BUTTON = 'button[aria-label="Show GraphiQL Explorer"]';
// The tools section holds both the variables and the headers editor; the one
// not shown carries the class "hidden".
export const HEADERS_EDITOR =
  'section.graphiql-editor-tool[aria-label="Headers"] .graphiql-editor:not(.hidden) .CodeMirror';
// The page opens on the Headers tab, so the variables editor is the hidden one.
export const VARIABLES_EDITOR =
  'section.graphiql-editor-tool[aria-label="Headers"] .graphiql-editor.hidden .CodeMirror';
export const TAB_TITLES = ".graphiql-tabs .graphiql-tab .graphiql-tab-button";

export function isLocal(rawUrl) {
  let url;
  try {
    url = new URL(rawUrl);
  } catch {
    return false;
  }
  if (url.protocol === "data:" || url.protocol === "blob:" || url.protocol === "about:") {
    return true;
  }
  return LOCAL_HOSTS.has(url.hostname);
}

// The text of the first CodeMirror editor matching `selector` (null when there is none).
export function editorText(page, selector) {
  return page.evaluate((sel) => {
    const cm = document.querySelector(sel)?.CodeMirror;
    return cm ? cm.getValue() : null;
  }, selector);
}

// Sets an editor through CodeMirror's API (typing would fight bracket auto-closing);
// false when there is no such editor.
export function setEditorText(page, selector, text) {
  return page.evaluate(
    ([sel, value]) => {
      const cm = document.querySelector(sel)?.CodeMirror;
      if (!cm) {
        return false;
      }
      cm.setValue(value);
      return true;
    },
    [selector, text],
  );
}

// Launches Chromium and opens a page that reaches loopback hosts only. `outcome` gains what the
// page did: blockedRequests, graphqlRequests (POSTs to `graphqlUrl`), failedResponses,
// pageErrors, consoleErrors and, per WebSocket, its url, the frames sent and received and
// whether it closed.
export async function openOfflinePage(executablePath, graphqlUrl, outcome) {
  const browser = await chromium.launch({
    executablePath,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    timeout: STEP_TIMEOUT_MS,
  });
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  context.setDefaultTimeout(STEP_TIMEOUT_MS);

  const blocked = (url) => {
    if (!outcome.blockedRequests.includes(url)) {
      outcome.blockedRequests.push(url);
    }
  };
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (isLocal(url)) {
      return route.continue();
    }
    blocked(url);
    return route.abort("blockedbyclient");
  });

  const page = await context.newPage();
  const graphqlPath = new URL(graphqlUrl).pathname;
  // Belt and braces: anything that bypasses routing (e.g. WebSockets) is seen here.
  page.on("request", (request) => {
    const url = request.url();
    if (!isLocal(url)) {
      blocked(url);
    }
    if (request.method() === "POST" && new URL(url).pathname === graphqlPath) {
      const body = request.postData() ?? "";
      outcome.graphqlRequests.push({
        contentType: request.headers()["content-type"] ?? null,
        authorization: request.headers().authorization ?? null,
        body: body.length > 200 ? `${body.slice(0, 200)}...` : body,
      });
    }
  });
  page.on("websocket", (ws) => {
    if (!isLocal(ws.url())) {
      blocked(ws.url());
    }
    const seen = { url: ws.url(), sent: [], received: [], closed: false };
    outcome.websockets?.push(seen);
    ws.on("framesent", (frame) => seen.sent.push(String(frame.payload)));
    ws.on("framereceived", (frame) => seen.received.push(String(frame.payload)));
    ws.on("close", () => {
      seen.closed = true;
    });
  });
  page.on("response", (response) => {
    if (response.status() >= 400) {
      outcome.failedResponses.push(`${response.status()} ${response.request().method()} ${response.url()}`);
    }
  });
  page.on("pageerror", (err) => outcome.pageErrors.push(String(err?.message ?? err)));
  page.on("console", (msg) => {
    if (msg.type() === "error") {
      outcome.consoleErrors.push(msg.text());
    }
  });
  return { browser, page };
}
