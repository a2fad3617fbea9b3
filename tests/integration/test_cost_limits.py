"""The static cost limit cannot be bypassed with variables, defaults, fragments or aliases.

Each test attacks over real HTTP (uvicorn on loopback) as the role the limit is meant to stop.
The analysis once read the raw request variables: a variable left to its default or an Int sent
as `100.0` counted as the default size while execution used the real one, so a viewer's 2.4 M
delivery rows passed as 48,021 points (under the viewer's 50,000).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from sfm_graphql.graphql.core.ids import to_global_id
from sfm_graphql.settings import Settings

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("clean_graph")]

Send = Callable[..., Any]


@pytest.fixture
async def as_role(live_server_url: str, issue_token: Any) -> AsyncIterator[Send]:
    """`await as_role("viewer")(query, variables)`: the decoded response, each role a fresh
    subject so that no test spends another's budget."""
    opened: list[httpx.AsyncClient] = []

    def make(role: str) -> Send:
        token = issue_token(role, subject=f"cost-{role}-{uuid.uuid4()}", mfa=True)
        http = httpx.AsyncClient(
            base_url=live_server_url, headers={"Authorization": f"Bearer {token}"}, timeout=30
        )
        opened.append(http)

        async def send(query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
            response = await http.post("/graphql", json={"query": query, "variables": variables})
            body: dict[str, Any] = response.json()
            return body

        return send

    yield make
    for http in opened:
        await http.aclose()


def code_of(body: dict[str, Any]) -> str:
    assert body.get("errors"), body
    code: str = body["errors"][0]["extensions"]["code"]
    return code


def cost_of(body: dict[str, Any]) -> int:
    requested: int = body["extensions"]["cost"]["requested"]
    return requested


def actor_ids(count: int) -> list[str]:
    return [to_global_id("Actor", str(uuid.UUID(int=i + 1))) for i in range(count)]


ATTACK_BODY = """nodes(ids: $ids) { ... on Actor { outgoing(first: 100) { edges { node {
  target { outgoing(first: 45) { edges { node { kind } } } } } } } } }"""


async def test_the_reported_attack_with_ids_in_a_variable_default_is_refused(
    as_role: Send, settings: Settings
) -> None:
    ids = ", ".join(f'"{i}"' for i in actor_ids(500))
    attack = f"query($ids: [ID!]! = [{ids}]) {{ {ATTACK_BODY} }}"
    body = await as_role("viewer")(attack)
    assert code_of(body) == "MAX_COST_EXCEEDED"
    assert body["data"] is None
    # 500 actors x 100 deliveries x 45 deliveries of their targets: millions of rows.
    assert cost_of(body) > 2_000_000
    assert body["errors"][0]["extensions"]["limit"] == settings.max_cost_by_role["viewer"]
    sent = await as_role("viewer")(
        f"query($ids: [ID!]!) {{ {ATTACK_BODY} }}", {"ids": actor_ids(500)}
    )
    assert cost_of(sent) == cost_of(body)


async def test_a_page_size_left_to_its_variable_default_counts_as_that_size(
    as_role: Send,
) -> None:
    literal = """{ components(first: 100) { edges { node { outgoing(first: 100) { edges {
      node { target { outgoing(first: 100) { edges { node { kind } } } } } } } } } } }"""
    defaulted = """query($n: Int = 100) { components(first: $n) { edges { node {
      outgoing(first: $n) { edges { node { target { outgoing(first: $n) { edges {
      node { kind } } } } } } } } } } }"""
    viewer = as_role("viewer")
    by_literal = await viewer(literal)
    by_default = await viewer(defaulted)
    as_float = await viewer(defaulted, {"n": 100.0})
    assert code_of(by_literal) == code_of(by_default) == code_of(as_float) == "MAX_COST_EXCEEDED"
    assert cost_of(by_literal) == cost_of(by_default) == cost_of(as_float) > 1_000_000


async def test_fragments_and_aliases_cost_what_the_inline_selection_costs(
    as_role: Send,
) -> None:
    inline = """query($n: Int = 100) { components(first: $n) { edges { node {
      outgoing(first: $n) { edges { node { kind } } } } } } }"""
    spread = """
    fragment Out on Component { a: outgoing(first: $n) { edges { ...Edge } } }
    fragment Edge on DeliveryEdge { node { kind } }
    query($n: Int = 100) { c: components(first: $n) { edges { node { ... on Actor { ...Out }
      ... on Policy { ...Out } } } } }"""
    viewer = as_role("viewer")
    base = cost_of(await viewer(inline))
    # The fragment is spread twice (once per type condition), so it counts twice.
    assert cost_of(await viewer(spread)) >= 2 * base - 200


async def test_server_sized_matrix_lists_count_their_worst_case(
    as_role: Send, settings: Settings
) -> None:
    matrix_id = to_global_id("Matrix", str(uuid.uuid4()))
    cells = """query($id: ID!) { matrix(id: $id) { rows { cells { deliveries { kind } } } } }"""
    body = await as_role("viewer")(cells, {"id": matrix_id})
    assert code_of(body) == "MAX_COST_EXCEEDED"
    # Every row and column of the largest matrix allowed, and every delivery it may hold.
    assert cost_of(body) >= settings.max_matrix_components**2
    assert cost_of(body) >= settings.max_matrix_deliveries
    through_nodes = await as_role("viewer")(
        "query($ids: [ID!]!) { nodes(ids: $ids) { ... on Matrix { cells(nonEmptyOnly: false) "
        "{ deliveries { kind } } } } }",
        {"ids": [matrix_id, to_global_id("Matrix", str(uuid.uuid4()))]},
    )
    assert code_of(through_nodes) == "MAX_COST_EXCEEDED"
    csv = await as_role("viewer")("query($id: ID!) { matrix(id: $id) { csv } }", {"id": matrix_id})
    assert "errors" not in csv  # no such matrix: null, but the rendering is paid for
    assert cost_of(csv) > settings.max_matrix_deliveries // 10


async def test_comparison_lists_count_the_limit_of_their_field_including_its_default(
    as_role: Send, settings: Settings
) -> None:
    query = """query($limit: Int! = 100) { compareScenarios(base: "a", other: "b", limit: $limit) {
      onlyInBase { source { label } baseDeliveries { kind } } } }"""
    viewer = as_role("viewer")
    defaulted = await viewer(query)
    small = await viewer(query, {"limit": 1})
    large = await viewer(query, {"limit": settings.max_comparison_rows})
    assert cost_of(small) < cost_of(defaulted) < cost_of(large)
    assert cost_of(large) >= settings.max_comparison_rows * 10


async def test_neighborhood_lists_count_every_component_it_may_reach(
    as_role: Send, settings: Settings
) -> None:
    query = """query($id: ID!) { neighborhood(id: $id) { components { label }
      distances { hops } } }"""
    body = await as_role("viewer")(query, {"id": actor_ids(1)[0]})
    assert cost_of(body) >= 2 * settings.max_neighborhood_nodes


async def test_hidden_heavy_scalars_and_the_scenario_scan_are_paid_for(as_role: Send) -> None:
    viewer = as_role("viewer")
    plain = cost_of(await viewer("{ components { pageInfo { hasNextPage } } }"))
    counted = cost_of(await viewer("{ components { pageInfo { hasNextPage } totalCount } }"))
    assert counted > plain
    # The count is paid once per connection, not once per edge.
    once = cost_of(await viewer("{ components { totalCount } }"))
    assert cost_of(await viewer("{ components(first: 100) { totalCount } }")) == once
    assert cost_of(await viewer("{ scenarios { name } }")) >= 1000


async def test_one_export_per_request_whatever_the_aliases_or_fragments(
    as_role: Send, settings: Settings
) -> None:
    manager = as_role("data_manager")
    one = await manager(
        "query($f: ExportFormat!) { exportGraph(format: $f) { format } }", {"f": "JSON"}
    )
    assert "errors" not in one, one
    assert cost_of(one) > settings.max_export_deliveries // 10
    for twice in (
        "{ a: exportGraph(format: JSON) { format } b: exportGraph(format: CSV) { format } }",
        "fragment E on Query { exportGraph(format: JSON) { format } } { ...E x: exportGraph("
        "format: CSV) { format } }",
    ):
        body = await manager(twice)
        assert code_of(body) == "LIMIT_EXCEEDED"
        assert body["errors"][0]["extensions"]["limit"] == settings.max_exports_per_request


async def test_out_of_range_sizes_are_refused_as_bad_input_not_counted_past_the_maximum(
    as_role: Send, settings: Settings
) -> None:
    viewer = as_role("viewer")
    body = await viewer(
        "query($n: Int) { components(first: $n) { edges { node { id } } } }",
        {"n": settings.max_page_size + 1},
    )
    assert code_of(body) == "BAD_USER_INPUT"
