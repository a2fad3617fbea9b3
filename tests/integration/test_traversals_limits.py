"""The traversal fields are bounded: roles, argument bounds, cost (variables, aliases and
fragments included), graph size, time, and `truncated` lists."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from sfm_graphql.app import create_app
from sfm_graphql.security.principal import Role
from sfm_graphql.settings import Settings
from tests.integration.traversal_graphs import SHAPES, dense, fresh_analyst, seed
from tests.services import GraphQLClient

pytestmark = pytest.mark.integration

FIELDS = {
    "shortestPath": "shortestPath(from: $a, to: $b) { length }",
    "paths": "paths(from: $a, to: $b, maxLength: 3) { truncated }",
    "reach": "reach(from: $a) { truncated }",
    "policyImpact": "policyImpact(policy: $a, radius: 2) { density }",
    "feedbackLoops": "feedbackLoops(maxLength: 3) { truncated }",
    "leveragePoints": "leveragePoints(maxLength: 3) { loops }",
    "simulateRemoval": "simulateRemoval(ids: [$a]) { truncated }",
}
PATHS = """
query($a: ID!, $b: ID!, $maxLength: Int!, $limit: Int!) {
  paths(from: $a, to: $b, maxLength: $maxLength, limit: $limit) {
    paths { components { id label } deliveries { id weight } }
    truncated
  }
}"""


@pytest.fixture
def analyst(token_gql: Any) -> GraphQLClient:
    return fresh_analyst(token_gql)


def operation(field: str) -> str:
    declared = ", ".join(f"${v}: ID!" for v in ("a", "b") if f"${v}" in FIELDS[field])
    return f"query({declared}) {{ {FIELDS[field]} }}" if declared else f"{{ {FIELDS[field]} }}"


@asynccontextmanager
async def served(
    settings: Settings, issue_token: Callable[..., str], **limits: Any
) -> AsyncIterator[GraphQLClient]:
    """An analyst's client on an app built with other limits."""
    app = create_app(settings.model_copy(update=limits))
    token = issue_token("analyst", subject=f"traversal-limits-{uuid.uuid4()}")
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", headers=headers, timeout=60
        ) as http:
            yield GraphQLClient(http)


@pytest.mark.parametrize("field", sorted(FIELDS))
async def test_viewers_are_refused_and_analysts_served(
    gql: GraphQLClient, token_gql: Any, neo4j_driver: Any, field: str
) -> None:
    seeded = await seed(gql, neo4j_driver, SHAPES["tree"])
    ids = {"a": seeded.ids["n00"], "b": seeded.ids["n07"]}
    variables = {k: v for k, v in ids.items() if f"${k}" in FIELDS[field]}
    viewer = token_gql(Role.VIEWER, subject=f"traversal-viewer-{uuid.uuid4()}")
    assert await viewer.error_code(operation(field), variables) == "FORBIDDEN"
    await fresh_analyst(token_gql).data(operation(field), variables)


@pytest.mark.parametrize(
    ("document", "variables"),
    [
        (PATHS, {"maxLength": 13, "limit": 10}),  # analysis_max_path_length is 12
        (PATHS, {"maxLength": 0, "limit": 10}),
        (PATHS, {"maxLength": 3, "limit": 0}),
        (PATHS, {"maxLength": 3, "limit": 1001}),  # analysis_max_results is 1000
        ("query($a: ID!) { feedbackLoops(through: $a, maxLength: 13) { truncated } }", {}),
        ("query { leveragePoints(maxLength: 3, limit: 0) { loops } }", {}),
        ("query($a: ID!) { reach(from: $a, maxDepth: 0) { truncated } }", {}),
        ('query { reach(from: "not-an-id") { truncated } }', {}),
        ('query($a: ID!) { shortestPath(from: $a, to: "QWN0b3I6eA") { length } }', {}),
    ],
)
async def test_arguments_out_of_bounds_are_refused(
    gql: GraphQLClient,
    analyst: GraphQLClient,
    neo4j_driver: Any,
    document: str,
    variables: dict[str, Any],
) -> None:
    seeded = await seed(gql, neo4j_driver, SHAPES["tree"])
    ids = {"a": seeded.ids["n00"], "b": seeded.ids["n07"]}
    used = {k: v for k, v in ids.items() if f"${k}" in document}
    assert await analyst.error_code(document, {**used, **variables}) == "BAD_USER_INPUT"


async def test_large_answers_are_refused_by_cost_however_they_are_written(
    gql: GraphQLClient, analyst: GraphQLClient, neo4j_driver: Any
) -> None:
    seeded = await seed(gql, neo4j_driver, SHAPES["tree"])
    ids = {"a": seeded.ids["n00"], "b": seeded.ids["n07"]}
    # 1000 paths of up to 13 components and 120 deliveries each: over an analyst's 100,000.
    by_variable = await analyst.execute(PATHS, {**ids, "maxLength": 12, "limit": 1000})
    assert by_variable["errors"][0]["extensions"]["code"] == "MAX_COST_EXCEEDED"
    defaulted = PATHS.replace("$limit: Int!", "$limit: Int! = 1000")
    by_default = await analyst.execute(defaulted, {**ids, "maxLength": 12})
    assert by_default["errors"][0]["extensions"]["code"] == "MAX_COST_EXCEEDED"
    # Each of these is affordable; ten aliases of it are not.
    one = (
        "feedbackLoops(maxLength: 12, limit: 100) { loops { components { id } deliveries { id } } }"
    )
    assert "errors" not in await analyst.execute(f"{{ {one} }}")
    aliased = " ".join(f"l{i}: {one}" for i in range(10))
    body = await analyst.execute(f"{{ {aliased} }}")
    assert body["errors"][0]["extensions"]["code"] == "MAX_COST_EXCEEDED"
    in_fragment = "fragment F on Query { " + aliased + " } query { ...F }"
    body = await analyst.execute(in_fragment)
    assert body["errors"][0]["extensions"]["code"] == "MAX_COST_EXCEEDED"


async def test_a_graph_over_the_size_bound_is_refused(
    gql: GraphQLClient, settings: Settings, issue_token: Any, neo4j_driver: Any
) -> None:
    seeded = await seed(gql, neo4j_driver, SHAPES["tree"])
    async with served(settings, issue_token, analysis_max_nodes=10) as small:
        body = await small.execute(operation("reach"), {"a": seeded.ids["n00"]})
        assert body["errors"][0]["extensions"]["code"] == "ANALYSIS_TOO_LARGE"


async def test_a_search_over_its_time_stops_with_analysis_too_large(
    gql: GraphQLClient, settings: Settings, issue_token: Any, neo4j_driver: Any
) -> None:
    # Every ordered pair of 12 components: hundreds of millions of loops of up to 12 hops.
    await seed(gql, neo4j_driver, dense(12, 1.0, 7))
    limits = {"analysis_timeout_s": 1.0, "analysis_max_loops_counted": 10**9}
    async with served(settings, issue_token, **limits) as slow:
        started = time.monotonic()
        body = await slow.execute("{ leveragePoints(maxLength: 12) { loops } }")
        assert body["errors"][0]["extensions"]["code"] == "ANALYSIS_TOO_LARGE"
        assert time.monotonic() - started < 10  # stopped near its deadline, not at the end
        # The worker is free: the next analysis answers.
        answer = await slow.data("{ feedbackLoops(maxLength: 2, limit: 5) { truncated } }")
        assert answer["feedbackLoops"]["truncated"] is True


async def test_long_lists_are_cut_and_say_truncated(
    gql: GraphQLClient, settings: Settings, issue_token: Any, neo4j_driver: Any
) -> None:
    seeded = await seed(gql, neo4j_driver, SHAPES["tree"])
    reach = "query($a: ID!) { reach(from: $a) { components { distance } truncated } }"
    removal = "query($a: ID!) { simulateRemoval(ids: [$a], cascade: true) { disconnected { id } rounds { failed { id } } truncated } }"
    async with served(settings, issue_token, analysis_max_results=5) as few:
        got = (await few.data(reach, {"a": seeded.ids["n00"]}))["reach"]
        assert got == {"components": [{"distance": d} for d in (1, 1, 2, 2, 2)], "truncated": True}
        cut = (await few.data(removal, {"a": seeded.ids["n00"]}))["simulateRemoval"]
        assert cut["truncated"] is True
        assert sum(len(r["failed"]) for r in cut["rounds"]) == 5
        assert len(cut["disconnected"]) <= 5
