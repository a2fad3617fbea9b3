// Shared by apollo.mjs and urql.mjs: the input, the operation corpus, a fetch that records
// what goes over the wire, and the one JSON line each runner prints.
//
// Input (JSON on stdin): {"url": "http://127.0.0.1:PORT/graphql", "token": "...",
//   "ids": {"policy": "<global id>", ...}}
// Output (one JSON line on stdout): {"client": "...", "cases": {"<case>": outcome}}, where an
// outcome is {data, errors, thrown, requests} and a case names its operation
// ("ComponentsPage.paginate", ...), so a failing assertion says which operation broke.
import { readFileSync } from "node:fs";
import process from "node:process";

const OPERATIONS_DIR = new URL("./operations/", import.meta.url);
const OVERALL_TIMEOUT_MS = 60_000;

/** The text of operations/<name>.graphql. */
export function operation(name) {
  return readFileSync(new URL(`${name}.graphql`, OPERATIONS_DIR), "utf8");
}

export function readInput() {
  const input = JSON.parse(readFileSync(0, "utf8"));
  const url = new URL(input.url);
  // The clients talk to the service under test only.
  if (!["127.0.0.1", "localhost", "[::1]"].includes(url.hostname)) {
    throw new Error(`refusing a non-loopback URL: ${input.url}`);
  }
  return input;
}

// The requests of the case that runs now (runCases sets it).
let currentLog = [];

/** A fetch that records each exchange of the current case (method, parameters, status, types). */
export function recordingFetch() {
  return async (resource, init = {}) => {
    const request = new Request(resource, init);
    const url = new URL(request.url);
    const response = await fetch(request);
    const text = await response.clone().text();
    let codes = [];
    try {
      codes = (JSON.parse(text).errors ?? []).map((e) => e?.extensions?.code ?? null);
    } catch {
      codes = null; // not JSON (an HTML page, for instance)
    }
    currentLog.push({
      method: request.method,
      params: [...url.searchParams.keys()],
      hasQueryText: url.searchParams.has("query") || (init.body ?? "").includes('"query"'),
      accept: request.headers.get("accept"),
      status: response.status,
      contentType: response.headers.get("content-type"),
      codes,
    });
    return response;
  };
}

/** GraphQL errors as plain data: message, code and path. */
export function plainErrors(errors) {
  if (!errors || errors.length === 0) {
    return null;
  }
  return errors.map((e) => ({
    message: e.message,
    code: e.extensions?.code ?? null,
    path: e.path ?? null,
  }));
}

/** Runs each case in order; one failing case is recorded, the others still run. */
export async function runCases(client, cases) {
  const watchdog = setTimeout(() => {
    process.stderr.write(`timed out after ${OVERALL_TIMEOUT_MS / 1000} s\n`);
    process.exit(3);
  }, OVERALL_TIMEOUT_MS);
  const outcomes = {};
  for (const [name, run] of Object.entries(cases)) {
    const requests = [];
    currentLog = requests;
    try {
      outcomes[name] = { data: null, errors: null, thrown: null, ...(await run()) };
    } catch (err) {
      outcomes[name] = { data: null, errors: null, thrown: describe(err) };
    }
    outcomes[name].requests = requests;
  }
  clearTimeout(watchdog);
  process.stdout.write(`${JSON.stringify({ client, cases: outcomes })}\n`);
}

/** A rejected promise as data: the error class, its message and any GraphQL error codes. */
export function describe(err) {
  const graphQLErrors = err?.errors ?? err?.graphQLErrors ?? null;
  return {
    name: err?.name ?? typeof err,
    message: String(err?.message ?? err),
    errors: plainErrors(graphQLErrors),
    statusCode: err?.statusCode ?? err?.response?.status ?? null,
  };
}
