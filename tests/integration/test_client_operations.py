"""Operations as real clients write them, over real HTTP: every argument in a variable.

Relay's compiler and most Apollo Client code put every argument in a variable, add `__typename`
everywhere, spread fragments on interfaces and concrete types and page with a variable `after`.
The planner once read variables in a way graphql-core does not support, so a variable in a
nested argument or in `@include`/`@skip` answered INTERNAL_SERVER_ERROR.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.integration.helpers import create_component, create_delivery
from tests.services import GraphQLClient

pytestmark = pytest.mark.integration


@pytest.fixture
async def http_gql(
    live_server_url: str, clean_graph: None, issue_token: Any
) -> AsyncIterator[GraphQLClient]:
    headers = {"Authorization": f"Bearer {issue_token('admin', mfa=True)}"}
    async with httpx.AsyncClient(base_url=live_server_url, headers=headers, timeout=30) as http:
        yield GraphQLClient(http)


@pytest.fixture
async def model(http_gql: GraphQLClient) -> dict[str, str]:
    """A policy that mandates three actors (two in `alt`), and a matrix of them."""
    ids = {"policy": await create_component(http_gql, "POLICY", "Act", authority="Congress")}
    for i in range(3):
        ids[f"actor{i}"] = await create_component(http_gql, "ACTOR", f"Actor {i}")
        await create_delivery(
            http_gql,
            ids["policy"],
            ids[f"actor{i}"],
            "MANDATES",
            deliveryType="RULE",
            weight=0.5 + i / 10,
            scenario="baseline" if i == 0 else "alt",
        )
    created = await http_gql.data(
        "mutation($i: CreateMatrixInput!) { createMatrix(input: $i) { matrix { id } } }",
        {"i": {"name": "M", "componentIds": [ids["policy"], ids["actor0"]]}},
    )
    ids["matrix"] = created["createMatrix"]["matrix"]["id"]
    return ids


def _no_errors(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body["errors"]
    data: dict[str, Any] = body["data"]
    return data


NESTED = """
query($n: Int!) { components(first: 2) { edges { node { outgoing(first: $n) {
  edges { node { kind } } } } } } }"""


async def test_a_variable_in_a_nested_connection_argument(
    http_gql: GraphQLClient, model: dict[str, str]
) -> None:
    data = _no_errors(await http_gql.execute(NESTED, {"n": 2}))
    policy = data["components"]["edges"][0]["node"]
    assert len(policy["outgoing"]["edges"]) == 2


async def test_variable_defaults_apply_at_the_root_and_nested(
    http_gql: GraphQLClient, model: dict[str, str]
) -> None:
    query = """query($n: Int = 1, $m: Int = 3, $order: DeliveryOrder = {field: WEIGHT, direction: DESC}) {
      components(first: $n) { edges { node { label outgoing(first: $m, orderBy: $order) {
        edges { node { weight target { label } } } } } } } }"""
    data = _no_errors(await http_gql.execute(query))
    edges = data["components"]["edges"]
    assert [e["node"]["label"] for e in edges] == ["Act"]
    weights = [e["node"]["weight"] for e in edges[0]["node"]["outgoing"]["edges"]]
    assert weights == sorted(weights, reverse=True)
    assert len(weights) == 3


@pytest.mark.parametrize("shown", [True, False])
async def test_include_and_skip_with_variables_on_fields_and_fragments(
    http_gql: GraphQLClient, model: dict[str, str], shown: bool
) -> None:
    query = """
    fragment Out on Component { outgoing(first: $n) { edges { node { kind } } } }
    query($b: Boolean!, $n: Int) { components(first: 1) { edges { node {
      label @include(if: $b)
      id @skip(if: $b)
      ...Out @include(if: $b)
      ... on Policy @skip(if: $b) { authority }
      incoming @include(if: $b) { edges { node { kind } } }
    } } } }"""
    node = _no_errors(await http_gql.execute(query, {"b": shown, "n": 1}))["components"]["edges"][
        0
    ]["node"]
    if shown:
        assert node["label"] == "Act"
        assert node["outgoing"]["edges"] == [{"node": {"kind": "MANDATES"}}]
        assert "id" not in node and "authority" not in node
    else:
        assert set(node) == {"id", "authority"}


async def test_fragments_on_the_interface_and_concrete_types_with_aliases_and_typename(
    http_gql: GraphQLClient, model: dict[str, str]
) -> None:
    query = """
    fragment Edge on DeliveryEdge { __typename cursor node { __typename id kind
      target { __typename ... on Actor { name: label } } } }
    fragment Card on Component { __typename id label
      out: outgoing(first: $n, filter: $f) { __typename totalCount edges { ...Edge } }
    }
    query Page($n: Int!, $f: DeliveryFilter) {
      __typename
      list: components(first: 5, filter: {types: [POLICY]}) {
        __typename pageInfo { __typename hasNextPage }
        edges { __typename node { ...Card ... on Policy { __typename authority } } }
      }
    }"""
    data = _no_errors(
        await http_gql.execute(query, {"n": 10, "f": {"scenario": "alt", "minWeight": 0.1}})
    )
    assert data["__typename"] == "Query"
    node = data["list"]["edges"][0]["node"]
    assert node["__typename"] == "Policy"
    assert node["authority"] == "Congress"
    assert node["out"]["totalCount"] == 2
    names = sorted(e["node"]["target"]["name"] for e in node["out"]["edges"])
    assert names == ["Actor 1", "Actor 2"]
    assert all(e["__typename"] == "DeliveryEdge" for e in node["out"]["edges"])


async def test_cursor_pagination_with_a_variable_after_at_the_root_and_nested(
    http_gql: GraphQLClient, model: dict[str, str]
) -> None:
    root = """query($n: Int!, $after: String) { components(first: $n, after: $after) {
      edges { node { label } } pageInfo { hasNextPage endCursor } } }"""
    seen: list[str] = []
    after = None
    while True:
        page = _no_errors(await http_gql.execute(root, {"n": 1, "after": after}))["components"]
        seen += [e["node"]["label"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == 4
    nested = """query($id: ID!, $n: Int, $after: String, $last: Int, $before: String) {
      node(id: $id) { ... on Component { outgoing(first: $n, after: $after) {
        edges { cursor node { target { label } } } pageInfo { endCursor } }
        back: outgoing(last: $last, before: $before) { edges { node { target { label } } } } } } }"""
    variables = {"id": model["policy"], "n": 1, "after": None, "last": None, "before": None}
    first = _no_errors(await http_gql.execute(nested, variables))["node"]
    cursor = first["outgoing"]["pageInfo"]["endCursor"]
    second = _no_errors(await http_gql.execute(nested, {**variables, "after": cursor}))["node"]
    assert first["outgoing"]["edges"][0]["node"] != second["outgoing"]["edges"][0]["node"]
    back = _no_errors(
        await http_gql.execute(
            nested,
            {
                **variables,
                "n": None,
                "last": 1,
                "before": second["outgoing"]["pageInfo"]["endCursor"],
            },
        )
    )["node"]["back"]
    assert back["edges"][0]["node"] == first["outgoing"]["edges"][0]["node"]


async def test_every_root_field_takes_its_arguments_from_variables(
    http_gql: GraphQLClient, model: dict[str, str]
) -> None:
    query = """query(
      $id: ID!, $ids: [ID!]!, $n: Int, $cf: ComponentFilter, $co: ComponentOrder,
      $df: DeliveryFilter, $do: DeliveryOrder, $text: String!, $types: [ComponentType!],
      $hits: Int!, $depth: Int!, $dir: Direction!, $kinds: [DeliveryKind!], $scenario: String,
      $matrix: ID!, $nonEmpty: Boolean, $base: String!, $other: String!, $limit: Int!
    ) {
      node(id: $id) { id }
      nodes(ids: $ids) { id }
      components(first: $n, filter: $cf, orderBy: $co) { edges { node { label } } }
      deliveries(first: $n, filter: $df, orderBy: $do) { edges { node { kind } } }
      search(text: $text, types: $types, first: $hits) { component { label } }
      neighborhood(id: $id, depth: $depth, direction: $dir, kinds: $kinds, scenario: $scenario) {
        components { label } deliveries { kind } }
      matrix(id: $matrix) { name cells(nonEmptyOnly: $nonEmpty) { row column } }
      compareScenarios(base: $base, other: $other, limit: $limit) { onlyInOtherCount }
    }"""
    variables = {
        "id": model["policy"],
        "ids": [model["actor0"], model["actor0"], model["policy"]],
        "n": 5,
        "cf": {"types": ["ACTOR"]},
        "co": {"field": "LABEL", "direction": "DESC"},
        "df": {"kinds": ["MANDATES"], "scenario": "alt"},
        "do": {"field": "WEIGHT", "direction": "DESC"},
        "text": "Actor",
        "types": ["ACTOR"],
        "hits": 5,
        "depth": 1,
        "dir": "OUTGOING",
        "kinds": ["MANDATES"],
        "scenario": "alt",
        "matrix": model["matrix"],
        "nonEmpty": False,
        "base": "baseline",
        "other": "alt",
        "limit": 10,
    }
    data = _no_errors(await http_gql.execute(query, variables))
    assert [n["id"] for n in data["nodes"]] == variables["ids"]  # duplicates answered in place
    assert [e["node"]["label"] for e in data["components"]["edges"]] == [
        "Actor 2",
        "Actor 1",
        "Actor 0",
    ]
    assert len(data["deliveries"]["edges"]) == 2
    assert len(data["neighborhood"]["components"]) == 3  # the center and the two `alt` actors
    assert len(data["matrix"]["cells"]) == 4  # empty cells too
    assert data["compareScenarios"]["onlyInOtherCount"] == 2
    admin = """query($n: Int, $after: String, $revoked: Boolean!, $keys: Int!, $af: AuditLogFilter) {
      matrices(first: $n, after: $after) { edges { node { name } } }
      apiKeys(includeRevoked: $revoked, first: $keys) { id }
      oauthClients(includeRevoked: $revoked, first: $keys) { clientId }
      auditLog(first: $n, after: $after, filter: $af) { edges { node { action } } }
      scenarios { name }
    }"""
    data = _no_errors(
        await http_gql.execute(
            admin, {"n": 5, "revoked": True, "keys": 3, "af": {"action": "createComponent"}}
        )
    )
    assert [e["node"]["name"] for e in data["matrices"]["edges"]] == ["M"]
    assert data["auditLog"]["edges"]
    assert sorted(s["name"] for s in data["scenarios"]) == ["alt", "baseline"]
    export = _no_errors(
        await http_gql.execute(
            "query($f: ExportFormat!, $s: String) { exportGraph(format: $f, scenario: $s) "
            "{ format deliveryCount } }",
            {"f": "CSV", "s": "alt"},
        )
    )
    assert export["exportGraph"] == {"format": "CSV", "deliveryCount": 2}


async def test_an_int_sent_as_an_integral_float_is_that_int(
    http_gql: GraphQLClient, model: dict[str, str]
) -> None:
    body = await http_gql.execute(NESTED, {"n": 2.0})
    assert len(_no_errors(body)["components"]["edges"][0]["node"]["outgoing"]["edges"]) == 2


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ("query($n: Int) { components(first: $n) { edges { node { id } } } }", {"n": "many"}),
        (NESTED, {"n": "many"}),
        (NESTED, {"n": 2.5}),
        (NESTED, {}),
        (NESTED, {"n": None}),
        (NESTED, {"n": 2**40}),
        (
            "query($f: DeliveryFilter) { deliveries(filter: $f) { edges { node { id } } } }",
            {"f": {"kinds": ["NOT_A_KIND"]}},
        ),
        (
            "query($f: DeliveryFilter) { deliveries(filter: $f) { edges { node { id } } } }",
            {"f": {"createdAfter": "yesterday"}},
        ),
        (
            "query($f: DeliveryFilter) { deliveries(filter: $f) { edges { node { id } } } }",
            {"f": {"unknownField": 1}},
        ),
        ("query($b: Boolean!) { components { totalCount @include(if: $b) } }", {"b": "yes"}),
        ("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": [1, None]}),
    ],
)
async def test_a_bad_variable_value_is_bad_user_input_with_a_message_for_the_user(
    http_gql: GraphQLClient, query: str, variables: dict[str, Any]
) -> None:
    body = await http_gql.execute(query, variables)
    assert body.get("data") is None
    codes = {e["extensions"]["code"] for e in body["errors"]}
    assert codes == {"BAD_USER_INPUT"}, body
    for error in body["errors"]:
        assert error["message"].startswith("Variable '$"), error
        assert "invalid literal" not in error["message"]
        assert "Traceback" not in error["message"]


async def test_variables_that_are_not_an_object_are_refused_with_a_code(
    http_gql: GraphQLClient,
) -> None:
    response = await http_gql.http.post("/graphql", json={"query": NESTED, "variables": ["n", 2]})
    body = response.json()
    assert body["errors"][0]["extensions"]["code"] in {"BAD_USER_INPUT", "BAD_REQUEST"}
