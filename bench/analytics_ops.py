"""The analytics operations of bench/analytics.py, as a user sends them: GraphQL over HTTP, either
as the synchronous query or as a `startAnalysis` job followed with `analysisJob` until it ends.

Each operation is timed twice with the same document and variables: "cold" (no result cached
for this graph revision) and "cached" (the identical second request). Whether the second one
could come from the result cache is read from Redis: the cold request stored a result when the
number of `sfm:analysis:*` keys grew.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import redis.asyncio as redis
from neo4j import AsyncDriver

from sfm_graphql.domain.enums import COMPONENT_LABEL, ComponentType
from sfm_graphql.graphql.core.ids import to_global_id
from sfm_graphql.services.analytics.cache import KEY_PREFIX

# Refusals after which the job path is the user's way to the answer.
REFUSED = {"ANALYSIS_TOO_LARGE", "TIMEOUT"}
DONE = {"SUCCEEDED", "FAILED", "CANCELLED"}

START = """mutation Start($input: StartAnalysisInput!) {
  startAnalysis(input: $input) { id status }
}"""
POLL = "query Poll($id: ID!) { analysisJob(id: $id) { status progress error result } }"


@dataclass(frozen=True, slots=True)
class Operation:
    name: str
    query: str
    variables: dict[str, Any] = field(default_factory=dict)
    job_only: bool = False  # straight to startAnalysis (the synchronous one is known refused)


@dataclass(slots=True)
class Outcome:
    seconds: float
    path: str  # "sync" or "job"
    code: str | None = None  # the error code, None when answered
    message: str = ""
    data: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.code is None

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"seconds": round(self.seconds, 3), "path": self.path}
        if self.code is not None:
            out["error"] = {"code": self.code, "message": self.message[:300]}
        return out


@dataclass(slots=True)
class Targets:
    """The components the traversals start from, chosen from the loaded graph."""

    policy: str  # global id of the POLICY with most outgoing deliveries
    on_loop: str  # global id of the best-connected component on a loop of 2 (or 3) hops
    far: str | None = None  # the farthest component `reach` listed from `policy`


def operations(targets: Targets, *, loop_length: int, impact_radius: int) -> list[Operation]:
    """In order: `reach` first, whose answer names the target of `shortestPath`."""
    policy = {"id": targets.policy}

    def centrality(measure: str) -> Operation:
        return Operation(
            f"centrality {measure}",
            "query($m: CentralityMeasure!) { centrality(measure: $m, top: 20) "
            "{ rank score component { id label } } }",
            {"m": measure},
        )

    return [
        Operation(
            "reach",
            "query($id: ID!) { reach(from: $id) { truncated "
            "components { distance strongestPathWeight component { id label } } } }",
            policy,
        ),
        Operation(
            "policyImpact",
            f"query($id: ID!) {{ policyImpact(policy: $id, radius: {impact_radius}) {{ density "
            "truncated byType { type count } components { distance component { id } } } }",
            policy,
        ),
        centrality("DEGREE"),
        centrality("PAGERANK"),
        centrality("BETWEENNESS"),
        Operation(
            "connectedComponents (WCC)",
            "{ connectedComponents(limit: 10) { size membersTruncated members { id } } }",
        ),
        Operation(
            "communities LOUVAIN",
            "{ communities(algorithm: LOUVAIN, limit: 10) { modularity count truncated "
            "communities { id size membersTruncated } } }",
        ),
        Operation(
            "shortestPath",
            "query($id: ID!, $to: ID!) { shortestPath(from: $id, to: $to) "
            "{ length totalWeight components { id } } }",
            {"id": targets.policy, "to": targets.far or targets.on_loop},
        ),
        Operation(
            "feedbackLoops",
            f"query($id: ID!) {{ feedbackLoops(through: $id, maxLength: {loop_length}, "
            "limit: 100) { truncated loops { length strength polarity } } }",
            {"id": targets.on_loop},
        ),
    ]


def _reached(root: dict[str, Any]) -> str:
    cut = ", truncated" if root["truncated"] else ""
    total = sum(t["count"] for t in root.get("byType", [])) or len(root["components"])
    return f"{total} reached{cut}"


def _loops(root: dict[str, Any]) -> str:
    cut = ", truncated" if root["truncated"] else ""
    return f"{len(root['loops'])} loops{cut}"


SUMMARIES: dict[str, Any] = {
    "reach": _reached,
    "policyImpact": _reached,
    "centrality": lambda root: f"top {root[0]['score']:.4g}" if root else "empty",
    "connectedComponents": lambda root: f"largest {root[0]['size']}" if root else "none",
    "communities": lambda root: f"{root['count']} communities, Q={root['modularity']:.3f}",
    "shortestPath": lambda root: "no path" if root is None else f"{root['length']} hops",
    "feedbackLoops": _loops,
}


def summary(name: str, data: dict[str, Any] | None) -> str:
    """A few words on what an answer held, for the table (and as a check that it answered)."""
    if not data:
        return ""
    root = next(iter(data.values()))
    return str(SUMMARIES[name.split(maxsplit=1)[0]](root))


def farthest(reach: dict[str, Any] | None) -> str | None:
    """The last component of a `reach` answer (nearest first, so the farthest listed)."""
    listed = (reach or {}).get("reach", {}).get("components") or []
    return str(listed[-1]["component"]["id"]) if listed else None


LOOP_QUERIES = [
    # Per edge, whether it comes back: linear in the edges, unlike expanding all 2-hop paths.
    f"MATCH (a:{COMPONENT_LABEL})-[:DELIVERS]->(b) WHERE a <> b "
    "AND EXISTS { (b)-[:DELIVERS]->(a) } WITH DISTINCT a "
    "WITH a, COUNT { (a)-[:DELIVERS]-() } AS n ORDER BY n DESC, a.id LIMIT 1 "
    "RETURN a.id AS id, labels(a) AS labels",
    f"MATCH (a:{COMPONENT_LABEL})-[:DELIVERS]->(b)-[:DELIVERS]->(c)-[:DELIVERS]->(a) "
    "WHERE a <> b AND b <> c AND a <> c RETURN a.id AS id, labels(a) AS labels LIMIT 1",
]


async def choose_targets(driver: AsyncDriver, database: str) -> Targets:
    """The POLICY that delivers most, and a well-connected component on a short loop."""
    policy_label = ComponentType.POLICY.label
    records, _, _ = await driver.execute_query(
        f"MATCH (p:{COMPONENT_LABEL}:{policy_label})-[d:DELIVERS]->(t) WHERE t <> p "
        "WITH p, count(d) AS n ORDER BY n DESC, p.id LIMIT 1 RETURN p.id AS id",
        database_=database,
    )
    policy = to_global_id(policy_label, records[0]["id"])
    on_loop = policy  # no loop of 2 or 3 hops: ask about the policy's (there are none)
    for query in LOOP_QUERIES:
        records, _, _ = await driver.execute_query(query, database_=database)
        if records:
            found_type = ComponentType.from_labels(records[0]["labels"])
            on_loop = to_global_id(found_type.label, records[0]["id"])
            break
    return Targets(policy=policy, on_loop=on_loop)


class Client:
    """Sends the operations through the running service (and its worker, for jobs)."""

    def __init__(self, http: httpx.AsyncClient, *, job_timeout_s: float) -> None:
        self.http = http
        self.job_timeout_s = job_timeout_s

    async def _post(self, query: str, variables: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        response = await self.http.post("/graphql", json={"query": query, "variables": variables})
        try:
            body: dict[str, Any] = response.json()
        except ValueError:
            body = {"errors": [{"message": response.text[:300]}]}
        return response.status_code, body

    @staticmethod
    def _error(status: int, body: dict[str, Any]) -> tuple[str, str] | None:
        errors = body.get("errors") or []
        if errors:
            first = errors[0]
            return str((first.get("extensions") or {}).get("code", "ERROR")), first["message"]
        if status != 200:
            return f"HTTP_{status}", str(body)[:300]
        return None

    async def sync(self, op: Operation) -> Outcome:
        started = time.perf_counter()
        try:
            status, body = await self._post(op.query, op.variables)
        except httpx.TimeoutException:
            return Outcome(time.perf_counter() - started, "sync", "TIMEOUT", "client timeout")
        seconds = time.perf_counter() - started
        error = self._error(status, body)
        if error is not None:
            return Outcome(seconds, "sync", *error)
        return Outcome(seconds, "sync", data=body["data"])

    async def job(self, op: Operation) -> Outcome:
        """From `startAnalysis` to the poll that sees the job ended (polls every 0.2 s)."""
        started = time.perf_counter()
        status, body = await self._post(
            START, {"input": {"query": op.query, "variables": op.variables}}
        )
        error = self._error(status, body)
        if error is not None:
            return Outcome(time.perf_counter() - started, "job", *error)
        job_id = body["data"]["startAnalysis"]["id"]
        while time.perf_counter() - started < self.job_timeout_s:
            await asyncio.sleep(0.2)
            status, body = await self._post(POLL, {"id": job_id})
            error = self._error(status, body)
            if error is not None:
                return Outcome(time.perf_counter() - started, "job", *error)
            job = body["data"]["analysisJob"]
            if job["status"] in DONE:
                seconds = time.perf_counter() - started
                if job["status"] != "SUCCEEDED":
                    return Outcome(seconds, "job", f"JOB_{job['status']}", job["error"] or "")
                return Outcome(seconds, "job", data=job["result"])
        return Outcome(time.perf_counter() - started, "job", "JOB_TIMEOUT", f"id {job_id}")


async def cached_results(client: redis.Redis) -> int:
    """How many analysis results the cache holds in Redis (every revision)."""
    count = 0
    async for _ in client.scan_iter(match=f"{KEY_PREFIX}*", count=1000):
        count += 1
    return count


async def clear_cached_results(client: redis.Redis) -> int:
    """Forget the analysis results of earlier runs, so a first request is cold."""
    keys = [key async for key in client.scan_iter(match=f"{KEY_PREFIX}*", count=1000)]
    if keys:
        await client.delete(*keys)
    return len(keys)
