"""The analysis graph read from Neo4j equals its definition (docs/analytics.md), built in NetworkX."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import networkx as nx
import pytest

from sfm_graphql.db.cypher_registry import CypherRegistry
from sfm_graphql.db.database import Database, create_driver
from sfm_graphql.domain.enums import ComponentType
from sfm_graphql.domain.kinds import DeliveryKind
from sfm_graphql.errors import AnalysisTooLarge
from sfm_graphql.services.analytics.graph import AnalysisGraph, load_graph
from sfm_graphql.services.analytics.scope import Scope
from sfm_graphql.settings import Settings
from tests.services import wipe_graph

KINDS = [k.value for k in list(DeliveryKind)[:2]]
# (source, target, weight, scenario, kind index, time slice); c1 -> c1 is a self-delivery.
DELIVERIES = [
    ("c1", "c2", 1.0, "baseline", 0, "2020"),
    ("c1", "c2", 2.5, "baseline", 1, "2021"),  # parallel: one edge of weight 3.5
    ("c2", "c3", -1.0, "baseline", 0, "2020"),
    ("c3", "c1", 4.0, "reform", 0, "2020"),
    ("c1", "c1", 9.0, "baseline", 0, "2020"),
    ("c4", "c2", 1.0, "reform", 1, "2021"),
]
LABELS = {"c1": "Policy", "c2": "Actor", "c3": "Institution", "c4": "Actor", "c5": "Actor"}


def expected(scope: Scope) -> nx.DiGraph:
    graph = nx.DiGraph()
    labels = {t.label for t in scope.types}
    for s, t, w, scenario, kind, time_slice in DELIVERIES:
        if s == t or (scope.scenario and scenario != scope.scenario):
            continue
        if scope.kinds and KINDS[kind] not in {k.value for k in scope.kinds}:
            continue
        if scope.time_slice and time_slice != scope.time_slice:
            continue
        if labels and not {LABELS[s], LABELS[t]} <= labels:
            continue
        old = graph.get_edge_data(s, t, {"weight": 0.0})["weight"]
        graph.add_edge(s, t, weight=old + w)
    return graph


def as_networkx(graph: AnalysisGraph) -> nx.DiGraph:
    out = nx.DiGraph()
    for s, t, w in zip(graph.sources, graph.targets, graph.weights, strict=True):
        out.add_edge(graph.ids[s], graph.ids[t], weight=w)
    return out


@pytest.fixture
async def db(settings: Settings, neo4j_driver: Any, clean_graph: None) -> AsyncIterator[Database]:
    with neo4j_driver.session() as session:
        session.run(
            "UNWIND $components AS c CREATE (n:Component {id: c.id}) "
            "FOREACH (_ IN CASE WHEN c.label = 'Policy' THEN [1] ELSE [] END | SET n:Policy) "
            "FOREACH (_ IN CASE WHEN c.label = 'Actor' THEN [1] ELSE [] END | SET n:Actor) "
            "FOREACH (_ IN CASE WHEN c.label = 'Institution' THEN [1] ELSE [] END "
            "| SET n:Institution)",
            components=[{"id": i, "label": label} for i, label in LABELS.items()],
        ).consume()
        session.run(
            "UNWIND $rows AS r MATCH (s:Component {id: r.s}), (t:Component {id: r.t}) "
            "CREATE (s)-[:DELIVERS {id: randomUUID(), weight: r.w, scenario: r.scenario, "
            "kind: r.kind, timeSlice: r.slice}]->(t)",
            rows=[
                {"s": s, "t": t, "w": w, "scenario": sc, "kind": KINDS[k], "slice": ts}
                for s, t, w, sc, k, ts in DELIVERIES
            ],
        ).consume()
    database = Database(create_driver(settings), CypherRegistry.load(), settings)
    yield database
    await database.close()
    wipe_graph(neo4j_driver)  # bare nodes (no label, version, ...) are no components for others


@pytest.mark.parametrize(
    "scope",
    [
        Scope.of(),
        Scope.of(scenario="baseline"),
        Scope.of(kinds=[next(iter(DeliveryKind))]),
        Scope.of(time_slice="2021"),
        Scope.of(types=[ComponentType.ACTOR, ComponentType.POLICY]),
        Scope.of(scenario="nowhere"),
    ],
)
async def test_the_analysis_graph_is_its_definition(
    db: Database, settings: Settings, scope: Scope
) -> None:
    graph = await load_graph(db, scope, settings)
    want = expected(scope)
    got = as_networkx(graph)
    assert sorted(got.nodes) == sorted(want.nodes)  # c5 (no delivery) is never a node
    assert {(s, t): d["weight"] for s, t, d in got.edges(data=True)} == pytest.approx(
        {(s, t): d["weight"] for s, t, d in want.edges(data=True)}
    )
    assert list(graph.ids) == sorted(graph.ids)  # node numbers follow component ids
    assert all(graph.index_of(c) == i for i, c in enumerate(graph.ids))


async def test_a_graph_over_the_bounds_is_refused(db: Database, settings: Settings) -> None:
    small = settings.model_copy(update={"analysis_max_edges": 2})
    with pytest.raises(AnalysisTooLarge):
        await load_graph(db, Scope.of(), small)
    few_nodes = settings.model_copy(update={"analysis_max_nodes": 2})
    with pytest.raises(AnalysisTooLarge):
        await load_graph(db, Scope.of(), few_nodes)
