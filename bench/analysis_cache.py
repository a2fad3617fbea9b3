"""Every analytics operation over HTTP, cold and then cached (docs/analytics.md, "Cache").

Usage (the environment of an instance, e.g. `eval "$(tools/env.sh bench)"`):

    python bench/analysis_cache.py --tiers 1k,10k [--allow-shared-instance] [--out FILE]

Per tier it generates the synthetic SFM graph (bench/graphgen.py), loads it straight into Neo4j
(bench/loading.py), advances the graph revision once (a load around the service does not), and
posts each operation twice to the app in this process (ASGI, with an analyst token): "cold" is
the first call (the analysis graph read, the algorithm run, the result stored in Redis), "cached"
the second (the revision read, the Redis lookup, the components named loaded for the caller).
Both answers must be equal; the cache must count one miss and one hit per operation.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from graphgen import Graph, generate
from loading import check_target, load_through_driver, reset_database

from sfm_graphql.app import create_app
from sfm_graphql.domain.enums import ComponentType
from sfm_graphql.graphql.core.ids import to_global_id
from sfm_graphql.security.signing import cli_token
from sfm_graphql.services.analytics.cache import AnalysisCache
from sfm_graphql.settings import Settings

TIERS = {"1k": (1_000, 5_000), "10k": (10_000, 50_000), "100k": (100_000, 1_000_000)}
# Small selections: the time is the analysis, not the serialization of a long answer.
OPERATIONS = {
    "centrality PAGERANK": "{ centrality(measure: PAGERANK, top: 10) { score component { id } } }",
    "centrality BETWEENNESS": "{ centrality(measure: BETWEENNESS, top: 10) { score } }",
    "communities LOUVAIN": "{ communities(algorithm: LOUVAIN, limit: 5) { modularity count } }",
    "connectedComponents": "{ connectedComponents(limit: 5) { size } }",
    "vulnerability": "{ vulnerability(limit: 5, top: 5) { articulationPointCount bridgeCount } }",
    "graphStatistics": "{ graphStatistics { nodeCount edgeCount density degree { mean } } }",
    "ceremonialInstrumental": "{ ceremonialInstrumental(top: 5) { overall { deliveryCount } } }",
    "shortestPath": "query($p: ID!, $t: ID!) { shortestPath(from: $p, to: $t) { length } }",
    "paths": "query($p: ID!, $t: ID!) { paths(from: $p, to: $t, maxLength: 3, limit: 20) "
    "{ truncated paths { length } } }",
    "reach": "query($p: ID!) { reach(from: $p, maxDepth: 3) { truncated components "
    "{ distance } } }",
    "policyImpact": "query($p: ID!) { policyImpact(policy: $p, radius: 2) { density "
    "byType { type count } } }",
    "feedbackLoops": "{ feedbackLoops(maxLength: 3, limit: 50) { truncated loops { length } } }",
    "leveragePoints": "{ leveragePoints(maxLength: 3, limit: 10) { loops truncated } }",
    "simulateRemoval": "query($p: ID!) { simulateRemoval(ids: [$p], cascade: true) "
    "{ truncated disconnected { id } } }",
}


def _ids(graph: Graph) -> dict[str, str]:
    """The global ids of the busiest policy and of the component it delivers to most."""
    out_degree: dict[str, int] = {}
    for d in graph.deliveries:
        out_degree[d.source] = out_degree.get(d.source, 0) + 1
    policies = [c for c in graph.components if c.type is ComponentType.POLICY]
    policy = max(policies, key=lambda c: (out_degree.get(c.id, 0), c.id))
    by_id = {c.id: c for c in graph.components}
    target = next(d.target for d in graph.deliveries if d.source == policy.id)
    return {
        "p": to_global_id(policy.type.label, policy.id),
        "t": to_global_id(by_id[target].type.label, target),
    }


async def _post(http: httpx.AsyncClient, query: str, variables: dict[str, str]) -> Any:
    response = await http.post("/graphql", json={"query": query, "variables": variables})
    body = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise RuntimeError(f"{query[:40]}...: {response.status_code} {body.get('errors')}")
    return body["data"]


async def run_tier(name: str, settings: Settings, app: Any, token: str) -> dict[str, Any]:
    services = app.state.services
    components, deliveries = TIERS[name]
    graph = generate(components, deliveries, seed=1)
    await reset_database(services.db.driver, settings.neo4j_database)
    load_s = await load_through_driver(services.db.driver, settings.neo4j_database, graph)
    await services.db.write("revision/bump")  # the load went around the service
    variables = _ids(graph)
    cache: AnalysisCache = services.analysis_cache
    timings: dict[str, dict[str, float]] = {}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://bench",
        headers={"Authorization": f"Bearer {token}"},
        timeout=600,
    ) as http:
        for op, query in OPERATIONS.items():
            hits, misses = cache.stats.hits, cache.stats.misses
            started = time.perf_counter()
            cold = await _post(http, query, variables)
            cold_s = time.perf_counter() - started
            started = time.perf_counter()
            cached = await _post(http, query, variables)
            cached_s = time.perf_counter() - started
            assert cached == cold, op
            assert (cache.stats.hits, cache.stats.misses) == (hits + 1, misses + 1), op
            timings[op] = {"cold_s": round(cold_s, 3), "cached_s": round(cached_s, 4)}
            print(f"  {name} {op}: cold {cold_s:.3f} s, cached {cached_s:.4f} s", flush=True)
    return {
        "tier": name,
        "components": components,
        "deliveries": deliveries,
        "load_s": round(load_s, 1),
        "load_average_1m": round(os.getloadavg()[0], 1),
        "operations": timings,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--tiers", default="1k,10k", help="comma-separated: 1k, 10k, 100k")
    parser.add_argument("--allow-shared-instance", action="store_true")
    parser.add_argument("--out", type=Path, help="also write the report as JSON here")
    args = parser.parse_args()
    settings = Settings()
    check_target(settings.neo4j_uri, allow_shared=args.allow_shared_instance)
    token = await cli_token(
        settings,
        roles=["analyst"],
        ttl=dt.timedelta(hours=2),
        subject=f"bench-cache-{uuid.uuid4().hex[:8]}",
    )
    app = create_app(settings)
    reports = []
    async with app.router.lifespan_context(app):
        if args.allow_shared_instance:
            # A shared (test) instance holds what the tests left; reset_database wipes only
            # what a bench run marked.
            driver = app.state.services.db.driver
            async with driver.session(database=settings.neo4j_database) as session:
                result = await session.run(
                    "MATCH (n) WHERE NOT n:SchemaMigration "
                    "CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS"
                )
                await result.consume()
        for tier in args.tiers.split(","):
            print(f"tier {tier}", flush=True)
            reports.append(await run_tier(tier, settings, app, token))
    print(json.dumps(reports, indent=2))
    if args.out:
        args.out.write_text(json.dumps(reports, indent=2) + "\n")


if __name__ == "__main__":
    asyncio.run(main())
