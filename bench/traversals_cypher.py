"""The same traversal questions as bench/traversals.py, asked in Cypher of a loaded Neo4j.

Loads a generated graph (bench/traversals.py `generate`) into the instance the environment
names (it wipes that database before and after: use the test or bench instance), then times
`load_graph` (the analysis graph streamed into memory, what every in-process traversal starts
with) and bounded
variable-length Cypher patterns for reach, shortest path, simple paths and loops, each with a
transaction timeout. See docs/analytics.md ("Where traversals are computed").

Usage: eval "$(tools/env.sh test)"; .venv/bin/python bench/traversals_cypher.py [--nodes 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

from neo4j import Query
from traversals import generate

from sfm_graphql.db.cypher_registry import CypherRegistry
from sfm_graphql.db.database import Database, create_driver
from sfm_graphql.services.analytics.graph import load_graph
from sfm_graphql.services.analytics.scope import Scope
from sfm_graphql.settings import Settings

BATCH = 10_000
TIMEOUT_S = 60.0
QUESTIONS = {
    "reach, up to 2 hops": "MATCH (s:Component {id: $a})-[:DELIVERS*1..2]->(t) "
    "WHERE t <> s RETURN count(DISTINCT t) AS n",
    "reach, up to 3 hops": "MATCH (s:Component {id: $a})-[:DELIVERS*1..3]->(t) "
    "WHERE t <> s RETURN count(DISTINCT t) AS n",
    "shortestPath": "MATCH (s:Component {id: $a}), (t:Component {id: $b}) "
    "MATCH p = shortestPath((s)-[:DELIVERS*..12]->(t)) RETURN length(p) AS n",
    "paths up to 4 hops, first 100": "MATCH p = (s:Component {id: $a})-[:DELIVERS*1..4]->"
    "(t:Component {id: $b}) WITH p LIMIT 100 RETURN count(p) AS n",
    "loops up to 4 hops, first 100": "MATCH p = (s:Component)-[:DELIVERS*2..4]->(s) "
    "WITH p LIMIT 100 RETURN count(p) AS n",
}


def wipe(driver: Any) -> None:
    with driver.session() as session:
        session.run(
            "MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS"
        ).consume()


def load(driver: Any, nodes: int, edges: int) -> None:
    graph = generate(nodes, edges)
    wipe(driver)
    with driver.session() as session:
        for start in range(0, nodes, BATCH):
            ids = list(graph.ids[start : start + BATCH])
            session.run("UNWIND $ids AS i CREATE (:Component:Actor {id: i})", ids=ids).consume()
        rows = [
            {"s": graph.ids[s], "t": graph.ids[t], "w": w}
            for s, t, w in zip(graph.sources, graph.targets, graph.weights, strict=True)
        ]
        for start in range(0, len(rows), BATCH):
            session.run(
                "UNWIND $rows AS r MATCH (s:Component {id: r.s}), (t:Component {id: r.t}) "
                "CREATE (s)-[:DELIVERS {id: randomUUID(), weight: r.w, kind: 'INFLUENCES'}]->(t)",
                rows=rows[start : start + BATCH],
            ).consume()


def ask(driver: Any, text: str, params: dict[str, Any]) -> tuple[float, str]:
    started = time.perf_counter()
    try:
        with driver.session() as session:
            record = session.run(Query(text, timeout=TIMEOUT_S), params).single()
            answer = str(record["n"]) if record else "none"
    except Exception as exc:  # noqa: BLE001 (a bench reports what went wrong and goes on)
        answer = f"failed: {type(exc).__name__}"
    return time.perf_counter() - started, answer


async def timed_load(settings: Settings) -> float:
    db = Database(create_driver(settings), CypherRegistry.load(), settings)
    try:
        started = time.perf_counter()
        graph = await load_graph(db, Scope.of(), settings)
        seconds = time.perf_counter() - started
        print(f"load_graph: {seconds:.2f}s ({graph.node_count} nodes, {graph.edge_count} edges)")
        return seconds
    finally:
        await db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nodes", type=int, default=10_000)
    parser.add_argument("--edges", type=int, default=50_000)
    args = parser.parse_args()
    settings = Settings()
    from neo4j import GraphDatabase

    driver = GraphDatabase.driver(
        settings.neo4j_uri,
        auth=(settings.neo4j_user, settings.neo4j_password.get_secret_value()),
    )
    try:
        started = time.perf_counter()
        load(driver, args.nodes, args.edges)
        loaded = time.perf_counter() - started
        print(f"{args.nodes}/{args.edges} loaded into Neo4j in {loaded:.1f}s")
        asyncio.run(timed_load(settings))
        params = {"a": f"c{0:07d}", "b": f"c{args.nodes // 2:07d}"}
        for name, text in QUESTIONS.items():
            seconds, answer = ask(driver, text, params)
            print(f"  cypher {name}: {seconds:.2f}s ({answer})")
    finally:
        # Its bare components (no label, no version) are no service data: leave none behind.
        wipe(driver)
        driver.close()


if __name__ == "__main__":
    main()
