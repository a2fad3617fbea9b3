#!/usr/bin/env node
// Apollo Client (with its InMemoryCache, which adds __typename to every selection) runs the
// operation corpus against the service, configured as a frontend would configure it:
// possibleTypes from introspection, relay-style pagination for `components`, a Bearer token,
// and, on a second client, automatic persisted queries sent by GET.
//
//   node apollo.mjs < input.json      (input and output: see lib.mjs)
import { createHash } from "node:crypto";

import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { PersistedQueryLink } from "@apollo/client/link/persisted-queries";
import { relayStylePagination } from "@apollo/client/utilities";

import { describe, operation, plainErrors, readInput, recordingFetch, runCases } from "./lib.mjs";

const input = readInput();
const headers = { authorization: `Bearer ${input.token}` };
const fetch = recordingFetch();

// What a build step (graphql-codegen's fragment matcher) would write: which concrete types
// implement each interface, so fragments on `Component` match in the cache.
async function possibleTypes() {
  const response = await globalThis.fetch(input.url, {
    method: "POST",
    headers: { ...headers, "content-type": "application/json" },
    body: JSON.stringify({
      query: "{ __schema { types { kind name possibleTypes { name } } } }",
    }),
  });
  const body = await response.json();
  const result = {};
  for (const type of body.data.__schema.types) {
    if (type.possibleTypes) {
      result[type.name] = type.possibleTypes.map((t) => t.name);
    }
  }
  return result;
}

function newCache(types) {
  return new InMemoryCache({
    possibleTypes: types,
    typePolicies: {
      Query: { fields: { components: relayStylePagination(["filter", "orderBy"]) } },
    },
  });
}

function newClient(types, { persisted = false, accept = null } = {}) {
  const http = new HttpLink({
    uri: input.url,
    headers: accept ? { ...headers, accept } : headers,
    fetch,
  });
  const link = persisted
    ? ApolloLink.from([
        new PersistedQueryLink({
          sha256: (text) => createHash("sha256").update(text).digest("hex"),
          useGETForHashedQueries: true,
        }),
        http,
      ])
    : http;
  return new ApolloClient({ link, cache: newCache(types) });
}

const doc = (name) => gql(operation(name));

/** A query or mutation result as data; `error` holds the GraphQL errors Apollo reported. */
function outcome(result) {
  return {
    data: result.data ?? null,
    errors: plainErrors(result.error?.errors) ?? (result.error ? [describe(result.error)] : null),
  };
}

// Subscribes to a watched query and resolves with its first settled result.
function settled(observable) {
  return new Promise((resolve, reject) => {
    const subscription = observable.subscribe({
      next: (result) => {
        if (!result.loading) {
          resolve({ result, subscription });
        }
      },
      error: reject,
    });
  });
}

const types = await possibleTypes();
const client = newClient(types);
const ids = input.ids;
let created = null;

const cases = {
  // Page through every component, two at a time, with fetchMore and a variable `after`: the
  // cache merges the pages into one list.
  "ComponentsPage.paginate": async () => {
    const variables = {
      first: 2,
      order: { field: "LABEL", direction: "ASC" },
      n: 2,
      deliveryFilter: { minWeight: 0.0 },
    };
    const observable = client.watchQuery({ query: doc("ComponentsPage"), variables });
    const { result, subscription } = await settled(observable);
    const pages = [outcome(result)];
    try {
      let pageInfo = result.data?.components?.pageInfo;
      while (pageInfo?.hasNextPage && pages.length < 10) {
        const more = await observable.fetchMore({ variables: { after: pageInfo.endCursor } });
        pages.push(outcome(more));
        pageInfo = more.data?.components?.pageInfo;
      }
      // What the cache holds for the first page's variables: every page, merged.
      const merged = client.readQuery({ query: doc("ComponentsPage"), variables });
      return { data: merged ?? null, errors: null, pages };
    } finally {
      subscription.unsubscribe();
    }
  },
  "ComponentDirectives.included": async () =>
    outcome(
      await client.query({
        query: doc("ComponentDirectives"),
        variables: { filter: { types: ["ACTOR"] }, withIncoming: true, skipDetails: false },
        errorPolicy: "all",
      }),
    ),
  "ComponentDirectives.skipped": async () =>
    outcome(
      await client.query({
        query: doc("ComponentDirectives"),
        variables: { filter: { types: ["ACTOR"] }, withIncoming: false, skipDetails: true },
        errorPolicy: "all",
      }),
    ),
  // The policy's deliveries one at a time: the second query sends the first one's cursor.
  "NodeById.pages": async () => {
    const variables = { id: ids.policy, n: 1, kinds: ["MANDATES", "INFORMS"] };
    const first = await client.query({ query: doc("NodeById"), variables, errorPolicy: "all" });
    const after = first.data?.node?.outgoing?.pageInfo?.endCursor ?? null;
    const second = await client.query({
      query: doc("NodeById"),
      variables: { ...variables, after },
      fetchPolicy: "network-only",
      errorPolicy: "all",
    });
    return { ...outcome(second), pages: [outcome(first), outcome(second)] };
  },
  "DeliveriesByKind.literals": async () =>
    outcome(
      await client.query({
        query: doc("DeliveriesByKind"),
        variables: { kind: "MANDATES", minWeight: 0.5, first: 10 },
        errorPolicy: "all",
      }),
    ),
  "SearchComponents.actors": async () =>
    outcome(
      await client.query({
        query: doc("SearchComponents"),
        variables: { text: "Nebraska", types: ["ACTOR"], first: 5 },
        errorPolicy: "all",
      }),
    ),
  "Neighbourhood.outgoing": async () =>
    outcome(
      await client.query({
        query: doc("Neighbourhood"),
        variables: { id: ids.policy, depth: 1, direction: "OUTGOING", kinds: ["MANDATES"] },
        errorPolicy: "all",
      }),
    ),
  "CreateComponent.actor": async () => {
    const result = await client.mutate({
      mutation: doc("CreateComponent"),
      variables: { input: { type: "ACTOR", label: "Kansas", sector: "state government" } },
    });
    created = result.data?.createComponent?.component ?? null;
    return outcome(result);
  },
  "UpdateComponent.current": async () =>
    outcome(
      await client.mutate({
        mutation: doc("UpdateComponent"),
        variables: { input: { id: created.id, version: created.version, label: "Kansas (KS)" } },
      }),
    ),
  // The same version again is now stale: CONFLICT, seen as data with errorPolicy "all" ...
  "UpdateComponent.stale_all": async () =>
    outcome(
      await client.mutate({
        mutation: doc("UpdateComponent"),
        variables: { input: { id: created.id, version: created.version, label: "Stale" } },
        errorPolicy: "all",
      }),
    ),
  // ... and as a rejected promise with errorPolicy "none" (the default).
  "UpdateComponent.stale_none": async () =>
    outcome(
      await client.mutate({
        mutation: doc("UpdateComponent"),
        variables: { input: { id: created.id, version: created.version, label: "Stale" } },
        errorPolicy: "none",
      }),
    ),
  "PageSize.nested_variable": async () =>
    outcome(
      await client.query({
        query: doc("PageSize"),
        variables: { first: 2, n: 1 },
        errorPolicy: "all",
      }),
    ),
  "PageSize.bad_root_value": async () =>
    outcome(
      await client.query({
        query: doc("PageSize"),
        variables: { first: "many", n: 1 },
        fetchPolicy: "network-only",
        errorPolicy: "all",
      }),
    ),
  "PageSize.bad_nested_value": async () =>
    outcome(
      await client.query({
        query: doc("PageSize"),
        variables: { first: 1, n: "many" },
        fetchPolicy: "network-only",
        errorPolicy: "all",
      }),
    ),
  // A fresh client sends the hash alone by GET, learns PERSISTED_QUERY_NOT_FOUND and sends the
  // text by POST once; another fresh client then gets the answer from the hash-only GET.
  "PersistedComponentCount.register": async () =>
    outcome(
      await newClient(types, { persisted: true }).query({
        query: doc("PersistedComponentCount"),
        variables: { filter: { types: ["ACTOR"] } },
      }),
    ),
  "PersistedComponentCount.hash_only": async () =>
    outcome(
      await newClient(types, { persisted: true }).query({
        query: doc("PersistedComponentCount"),
        variables: { filter: { types: ["ACTOR"] } },
      }),
    ),
  // Apollo Client 3 and curl send `Accept: */*`; the hash-only GET must still get JSON.
  "PersistedComponentCount.hash_only_accept_any": async () =>
    outcome(
      await newClient(types, { persisted: true, accept: "*/*" }).query({
        query: doc("PersistedComponentCount"),
        variables: { filter: { types: ["ACTOR"] } },
      }),
    ),
  ...Object.fromEntries(
    ["all", "none", "ignore"].map((policy) => [
      `ErrorPolicies.${policy}`,
      async () =>
        outcome(
          await client.query({
            query: doc("ErrorPolicies"),
            variables: { id: ids.policy, badId: "not-a-global-id" },
            errorPolicy: policy,
            fetchPolicy: "network-only",
          }),
        ),
    ]),
  ),
};

await runCases("apollo", cases);
