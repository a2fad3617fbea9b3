#!/usr/bin/env node
// urql (@urql/core) runs part of the operation corpus with its defaults: the document cache
// (which adds __typename to every selection), queries sent by GET while the URL is short
// enough, mutations by POST, and its own long Accept header.
//
//   node urql.mjs < input.json      (input and output: see lib.mjs)
import { Client, cacheExchange, fetchExchange, gql } from "@urql/core";

import { describe, operation, plainErrors, readInput, recordingFetch, runCases } from "./lib.mjs";

const input = readInput();
const client = new Client({
  url: input.url,
  exchanges: [cacheExchange, fetchExchange],
  fetch: recordingFetch(),
  fetchOptions: { headers: { authorization: `Bearer ${input.token}` } },
  requestPolicy: "network-only",
});
const ids = input.ids;
const doc = (name) => gql(operation(name));

/** A result as data; a network error (no GraphQL errors) becomes the one error listed. */
function outcome(result) {
  const error = result.error;
  let errors = null;
  if (error) {
    errors = plainErrors(error.graphQLErrors) ?? [describe(error.networkError ?? error)];
  }
  return { data: result.data ?? null, errors };
}

const query = async (name, variables) => outcome(await client.query(doc(name), variables));
const mutate = async (name, variables) => outcome(await client.mutation(doc(name), variables));

let created = null;

const cases = {
  // Two pages by hand: the second query sends the first page's end cursor as `after`.
  "ComponentsPage.paginate": async () => {
    const variables = { first: 3, order: { field: "LABEL", direction: "DESC" }, n: 1 };
    const first = await query("ComponentsPage", variables);
    const after = first.data?.components?.pageInfo?.endCursor ?? null;
    const second = await query("ComponentsPage", { ...variables, after });
    return { ...second, pages: [first, second] };
  },
  "ComponentDirectives.included": () =>
    query("ComponentDirectives", {
      filter: { types: ["ACTOR"] },
      withIncoming: true,
      skipDetails: false,
      n: 1,
    }),
  "ComponentDirectives.skipped": () =>
    query("ComponentDirectives", {
      filter: { types: ["ACTOR"] },
      withIncoming: false,
      skipDetails: true,
    }),
  "NodeById.pages": () => query("NodeById", { id: ids.policy, n: 5, kinds: ["INFORMS"] }),
  "DeliveriesByKind.literals": () =>
    query("DeliveriesByKind", { kind: "INFORMS", minWeight: 0.25, first: 10 }),
  "CreateComponent.actor": async () => {
    const result = await mutate("CreateComponent", {
      input: { type: "ACTOR", label: "Colorado", sector: "state government" },
    });
    created = result.data?.createComponent?.component ?? null;
    return result;
  },
  "UpdateComponent.current": () =>
    mutate("UpdateComponent", {
      input: { id: created.id, version: created.version, label: "Colorado (CO)" },
    }),
  "UpdateComponent.stale": () =>
    mutate("UpdateComponent", {
      input: { id: created.id, version: created.version, label: "Stale" },
    }),
  "PageSize.bad_nested_value": () => query("PageSize", { first: 1, n: "many" }),
};

await runCases("urql", cases);
