"""How to store delivery kinds: one relationship type with a `kind` property, or one type per kind.

Model A (what the service does): `(:BenchA)-[:BENCHA_DELIVERS {kind, scenario, id, ...}]->(:BenchA)`
with a uniqueness constraint on id and range indexes on kind and scenario.
Model B: `(:BenchB)-[:BENCHB_FUNDS {scenario, id, ...}]->(:BenchB)`, one type per kind, each with
its own id constraint and scenario index (the only way to index a property of several types).

Both are loaded from the same synthetic graph (bench/graphgen.py) into scratch labels and types
on the bench instance, timed in the same session with the order alternating each repetition,
checked to return the same answers, and removed at the end. Labels and relationship types are
built from the `DeliveryKind` enum, never from data.

Usage: .venv/bin/python bench/kind_storage.py [--json PATH]   (env from tools/env.sh bench)
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graphgen import Graph, generate
from loading import RefusedToWipe, check_target
from neo4j import Driver, GraphDatabase, Session

from sfm_graphql.domain.kinds import DeliveryKind
from sfm_graphql.domain.models import to_properties, validate_delivery

A_NODE, A_TYPE = "BenchA", "BENCHA_DELIVERS"
B_NODE, B_PREFIX = "BenchB", "BENCHB_"
SCHEMA_PREFIXES = ("bench_a_", "bench_b_")
BATCH = 2000
NEIGHBOURHOOD_KINDS = (DeliveryKind.FUNDS, DeliveryKind.INFORMS, DeliveryKind.GOVERNS)
KINDS = list(DeliveryKind)


def b_type(kind: DeliveryKind) -> str:
    return B_PREFIX + kind.value


def b_all_types() -> str:
    return "|".join(b_type(k) for k in KINDS)


# -- setting up and tearing down -----------------------------------------------------------------


def _batches(rows: Sequence[dict[str, Any]], size: int = BATCH) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield list(rows[start : start + size])


def drop_scratch(session: Session) -> None:
    """Remove every node, relationship, index and constraint this script may have left behind."""
    for label in (A_NODE, B_NODE):
        session.run(
            f"MATCH (n:{label}) CALL (n) {{ DETACH DELETE n }} IN TRANSACTIONS OF 5000 ROWS"
        ).consume()
    for kind in ("CONSTRAINTS", "INDEXES"):
        for record in session.run(f"SHOW {kind} YIELD name RETURN name"):
            name = str(record["name"])
            if name.startswith(SCHEMA_PREFIXES):  # our own names: [a-z0-9_] only
                keyword = "CONSTRAINT" if kind == "CONSTRAINTS" else "INDEX"
                session.run(f"DROP {keyword} {name} IF EXISTS").consume()


def schema_a() -> list[str]:
    rel = f"()-[d:{A_TYPE}]-()"
    return [
        f"CREATE CONSTRAINT bench_a_node_id FOR (n:{A_NODE}) REQUIRE n.id IS UNIQUE",
        f"CREATE CONSTRAINT bench_a_id FOR {rel} REQUIRE d.id IS UNIQUE",
        f"CREATE INDEX bench_a_kind FOR {rel} ON (d.kind)",
        f"CREATE INDEX bench_a_scenario FOR {rel} ON (d.scenario)",
    ]


def schema_b() -> list[str]:
    statements = [f"CREATE CONSTRAINT bench_b_node_id FOR (n:{B_NODE}) REQUIRE n.id IS UNIQUE"]
    for kind in KINDS:
        rel, name = f"()-[d:{b_type(kind)}]-()", kind.value.lower()
        statements.append(f"CREATE CONSTRAINT bench_b_{name}_id FOR {rel} REQUIRE d.id IS UNIQUE")
        statements.append(f"CREATE INDEX bench_b_{name}_scenario FOR {rel} ON (d.scenario)")
    return statements


@dataclass(frozen=True, slots=True)
class LoadResult:
    schema_objects: int  # indexes and constraints on deliveries (the node id one excluded)
    schema_seconds: float
    load_seconds: float


def load(session: Session, graph: Graph, model: str) -> LoadResult:
    """Create the model's schema, then its nodes and relationships in UNWIND batches."""
    statements = schema_a() if model == "A" else schema_b()
    started = time.perf_counter()
    for statement in statements:
        session.run(statement).consume()
    session.run("CALL db.awaitIndexes(300)").consume()
    schema_seconds = time.perf_counter() - started

    node = A_NODE if model == "A" else B_NODE
    started = time.perf_counter()
    nodes = [
        {"id": c.id, "type": c.type.value, "label": c.fields["label"]} for c in graph.components
    ]
    for batch in _batches(nodes):
        session.run(f"UNWIND $rows AS row CREATE (n:{node}) SET n = row", rows=batch).consume()
    rows_by_kind: dict[DeliveryKind, list[dict[str, Any]]] = {}
    for d in graph.deliveries:
        props = {**to_properties(validate_delivery(d.fields)), "id": d.id, "version": 1}
        row = {"s": d.source, "t": d.target, "props": props}
        rows_by_kind.setdefault(DeliveryKind(d.fields["kind"]), []).append(row)
    for kind, rows in rows_by_kind.items():
        rel = A_TYPE if model == "A" else b_type(kind)
        text = (
            f"UNWIND $rows AS row MATCH (s:{node} {{id: row.s}}), (t:{node} {{id: row.t}}) "
            f"CREATE (s)-[d:{rel}]->(t) SET d = row.props"
        )
        for batch in _batches(rows):
            session.run(text, rows=batch).consume()
    load_seconds = time.perf_counter() - started
    return LoadResult(len(statements) - 1, schema_seconds, load_seconds)


# -- the operations -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Op:
    """One operation in both models: `make(i)` gives (A query, B query, params) for repetition i.

    Reads are warmed up by one untimed pass over every repetition, so each distinct query text
    is planned and cached before timing. Writes cannot be replayed: their first `warm` items are
    run untimed instead, and timing covers the `repetitions` after them.
    """

    name: str
    repetitions: int
    make: Callable[[int], tuple[str, str, dict[str, Any]]]
    write: bool = False
    warm: int = 0


def lookup_unknown_kind(ids: list[str]) -> Op:
    a = (
        f"MATCH (s:{A_NODE})-[d:{A_TYPE} {{id: $id}}]->(t:{A_NODE}) "
        "RETURN d.id AS id, d.kind AS kind, d.weight AS weight, s.id AS s, t.id AS t"
    )
    # B's best without the kind: one index seek per type, glued with UNION.
    branches = " UNION ".join(
        f"MATCH (s:{B_NODE})-[d:{b_type(k)} {{id: $id}}]->(t:{B_NODE}) "
        f"RETURN d.id AS id, '{k.value}' AS kind, d.weight AS weight, s.id AS s, t.id AS t"
        for k in KINDS
    )
    b = f"CALL () {{ {branches} }} RETURN id, kind, weight, s, t"
    return Op("delivery by id, kind unknown", 300, lambda i: (a, b, {"id": ids[i % len(ids)]}))


def lookup_known_kind(picks: list[tuple[str, DeliveryKind]]) -> Op:
    a = f"MATCH (s:{A_NODE})-[d:{A_TYPE} {{id: $id}}]->(t:{A_NODE}) RETURN d.id, d.weight, s.id"

    def make(i: int) -> tuple[str, str, dict[str, Any]]:
        delivery_id, kind = picks[i % len(picks)]
        b = (
            f"MATCH (s:{B_NODE})-[d:{b_type(kind)} {{id: $id}}]->(t:{B_NODE}) "
            "RETURN d.id, d.weight, s.id"
        )
        return a, b, {"id": delivery_id}

    return Op("delivery by id, kind known", 300, make)


def lookup_dynamic_type(picks: list[tuple[str, DeliveryKind]]) -> Op:
    """B with Cypher 5.26's dynamic type `$(...)`: one query text, but no index on 5.26."""
    a = f"MATCH (s:{A_NODE})-[d:{A_TYPE} {{id: $id}}]->(t:{A_NODE}) RETURN d.id, d.weight, s.id"
    b = f"MATCH (s:{B_NODE})-[d:$($type) {{id: $id}}]->(t:{B_NODE}) RETURN d.id, d.weight, s.id"

    def make(i: int) -> tuple[str, str, dict[str, Any]]:
        delivery_id, kind = picks[i % len(picks)]
        return a, b, {"id": delivery_id, "type": b_type(kind)}

    return Op("delivery by id, kind known, B dynamic type", 30, make)


def neighbourhood(centers: list[str]) -> Op:
    kinds = [k.value for k in NEIGHBOURHOOD_KINDS]
    types = "|".join(b_type(k) for k in NEIGHBOURHOOD_KINDS)
    a = (
        f"MATCH (c:{A_NODE} {{id: $id}})-[r:{A_TYPE} WHERE r.kind IN $kinds]-{{1,2}}(x:{A_NODE}) "
        "WHERE x <> c RETURN count(DISTINCT x) AS reached"
    )
    b = (
        f"MATCH (c:{B_NODE} {{id: $id}})-[r:{types}]-{{1,2}}(x:{B_NODE}) "
        "WHERE x <> c RETURN count(DISTINCT x) AS reached"
    )
    return Op(
        "2-hop neighbourhood, 3 kinds",
        100,
        lambda i: (a, b, {"id": centers[i % len(centers)], "kinds": kinds}),
    )


def kind_and_scenario(pairs: list[tuple[DeliveryKind, str]]) -> Op:
    a = (
        f"MATCH (s:{A_NODE})-[d:{A_TYPE}]->(t:{A_NODE}) "
        "WHERE d.kind = $kind AND d.scenario = $scenario "
        "RETURN d.id AS id, d.weight AS weight, s.id AS s, t.id AS t ORDER BY id"
    )

    def make(i: int) -> tuple[str, str, dict[str, Any]]:
        kind, scenario = pairs[i % len(pairs)]
        b = (
            f"MATCH (s:{B_NODE})-[d:{b_type(kind)}]->(t:{B_NODE}) WHERE d.scenario = $scenario "
            "RETURN d.id AS id, d.weight AS weight, s.id AS s, t.id AS t ORDER BY id"
        )
        return a, b, {"kind": kind.value, "scenario": scenario}

    return Op("kind + scenario filter, whole graph", 100, make)


def count_by_kind(*, a_uses_index: bool) -> Op:
    """Each model's best: B reads the count store per type; A counts via its kind index, or
    (the plain form) aggregates one scan of the type."""
    kinds = [k.value for k in KINDS]
    if a_uses_index:
        a = (
            f"UNWIND $kinds AS kind CALL (kind) {{ MATCH ()-[d:{A_TYPE}]->() WHERE d.kind = kind "
            "RETURN count(d) AS n } WITH kind, n WHERE n > 0 RETURN kind, n ORDER BY kind"
        )
    else:
        a = f"MATCH ()-[d:{A_TYPE}]->() RETURN d.kind AS kind, count(*) AS n ORDER BY kind"
    # `WITH count(d)` keeps each branch a count-store read (RETURN 'X', count(d) would scan).
    branches = " UNION ALL ".join(
        f"MATCH ()-[d:{b_type(k)}]->() WITH count(d) AS n RETURN '{k.value}' AS kind, n"
        for k in KINDS
    )
    b = f"CALL () {{ {branches} }} WITH kind, n WHERE n > 0 RETURN kind, n ORDER BY kind"
    name = "count by kind, A via kind index" if a_uses_index else "count by kind, A one scan"
    return Op(name, 50, lambda i: (a, b, {"kinds": kinds}))


def _kind_change_queries(old: DeliveryKind, new: DeliveryKind) -> tuple[str, str]:
    a = (
        f"MATCH ()-[d:{A_TYPE} {{id: $id}}]->() "
        "SET d.kind = $kind, d.updatedAt = datetime(), d.version = d.version + 1 "
        "RETURN d.version AS version"
    )
    # A relationship's type is fixed: B must copy it under the new type and delete the old.
    b = (
        f"MATCH (s)-[d:{b_type(old)} {{id: $id}}]->(t) "
        f"CREATE (s)-[n:{b_type(new)}]->(t) "
        "SET n = properties(d), n.updatedAt = datetime(), n.version = d.version + 1 "
        "WITH d, n DELETE d RETURN n.version AS version"
    )
    return a, b


def kind_change_one_pair(graph: Graph, rng: random.Random, repetitions: int, warm: int) -> Op:
    """INFORMS → ADVISES on distinct deliveries: B's query text repeats, so its plan is cached."""
    old, new = DeliveryKind.INFORMS, DeliveryKind.ADVISES  # both allowed between any two types
    candidates = [d for d in graph.deliveries if d.fields["kind"] == old.value]
    picked = rng.sample(candidates, warm + repetitions)
    a, b = _kind_change_queries(old, new)
    return Op(
        "kind change, one kind pair (plan cached)",
        repetitions,
        lambda i: (a, b, {"id": picked[i].id, "kind": new.value}),
        write=True,
        warm=warm,
    )


def kind_change_any_pair(graph: Graph, rng: random.Random, repetitions: int, taken: set[str]) -> Op:
    """Random deliveries to a random kind their endpoints allow: in B almost every (old, new)
    pair is a query text of its own (53 x 52 of them), planned on first use."""
    types = {c.id: c.type for c in graph.components}
    pool = [d for d in graph.deliveries if d.id not in taken]
    changes = []
    for d in rng.sample(pool, repetitions):
        old = DeliveryKind(d.fields["kind"])
        allowed = [k for k in KINDS if k is not old and k.allows(types[d.source], types[d.target])]
        changes.append((d.id, old, rng.choice(allowed)))

    def make(i: int) -> tuple[str, str, dict[str, Any]]:
        delivery_id, old, new = changes[i]
        a, b = _kind_change_queries(old, new)
        return a, b, {"id": delivery_id, "kind": new.value}

    return Op("kind change, any kind pair", repetitions, make, write=True)


# -- timing ---------------------------------------------------------------------------------------


def _rows(session: Session, text: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [tuple(r.values()) for r in session.run(text, params)]


def _operators(session: Session, text: str, params: dict[str, Any]) -> list[str]:
    plan = session.run("EXPLAIN " + text, params).consume().plan or {}
    found: list[str] = []

    def walk(node: dict[str, Any]) -> None:
        name = str(node.get("operatorType", "")).split("@")[0]
        if name and name not in found:
            found.append(name)
        for child in node.get("children", []):
            walk(child)

    walk(plan)
    return found


def time_op(sa: Session, sb: Session, op: Op) -> dict[str, Any]:
    timings: dict[str, list[float]] = {"A": [], "B": []}
    sessions = {"A": sa, "B": sb}
    text_a, text_b, params0 = op.make(op.warm)
    plans = {"A": _operators(sa, text_a, params0), "B": _operators(sb, text_b, params0)}
    warm_up = range(op.warm) if op.write else range(op.repetitions)
    for i in warm_up:
        a, b, params = op.make(i)
        _rows(sa, a, params)
        _rows(sb, b, params)
    mismatches = 0
    texts: dict[str, set[str]] = {"A": set(), "B": set()}
    for i in range(op.warm, op.warm + op.repetitions):
        a, b, params = op.make(i)
        query = {"A": a, "B": b}
        results = {}
        for model in ("A", "B") if i % 2 == 0 else ("B", "A"):
            texts[model].add(query[model])
            started = time.perf_counter()
            results[model] = _rows(sessions[model], query[model], params)
            timings[model].append(time.perf_counter() - started)
        if results["A"] != results["B"]:
            mismatches += 1
    a50 = statistics.median(timings["A"]) * 1000
    b50 = statistics.median(timings["B"]) * 1000
    return {
        "operation": op.name,
        "repetitions": op.repetitions,
        "a_p50_ms": round(a50, 3),
        "b_p50_ms": round(b50, 3),
        "b_over_a": round(b50 / a50, 2),
        "mismatches": mismatches,
        "a_query_texts": len(texts["A"]),
        "b_query_texts": len(texts["B"]),
        "a_plan": plans["A"],
        "b_plan": plans["B"],
    }


# -- the run --------------------------------------------------------------------------------------


def run(driver: Driver, args: argparse.Namespace) -> dict[str, Any]:
    graph = generate(args.components, args.deliveries, args.seed)
    rng = random.Random(args.seed)
    report: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "cores": os.cpu_count(),
        "graph": {"components": len(graph.components), "deliveries": len(graph.deliveries)},
    }
    with driver.session(database=args.database) as sa, driver.session(database=args.database) as sb:
        drop_scratch(sa)
        try:
            loads = {"A": load(sa, graph, "A"), "B": load(sb, graph, "B")}
            report["load"] = {
                m: {
                    "delivery_schema_objects": r.schema_objects,
                    "schema_seconds": round(r.schema_seconds, 2),
                    "load_seconds": round(r.load_seconds, 2),
                    "rows_per_s": round(
                        (len(graph.components) + len(graph.deliveries)) / r.load_seconds
                    ),
                }
                for m, r in loads.items()
            }
            ids = [d.id for d in rng.sample(graph.deliveries, 300)]
            known = [
                (d.id, DeliveryKind(d.fields["kind"])) for d in rng.sample(graph.deliveries, 300)
            ]
            centers = [c.id for c in rng.sample(graph.components, 100)]
            scenarios = ["baseline", "carbon-tax", "high-growth", "deregulation"]
            pairs = [(rng.choice(KINDS), rng.choice(scenarios)) for _ in range(100)]
            ops = [
                lookup_unknown_kind(ids),
                lookup_known_kind(known),
                lookup_dynamic_type(known),
                neighbourhood(centers),
                kind_and_scenario(pairs),
                count_by_kind(a_uses_index=False),
                count_by_kind(a_uses_index=True),
            ]
            one_pair = kind_change_one_pair(graph, rng, args.updates, warm=20)
            taken = {one_pair.make(i)[2]["id"] for i in range(one_pair.warm + args.updates)}
            ops += [one_pair, kind_change_any_pair(graph, rng, args.updates, taken)]
            report["operations"] = []
            for op in ops:
                result = time_op(sa, sb, op)
                report["operations"].append(result)
                print(f"  {op.name}: done")
        finally:
            if not args.keep:
                drop_scratch(sa)
    return report


def print_report(report: dict[str, Any]) -> None:
    g = report["graph"]
    print(
        f"\nkind storage, {report['date']}, cores={report['cores']}: "
        f"{g['components']} components, {g['deliveries']} deliveries per model"
    )
    header = (
        f"{'operation':<42} {'A p50 ms':>9} {'B p50 ms':>9} {'B/A':>7}  same answers  texts A/B"
    )
    print(header)
    print("-" * len(header))
    for r in report["operations"]:
        same = "yes" if r["mismatches"] == 0 else f"NO ({r['mismatches']})"
        print(
            f"{r['operation']:<42} {r['a_p50_ms']:>9.2f} {r['b_p50_ms']:>9.2f} "
            f"{r['b_over_a']:>6.2f}x  {same:<12}  {r['a_query_texts']}/{r['b_query_texts']}"
        )
    la, lb = report["load"]["A"], report["load"]["B"]
    print(
        f"{'load (nodes + relationships)':<42} {la['load_seconds'] * 1000:>9.0f} "
        f"{lb['load_seconds'] * 1000:>9.0f} {lb['load_seconds'] / la['load_seconds']:>6.2f}x"
    )
    print(
        f"{'create delivery indexes/constraints':<42} {la['schema_seconds'] * 1000:>9.0f} "
        f"{lb['schema_seconds'] * 1000:>9.0f} {lb['schema_seconds'] / la['schema_seconds']:>6.2f}x"
    )
    print(
        f"delivery indexes + constraints: A {la['delivery_schema_objects']}, "
        f"B {lb['delivery_schema_objects']} (one id constraint and one scenario index per type)"
    )
    print("\nplan operators (first repetition):")
    for r in report["operations"]:
        print(f"  {r['operation']}")
        print(f"    A: {', '.join(r['a_plan'])}")
        print(f"    B: {', '.join(r['b_plan'])}")


def main(argv: list[str] | None = None) -> int:
    env = os.environ
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--neo4j-uri", default=env.get("SFM_NEO4J_URI") or env.get("NEO4J_URI"))
    p.add_argument("--neo4j-user", default=env.get("SFM_NEO4J_USER", "neo4j"))
    p.add_argument("--password", default=env.get("SFM_NEO4J_PASSWORD") or env.get("NEO4J_PASSWORD"))
    p.add_argument("--database", default="neo4j")
    p.add_argument("--components", type=int, default=5_000)
    p.add_argument("--deliveries", type=int, default=25_000)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--updates", type=int, default=100, help="kind changes timed per variant")
    p.add_argument("--keep", action="store_true", help="leave the scratch data in place")
    p.add_argument("--allow-shared-instance", action="store_true")
    p.add_argument("--json", type=Path)
    args = p.parse_args(argv)
    if not args.neo4j_uri or not args.password:
        p.error('give --neo4j-uri and --password, or eval "$(tools/env.sh bench)" first')
    try:
        check_target(args.neo4j_uri, allow_shared=args.allow_shared_instance)
    except RefusedToWipe as exc:
        print(f"kind_storage: {exc}", file=sys.stderr)
        return 2
    with GraphDatabase.driver(
        args.neo4j_uri, auth=(args.neo4j_user, args.password), notifications_min_severity="OFF"
    ) as driver:
        report = run(driver, args)
    print_report(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(f"\nfigures written to {args.json}")
    return 0 if all(r["mismatches"] == 0 for r in report["operations"]) else 1


if __name__ == "__main__":
    sys.exit(main())
