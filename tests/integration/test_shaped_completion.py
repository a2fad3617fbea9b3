"""Objects completed by shapes (graphql/core/shaped.py) answer exactly what graphql-core's own
field-by-field completion answers: the same documents against the demo model, once with shapes
and once with every shape refused, compared whole (values, key order, errors)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from sfm_graphql.demo.loader import load_demo
from sfm_graphql.graphql.core.direct import direct_reader
from sfm_graphql.graphql.core.ids import to_global_id
from sfm_graphql.graphql.core.shaped import Shape, ShapingExecutor
from sfm_graphql.settings import Settings
from tests.services import GraphQLClient

pytestmark = pytest.mark.integration

MISSING = to_global_id("Actor", "00000000-0000-4000-8000-000000000000")  # names no component
NAMED = "fragment Named on Component { __typename id label type }\n"
ACTORISH = "fragment Actorish on Actor { sector }\n"

DOCUMENTS: list[tuple[str, dict[str, Any]]] = [
    (
        NAMED
        + ACTORISH
        + """
query Page($withOut: Boolean!, $skipCursor: Boolean!, $n: Int!) {
  components(first: $n, orderBy: {field: LABEL}) {
    __typename totalCount
    edges { __typename cursor @skip(if: $skipCursor) node { ...Named ...Actorish
      version createdAt updatedAt certainty metadata
      out: outgoing(first: 3) @include(if: $withOut) { totalCount edges { cursor node {
        __typename id kind weight ceremonialTendency kindInfo { kind ceremonialTendency }
        source { id } target { ...Named ... on Policy { label } } } } }
      incoming(first: 2) { edges { node { kind source { label type } } } pageInfo { hasNextPage } }
    } }
    pageInfo { __typename hasNextPage hasPreviousPage startCursor endCursor }
  }
}""",
        {"withOut": True, "skipCursor": False, "n": 7},
    ),
    (
        NAMED
        + """
query Page($withOut: Boolean!, $skipCursor: Boolean!, $n: Int!) {
  components(first: $n) { edges { cursor @skip(if: $skipCursor) node { ...Named
    out: outgoing(first: 3) @include(if: $withOut) { edges { node { kind } } } } } }
}""",
        {"withOut": False, "skipCursor": True, "n": 100},
    ),
    (
        """query Deliveries { deliveries(first: 20, orderBy: {field: WEIGHT, direction: DESC}) {
          edges { node { id uuid kind deliveryType quantity unit weight certainty description
            timeSlice scenario validFrom validTo metadata externalKey version
            first: source { label } second: target { label ... on Actor { sector } } } }
          pageInfo { endCursor } } }""",
        {},
    ),
]


async def _answers(client: httpx.AsyncClient, ids: list[str]) -> list[str]:
    documents = [
        *DOCUMENTS,
        (
            NAMED
            + ACTORISH
            + "query N($id: ID!) { node(id: $id) { __typename id ...Named ...Actorish } }",
            {"id": ids[0]},
        ),
        (
            NAMED + "query M($ids: [ID!]!) { nodes(ids: $ids) { ...Named } }",
            {"ids": [*ids[:5], MISSING]},
        ),
        (
            "query R($id: ID!) { reach(from: $id, direction: BOTH, maxDepth: 2) { truncated "
            "components { distance strongestPathWeight component { __typename id label } } } }",
            {"id": ids[0]},
        ),
    ]
    answers = []
    for query, variables in documents:
        response = await client.post("/graphql", json={"query": query, "variables": variables})
        assert response.status_code == 200, response.text
        body = response.json()
        # `extensions` carries the budget left, which every request spends.
        answers.append(json.dumps({"data": body.get("data"), "errors": body.get("errors")}))
    return answers


async def test_shapes_answer_what_graphql_core_answers(
    settings: Settings, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    await load_demo(settings)
    data = await GraphQLClient(client).data("{ components(first: 10) { edges { node { id } } } }")
    ids = [edge["node"]["id"] for edge in data["components"]["edges"]]

    completed: list[str] = []
    complete = Shape.complete

    def counted(self: Shape, executor: Any, value: Any, path: Any) -> Any:
        result = complete(self, executor, value, path)
        completed.append(self.type_name)
        return result

    with monkeypatch.context() as patch:
        patch.setattr(Shape, "complete", counted)
        shaped = await _answers(client, ids)
    # Shapes did the work: connections, edges, components of several types, deliveries.
    assert {"ComponentConnection", "ComponentEdge", "DeliveryEdge", "Delivery", "PageInfo"} <= set(
        completed
    ), sorted(set(completed))
    made: list[str] = []

    def refused(self: ShapingExecutor, object_type: Any, field_group: Any) -> Shape | None:
        made.append(object_type.name)
        return None  # no shape: graphql-core completes every object

    monkeypatch.setattr(ShapingExecutor, "_make_shape", refused)
    plain = await _answers(client, ids)

    assert made, "no object was offered a shape"
    for with_shapes, without in zip(shaped, plain, strict=True):
        assert json.loads(without)["errors"] is None, without
        assert with_shapes == without  # as text: values, key order and nulls alike


async def test_a_shaped_resolver_that_fails_leaves_the_object_to_graphql_core(
    settings: Settings, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    await load_demo(settings)
    query = "{ components(first: 3) { edges { node { label } } totalCount } }"

    def uncounted(root: Any, info: Any) -> int:
        raise ValueError("not counted")

    with_shapes = (await client.post("/graphql", json={"query": query})).json()["data"]

    # A direct resolver that fails: graphql-core completes the object and reports the error.
    real = direct_reader

    def failing(resolve: Any) -> Any:
        reads = real(resolve)
        if reads is not None and reads[1] is not None and reads[1].__name__ == "_total_count":
            return (None, uncounted)
        return reads

    monkeypatch.setattr("sfm_graphql.graphql.core.shaped.direct_reader", failing)
    body = (await client.post("/graphql", json={"query": query})).json()
    # The shape gave up on the connection; graphql-core's own resolver counted it.
    assert "errors" not in body and body["data"] == with_shapes
