"""The three reads of the peer benchmark, as each side asks them, and the raw-driver side.

Each read is one fixed request (hey repeats one body), in the service's schema and in the
peer's (bench/peer/typedefs.js), selecting the same data:

- `node`: one component by id (the service's `node(id:)`; the peer's `components(where:)` over
  its Component interface, which also has to find the component's type);
- `page`: 20 actors ordered by label, each with the id and label of 5 outgoing deliveries'
  targets and the delivery kind;
- `largest`: the largest page the service allows (`first` = max_page_size) of components,
  ordered by label, with id and label.

The raw driver runs the very statement the service composes for each read: it is captured
in process (`create_app`, `Database.run_composed` recorded) rather than rebuilt, so it stays
the service's statement whatever the planner makes of the selection.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
from neo4j import AsyncDriver
from workloads import read_auto_commit

from sfm_graphql.app import create_app
from sfm_graphql.graphql.core.ids import to_global_id
from sfm_graphql.settings import Settings

PAGE_SIZE = 20
NESTED = 5
READS = ("node", "page", "largest")
TITLES = {
    "node": "one component by id",
    "page": f"page of {PAGE_SIZE} actors + {NESTED} nested targets",
    "largest": "largest page, id + label",
}


@dataclass(frozen=True, slots=True)
class Read:
    name: str
    sfm: dict[str, Any]  # GraphQL request body for the service
    peer: dict[str, Any]  # ... and for the peer


def reads(component_id: str, component_label: str, max_page: int) -> dict[str, Read]:
    node_sfm = (
        "query Node($id: ID!) { node(id: $id) { id ... on Component "
        "{ label type certainty version updatedAt } } }"
    )
    node_peer = (
        "query Node($id: ID!) { components(where: {id: {eq: $id}}) "
        "{ id label __typename certainty version updatedAt } }"
    )
    page_sfm = (
        f"query Page {{ components(first: {PAGE_SIZE}, filter: {{types: [ACTOR]}}, "
        "orderBy: {field: LABEL, direction: ASC}) { edges { node { id label "
        f"outgoing(first: {NESTED}) {{ edges {{ node {{ kind target {{ id label }} }} }} }} }} }} "
        "pageInfo { hasNextPage endCursor } } }"
    )
    page_peer = (
        f"query Page {{ actorsConnection(first: {PAGE_SIZE}, sort: [{{label: ASC}}]) "
        f"{{ edges {{ node {{ id label outgoingConnection(first: {NESTED}) "
        "{ edges { properties { ... on Delivery { kind } } node { id label } } } } } "
        "pageInfo { hasNextPage endCursor } } }"
    )
    largest_sfm = (
        f"query Largest {{ components(first: {max_page}, orderBy: {{field: LABEL}}) "
        "{ edges { node { id label } } pageInfo { hasNextPage endCursor } } }"
    )
    largest_peer = (
        f"query Largest {{ componentsConnection(first: {max_page}, sort: [{{label: ASC}}]) "
        "{ edges { node { id label } } pageInfo { hasNextPage endCursor } } }"
    )
    gid = to_global_id(component_label, component_id)
    return {
        "node": Read(
            "node",
            {"query": node_sfm, "variables": {"id": gid}},
            {"query": node_peer, "variables": {"id": component_id}},
        ),
        "page": Read("page", {"query": page_sfm}, {"query": page_peer}),
        "largest": Read("largest", {"query": largest_sfm}, {"query": largest_peer}),
    }


def check_response(side: str, read: str, response: httpx.Response) -> None:
    """A response must be HTTP 200 with `data` and no `errors` (GraphQL errors come with 200)."""
    if response.status_code != 200:
        raise RuntimeError(f"{side} {read}: HTTP {response.status_code}: {response.text[:300]}")
    body = response.json()
    if body.get("errors") or not body.get("data"):
        raise RuntimeError(f"{side} {read}: {str(body)[:300]}")
    first = next(iter(body["data"].values()))
    if not first:
        raise RuntimeError(f"{side} {read}: empty result {str(body)[:300]}")


@dataclass(frozen=True, slots=True)
class Statement:
    name: str
    text: str
    params: dict[str, Any]


async def capture_statements(
    settings: Settings, headers: dict[str, str], all_reads: dict[str, Read]
) -> dict[str, Statement]:
    """The one statement the service runs for each read, recorded in process."""
    app = create_app(settings)
    captured: dict[str, Statement] = {}
    async with app.router.lifespan_context(app):
        db = app.state.services.db
        original = db.run_composed
        seen: list[Statement] = []

        async def recording(name: str, text: str, params: dict[str, Any], access: Any = "read"):  # type: ignore[no-untyped-def]
            seen.append(Statement(name, text, dict(params)))
            return await original(name, text, params, access)

        db.run_composed = recording
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://bench", headers=headers
        ) as http:
            for name, read in all_reads.items():
                seen.clear()
                check_response("sfm in process", name, await http.post("/graphql", json=read.sfm))
                if len(seen) != 1:
                    raise RuntimeError(f"{name}: the service ran {len(seen)} statements, not 1")
                captured[name] = seen[0]
    return captured


@dataclass(frozen=True, slots=True)
class DriverResult:
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p95_ms: float
    client_cpu_s: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "errors": 0,
            "seconds": round(self.seconds, 3),
            "rps": round(self.rps, 1),
            "p50_ms": round(self.p50_ms, 1),
            "p95_ms": round(self.p95_ms, 1),
        }


def _quantile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


async def run_driver(
    driver: AsyncDriver,
    statement: Statement,
    *,
    database: str,
    timeout_s: float,
    concurrency: int,
    seconds: float,
) -> DriverResult:
    """Closed loop on the raw async driver: `Database.run_composed`'s call, nothing around it."""
    call: Callable[[], Awaitable[list[Any]]] = lambda: read_auto_commit(  # noqa: E731
        driver, statement.text, statement.params, database=database, timeout_s=timeout_s
    )
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            for record in await call():
                record.data()
            latencies.append(time.perf_counter() - started)

    cpu0, t0 = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    latencies.sort()
    return DriverResult(
        requests=len(latencies),
        seconds=wall,
        rps=len(latencies) / wall,
        p50_ms=_quantile(latencies, 0.50) * 1000,
        p95_ms=_quantile(latencies, 0.95) * 1000,
        client_cpu_s=cpu,
    )
