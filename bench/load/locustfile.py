"""The mixed load of issue 12 ("Load") as locust users: `bench/load/run.py` starts it headless.

Each simulated user has its own bearer token (its own principal, so its own rate-limit budget
and audit trail) and waits `SFM_LOAD_THINK_MIN_S`..`SFM_LOAD_THINK_MAX_S` between requests. The
mix, by weight:

- 70 reads: one component by id (30), a page of 20 components with 5 outgoing deliveries each,
  one nested level (25), a full-text search (15);
- 10 writes: create a delivery (5), update one of the user's own with the `version` it read
  (optimistic concurrency; a stale version would be CONFLICT, which counts as an error) (5);
- 5 bulk: `bulkImport` of 10 components and 10 deliveries keyed by the user, upserted;
- 15 analytics (every one reads the whole analysis graph on a cache miss): `reach` from one of
  a few policies with `maxDepth` 2 or 3 (4), `policyImpact` of one of them with `radius` 1 or 2
  (4), PageRank `centrality` of the whole graph, the same question every time, so a hit unless
  a write advanced the graph revision since it was computed (4), and PageRank `centrality` with
  a `types` scope picked at random from a few, so it misses more often (3).

A GraphQL response with `errors` counts as a failure even with HTTP 200. The fixture (tokens,
ids, policies, search words) comes from the JSON file named by `SFM_LOAD_FIXTURE`, written by
run.py. Bounded: locust's `--run-time`, and each user stops after `SFM_LOAD_MAX_REQUESTS`
requests; a host other than 127.0.0.1 is refused.
"""

from __future__ import annotations

import itertools
import json
import os
import random
from pathlib import Path
from typing import Any

from locust import between, task
from locust.contrib.fasthttp import FastHttpUser
from locust.exception import StopUser

FIXTURE: dict[str, Any] = json.loads(Path(os.environ["SFM_LOAD_FIXTURE"]).read_text())
THINK_MIN_S = float(os.environ.get("SFM_LOAD_THINK_MIN_S", "1"))
THINK_MAX_S = float(os.environ.get("SFM_LOAD_THINK_MAX_S", "3"))
MAX_REQUESTS = int(os.environ.get("SFM_LOAD_MAX_REQUESTS", "1000"))  # per simulated user
LOOPBACK = "http://127.0.0.1:"
MESSAGE_CHARS = 40  # of a 5xx error's message in its failure reason: tells the refusals apart

NODE = "query Node($id: ID!) { node(id: $id) { id ... on Component { label type version } } }"
PAGE = """query Page($after: String) {
  components(first: 20, after: $after) {
    edges { node { id label type
      outgoing(first: 5) { edges { node { kind weight target { id label } } } } } }
    pageInfo { hasNextPage endCursor }
  }
}"""
SEARCH = """query Search($text: String!) {
  search(text: $text, first: 20) { score component { id label type } }
}"""
CREATE = """mutation Create($input: CreateDeliveryInput!) {
  createDelivery(input: $input) { delivery { id version } }
}"""
UPDATE = """mutation Update($input: UpdateDeliveryInput!) {
  updateDelivery(input: $input) { delivery { id version weight } }
}"""
BULK = """mutation Bulk($components: [BulkComponentInput!]!, $deliveries: [BulkDeliveryInput!]!) {
  bulkImport(components: $components, deliveries: $deliveries) {
    committed componentsCreated componentsUpdated deliveriesCreated deliveriesUpdated errorCount
  }
}"""
BULK_ROWS = 10
REACH = """query Reach($from: ID!, $depth: Int) {
  reach(from: $from, maxDepth: $depth) {
    truncated components { distance strongestPathWeight component { id label type } }
  }
}"""
IMPACT = """query Impact($policy: ID!, $radius: Int!) {
  policyImpact(policy: $policy, radius: $radius) { density truncated byType { type count } }
}"""
CENTRALITY = """query Centrality($types: [ComponentType!]) {
  centrality(measure: PAGERANK, top: 10, types: $types) { rank score component { id label } }
}"""
REACH_DEPTHS = (2, 3)
IMPACT_RADII = (1, 2)
# The scopes of the varying centrality: each its own cache entry per graph revision.
TYPE_SCOPES = (
    ["ACTOR", "INSTITUTION"],
    ["ACTOR", "POLICY"],
    ["INSTITUTION", "POLICY"],
    ["POLICY", "POLICY_INSTRUMENT"],
    ["RESOURCE", "PROCESS"],
    ["ACTOR", "RESOURCE"],
    ["INSTITUTION", "INDICATOR"],
    ["RESOURCE", "TECHNOLOGY_SYSTEM", "ECOLOGICAL_SYSTEM"],
)

_numbers = itertools.count()


class Analyst(FastHttpUser):
    wait_time = between(THINK_MIN_S, THINK_MAX_S)

    def on_start(self) -> None:
        if not (self.host or "").startswith(LOOPBACK):
            raise StopUser(f"the load targets 127.0.0.1 only, not {self.host!r}")
        self.number = next(_numbers)
        self.sent = 0
        tokens = FIXTURE["tokens"]
        self.auth = {"Authorization": f"Bearer {tokens[self.number % len(tokens)]}"}
        self.rng = random.Random(self.number)
        self.own: list[dict[str, Any]] = []  # deliveries this user created: id and version
        self.cursors: list[str | None] = [None]

    def _post(self, name: str, query: str, variables: dict[str, Any]) -> dict[str, Any] | None:
        if self.sent >= MAX_REQUESTS:
            raise StopUser()
        self.sent += 1
        with self.client.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers=self.auth,
            name=name,
            catch_response=True,
        ) as response:
            try:
                body = response.json()
            except ValueError:
                response.failure(f"HTTP {response.status_code}, not JSON")
                return None
            if response.status_code != 200 or body.get("errors"):
                errors = body.get("errors") or [{}]
                code = (errors[0].get("extensions") or {}).get("code", "no code")
                reason = f"HTTP {response.status_code} {code}"
                if response.status_code >= 500:  # which refusal: admission, pool, database
                    reason += f": {str(errors[0].get('message', ''))[:MESSAGE_CHARS]}"
                response.failure(reason)
                return None
            response.success()
            data: dict[str, Any] = body["data"]
            return data

    # -- reads (70) -------------------------------------------------------------------------------

    @task(30)
    def component_by_id(self) -> None:
        component = self.rng.choice(FIXTURE["components"])
        self._post("read: node(id:)", NODE, {"id": component["id"]})

    @task(25)
    def page_with_deliveries(self) -> None:
        after = self.rng.choice(self.cursors)
        data = self._post("read: components page + outgoing", PAGE, {"after": after})
        if data is not None:
            info = data["components"]["pageInfo"]
            if info["hasNextPage"] and len(self.cursors) < 50:
                self.cursors.append(info["endCursor"])

    @task(15)
    def search(self) -> None:
        self._post("read: search", SEARCH, {"text": self.rng.choice(FIXTURE["search_words"])})

    # -- writes (10) ------------------------------------------------------------------------------

    @task(5)
    def create_delivery(self) -> None:
        pair = self.rng.choice(FIXTURE["delivery_pairs"])
        change = {**pair, "weight": round(self.rng.uniform(0, 5), 3), "scenario": "load"}
        data = self._post("write: createDelivery", CREATE, {"input": change})
        if data is not None:
            self.own.append(data["createDelivery"]["delivery"])
            del self.own[:-20]

    @task(5)
    def update_delivery(self) -> None:
        if not self.own:
            self.create_delivery()
            return
        delivery = self.rng.choice(self.own)
        change = {
            "id": delivery["id"],
            "version": delivery["version"],  # as read: a concurrent change would be CONFLICT
            "weight": round(self.rng.uniform(0, 5), 3),
        }
        data = self._post("write: updateDelivery (version)", UPDATE, {"input": change})
        if data is not None:
            delivery["version"] = data["updateDelivery"]["delivery"]["version"]

    # -- bulk (5) ---------------------------------------------------------------------------------

    @task(5)
    def bulk_import(self) -> None:
        prefix = f"load:u{self.number}"
        components = [
            {
                "type": "ACTOR",
                "externalKey": f"{prefix}:c{i}",
                "label": f"Load actor {self.number} {i}",
                "certainty": round(self.rng.random(), 2),
            }
            for i in range(BULK_ROWS)
        ]
        deliveries = [
            {
                "externalKey": f"{prefix}:d{i}",
                "sourceKey": f"{prefix}:c{i}",
                "targetKey": f"{prefix}:c{(i + 1) % BULK_ROWS}",
                "kind": "INFLUENCES",
                "deliveryType": "INFLUENCE",
                "weight": round(self.rng.uniform(0, 5), 3),
                "scenario": "load",
            }
            for i in range(BULK_ROWS)
        ]
        variables = {"components": components, "deliveries": deliveries}
        self._post("bulk: bulkImport 10+10 rows", BULK, variables)

    # -- analytics (15) ---------------------------------------------------------------------------

    @task(4)
    def reach(self) -> None:
        variables = {
            "from": self.rng.choice(FIXTURE["policies"]),
            "depth": self.rng.choice(REACH_DEPTHS),
        }
        self._post("analytics: reach", REACH, variables)

    @task(4)
    def policy_impact(self) -> None:
        variables = {
            "policy": self.rng.choice(FIXTURE["policies"]),
            "radius": self.rng.choice(IMPACT_RADII),
        }
        self._post("analytics: policyImpact", IMPACT, variables)

    @task(4)
    def centrality_same_scope(self) -> None:
        self._post("analytics: centrality, same scope", CENTRALITY, {"types": None})

    @task(3)
    def centrality_varying_scope(self) -> None:
        types = self.rng.choice(TYPE_SCOPES)
        self._post("analytics: centrality, varying scope", CENTRALITY, {"types": types})
