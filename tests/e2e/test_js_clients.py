"""Real JavaScript clients from npm (Apollo Client, urql) run by Node against the live service.

The service runs under uvicorn on loopback (``live_server_url``) with the real Neo4j and Redis.
A small model is seeded over HTTP, then ``tests/e2e/clients/apollo.mjs`` and ``urql.mjs`` run
the operation corpus in ``tests/e2e/clients/operations/`` and print one JSON line with the
outcome of every case; each test below checks one case, so a failure names the operation.
Needs Node.js and ``npm ci --prefix tests/e2e/clients``, which ``make test`` runs.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.services import wipe_graph

pytestmark = pytest.mark.e2e

CLIENTS_DIR = Path(__file__).resolve().parent / "clients"
SCRIPT_TIMEOUT_S = 90  # the scripts bound themselves at 60 s

Outcome = dict[str, Any]

_CREATE = """
mutation Seed($input: CreateComponentInput!) { createComponent(input: $input) { component { id } } }
"""
_LINK = """
mutation SeedLink($input: CreateDeliveryInput!) { createDelivery(input: $input) { delivery { id } } }
"""

# The Low-Level Radioactive Waste Policy Act and who it reaches (docs/ and the demo model).
_COMPONENTS = {
    "policy": {
        "type": "POLICY",
        "label": "Low-Level Radioactive Waste Policy Act",
        "authority": "US Congress",
        "enforcement": 0.8,
    },
    "commission": {
        "type": "ACTOR",
        "label": "Central Interstate Compact Commission",
        "sector": "interstate compact",
    },
    "nebraska": {"type": "ACTOR", "label": "Nebraska", "sector": "state government"},
    "operator": {"type": "ACTOR", "label": "US Ecology", "sector": "waste disposal"},
    "siting": {"type": "INSTITUTION", "label": "Compact siting process", "layer": "FORMAL_RULE"},
}
_DELIVERIES = [
    ("policy", "commission", "MANDATES", "RULE", 0.9),
    ("policy", "nebraska", "MANDATES", "RULE", 0.7),
    ("policy", "operator", "INFORMS", "INFORMATION", 0.3),
    ("commission", "nebraska", "INFORMS", "INFORMATION", 0.4),
    ("operator", "siting", "INFORMS", "INFORMATION", 0.2),
]


def _post(http: httpx.Client, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    response = http.post("/graphql", json={"query": query, "variables": variables})
    body: dict[str, Any] = response.json()
    assert response.status_code == 200 and "errors" not in body, body
    return body["data"]


def _seed(base_url: str, token: str) -> dict[str, str]:
    """Creates the model through the API; returns the global id of each component by key."""
    ids: dict[str, str] = {}
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as http:
        for key, component in _COMPONENTS.items():
            data = _post(http, _CREATE, {"input": component})
            ids[key] = data["createComponent"]["component"]["id"]
        for source, target, kind, delivery_type, weight in _DELIVERIES:
            link = {
                "source": ids[source],
                "target": ids[target],
                "kind": kind,
                "deliveryType": delivery_type,
                "weight": weight,
            }
            _post(http, _LINK, {"input": link})
    return ids


def _run_client(script: str, stdin: dict[str, Any]) -> dict[str, Outcome]:
    node = shutil.which("node")
    assert node is not None, "node is not installed"
    assert (CLIENTS_DIR / "node_modules" / "@apollo" / "client").is_dir(), (
        f"client packages missing: run `npm ci --prefix {CLIENTS_DIR}` (make test does)"
    )
    proc = subprocess.run(
        [node, str(CLIENTS_DIR / script)],
        input=json.dumps(stdin),
        capture_output=True,
        text=True,
        timeout=SCRIPT_TIMEOUT_S,
        check=False,
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    assert proc.returncode == 0 and lines, (
        f"{script} exited {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    )
    cases: dict[str, Outcome] = json.loads(lines[-1])["cases"]
    return cases


@pytest.fixture(scope="module")
def seeded(live_server_url: str, neo4j_driver: Any, issue_token: Any) -> dict[str, Any]:
    wipe_graph(neo4j_driver)
    token = issue_token("editor")
    ids = _seed(live_server_url, token)
    return {"url": f"{live_server_url}/graphql", "token": token, "ids": ids}


@pytest.fixture(scope="module")
def apollo(seeded: dict[str, Any]) -> dict[str, Outcome]:
    return _run_client("apollo.mjs", seeded)


@pytest.fixture(scope="module")
def urql(seeded: dict[str, Any], apollo: dict[str, Outcome]) -> dict[str, Outcome]:
    # After Apollo: its mutations are part of the model urql reads.
    return _run_client("urql.mjs", seeded)


def _data(outcome: Outcome) -> dict[str, Any]:
    """The data of a case that must have succeeded, with its errors as the failure message."""
    assert outcome.get("thrown") is None, outcome["thrown"]
    assert outcome["errors"] is None, outcome["errors"]
    data: dict[str, Any] = outcome["data"]
    assert data is not None, outcome
    return data


def _codes(outcome: Outcome) -> list[str | None]:
    errors = outcome["errors"] or (outcome["thrown"] or {}).get("errors") or []
    return [error["code"] for error in errors]


def _labels(connection: dict[str, Any]) -> list[str]:
    return [edge["node"]["name"] for edge in connection["edges"]]


def _by_label(edges: list[dict[str, Any]], key: str = "label") -> dict[str, dict[str, Any]]:
    return {edge["node"][key]: edge["node"] for edge in edges}


_SORTED_LABELS = sorted(component["label"] for component in _COMPONENTS.values())


# -- Apollo Client: InMemoryCache, relay pagination, error policies, persisted queries ----------


def test_apollo_pages_through_components_with_nested_connection_variables(
    apollo: dict[str, Outcome],
) -> None:
    """ComponentsPage: fetchMore with a variable `after`; nested `outgoing(first: $n, filter:)`."""
    outcome = apollo["ComponentsPage.paginate"]
    merged = _data(outcome)["components"]
    assert [len(_data(page)["components"]["edges"]) for page in outcome["pages"]] == [2, 2, 1]
    # The cache merged the pages into one list, in the requested order, without duplicates.
    assert _labels(merged) == _SORTED_LABELS
    assert merged["pageInfo"]["hasNextPage"] is False
    nodes = {edge["node"]["name"]: edge["node"] for edge in merged["edges"]}
    policy = nodes["Low-Level Radioactive Waste Policy Act"]
    assert policy["__typename"] == "Policy"
    assert (policy["authority"], policy["enforcement"]) == ("US Congress", 0.8)
    out = policy["deliveriesOut"]
    assert out["totalCount"] == 3
    assert [e["node"]["target"]["label"] for e in out["edges"]] == [
        "Central Interstate Compact Commission",
        "Nebraska",
    ]
    assert out["pageInfo"]["hasNextPage"] is True
    assert nodes["Nebraska"]["sector"] == "state government"
    assert nodes["Compact siting process"]["__typename"] == "Institution"
    assert "sector" not in nodes["Compact siting process"]


@pytest.mark.parametrize("client", ["apollo", "urql"])
def test_include_and_skip_follow_their_variables(
    client: str, request: pytest.FixtureRequest
) -> None:
    """ComponentDirectives: @include(if: $b) and @skip(if: $b) on a connection, a field, a fragment."""
    cases: dict[str, Outcome] = request.getfixturevalue(client)
    included = _by_label(_data(cases["ComponentDirectives.included"])["components"]["edges"])
    assert included["Nebraska"]["incoming"]["totalCount"] == 2
    assert included["Nebraska"]["sector"] == "state government"
    assert "description" in included["Nebraska"]
    skipped = _by_label(_data(cases["ComponentDirectives.skipped"])["components"]["edges"])
    assert set(skipped) >= {"Nebraska", "US Ecology", "Central Interstate Compact Commission"}
    for node in skipped.values():
        assert {"incoming", "description", "sector"}.isdisjoint(node), node


def test_apollo_reads_a_node_and_pages_its_deliveries_by_cursor(
    apollo: dict[str, Outcome],
) -> None:
    """NodeById: inline fragments on Component and Policy; `outgoing(first: $n, after: $after)`."""
    first, second = (_data(page)["node"] for page in apollo["NodeById.pages"]["pages"])
    assert first["__typename"] == "Policy" and first["authority"] == "US Congress"
    assert first["outgoing"]["pageInfo"]["hasNextPage"] is True
    kinds = [e["node"]["kind"] for page in (first, second) for e in page["outgoing"]["edges"]]
    assert kinds == ["MANDATES", "MANDATES"]
    assert (
        first["outgoing"]["edges"][0]["node"]["id"] != second["outgoing"]["edges"][0]["node"]["id"]
    )


@pytest.mark.parametrize(
    ("client", "kind", "weights"),
    [("apollo", "MANDATES", [0.9, 0.7]), ("urql", "INFORMS", [0.3, 0.4])],
)
def test_variables_inside_input_object_and_list_literals(
    client: str, kind: str, weights: list[float], request: pytest.FixtureRequest
) -> None:
    """DeliveriesByKind: `filter: {kinds: [$kind], minWeight: $minWeight}`, two aliased roots."""
    data = _data(request.getfixturevalue(client)["DeliveriesByKind.literals"])
    heavy = data["heavy"]
    assert {e["node"]["kind"] for e in heavy["edges"]} == {kind}
    assert sorted(e["node"]["weight"] for e in heavy["edges"]) == sorted(weights)
    assert heavy["totalCount"] == len(weights)
    assert data["all"]["totalCount"] == len(_DELIVERIES)


def test_apollo_search_with_variables(apollo: dict[str, Outcome]) -> None:
    hits = _data(apollo["SearchComponents.actors"])["search"]
    assert [hit["component"]["label"] for hit in hits] == ["Nebraska"]
    assert hits[0]["component"] == {**hits[0]["component"], "__typename": "Actor"}
    assert hits[0]["component"]["sector"] == "state government"


def test_apollo_neighbourhood_with_variables(apollo: dict[str, Outcome], seeded: Any) -> None:
    hood = _data(apollo["Neighbourhood.outgoing"])["neighborhood"]
    assert hood["center"]["id"] == seeded["ids"]["policy"]
    assert {c["label"] for c in hood["components"]} == {
        "Low-Level Radioactive Waste Policy Act",
        "Central Interstate Compact Commission",
        "Nebraska",
    }
    assert sorted(d["hops"] for d in hood["distances"]) == [0, 1, 1]
    assert [d["kind"] for d in hood["deliveries"]] == ["MANDATES", "MANDATES"]


@pytest.mark.parametrize("client", ["apollo", "urql"])
def test_mutations_with_input_variables_bump_the_version(
    client: str, request: pytest.FixtureRequest
) -> None:
    cases: dict[str, Outcome] = request.getfixturevalue(client)
    created = _data(cases["CreateComponent.actor"])["createComponent"]["component"]
    assert (created["__typename"], created["version"]) == ("Actor", 1)
    updated = _data(cases["UpdateComponent.current"])["updateComponent"]["component"]
    assert updated["id"] == created["id"]
    assert updated["version"] == 2
    assert updated["label"].endswith(")")


@pytest.mark.parametrize(
    ("client", "case"),
    [
        ("apollo", "UpdateComponent.stale_all"),
        ("urql", "UpdateComponent.stale"),
    ],
)
def test_a_stale_version_is_a_conflict_the_client_sees(
    client: str, case: str, request: pytest.FixtureRequest
) -> None:
    """errorPolicy 'all' (and urql): the CONFLICT error arrives with null data."""
    outcome = request.getfixturevalue(client)[case]
    assert outcome["thrown"] is None
    assert outcome["data"] in (None, {"updateComponent": None})
    assert _codes(outcome) == ["CONFLICT"]
    assert "version 1" in outcome["errors"][0]["message"]


def test_a_stale_version_rejects_the_apollo_mutation_with_error_policy_none(
    apollo: dict[str, Outcome],
) -> None:
    thrown = apollo["UpdateComponent.stale_none"]["thrown"]
    assert thrown is not None and thrown["name"] == "CombinedGraphQLErrors", thrown
    assert [e["code"] for e in thrown["errors"]] == ["CONFLICT"]


def test_apollo_error_policies_on_a_partly_failing_query(
    apollo: dict[str, Outcome], seeded: Any
) -> None:
    """ErrorPolicies: one good field, one refused (a malformed id, BAD_USER_INPUT)."""
    everything = apollo["ErrorPolicies.all"]
    assert everything["data"] == {
        "known": {"__typename": "Policy", "id": seeded["ids"]["policy"]},
        "malformed": None,
    }
    assert _codes(everything) == ["BAD_USER_INPUT"]
    assert everything["errors"][0]["path"] == ["malformed"]
    none = apollo["ErrorPolicies.none"]
    assert none["data"] is None
    assert none["thrown"]["name"] == "CombinedGraphQLErrors"
    assert _codes(none) == ["BAD_USER_INPUT"]
    ignore = apollo["ErrorPolicies.ignore"]
    assert ignore["errors"] is None and ignore["thrown"] is None
    assert ignore["data"] == everything["data"]


def test_apollo_nested_page_size_variable(apollo: dict[str, Outcome]) -> None:
    edges = _data(apollo["PageSize.nested_variable"])["components"]["edges"]
    assert len(edges) == 2
    assert all(isinstance(e["node"]["outgoing"]["totalCount"], int) for e in edges)


@pytest.mark.parametrize(
    ("client", "case"),
    [
        ("apollo", "PageSize.bad_root_value"),
        ("apollo", "PageSize.bad_nested_value"),
        ("urql", "PageSize.bad_nested_value"),
    ],
)
def test_a_bad_variable_value_is_a_coded_user_error(
    client: str, case: str, request: pytest.FixtureRequest
) -> None:
    """`first: "many"` for an Int: BAD_USER_INPUT with a message for people, nothing run."""
    outcome = request.getfixturevalue(client)[case]
    assert outcome["data"] is None
    assert _codes(outcome) == ["BAD_USER_INPUT"], outcome
    message = outcome["errors"][0]["message"]
    assert "invalid literal" not in message and "many" in message, message
    for exchange in outcome["requests"]:
        # GraphQL over HTTP: a response without data in this media type is a 4xx.
        if "application/graphql-response+json" in (exchange["contentType"] or ""):
            assert exchange["status"] == 400, exchange


def test_apollo_persisted_query_miss_then_registration(apollo: dict[str, Outcome]) -> None:
    """The link's hash-only GET is told PERSISTED_QUERY_NOT_FOUND; it POSTs the text once."""
    outcome = apollo["PersistedComponentCount.register"]
    assert _data(outcome)["components"]["totalCount"] >= 3
    miss, registration = outcome["requests"]
    assert (miss["method"], miss["hasQueryText"]) == ("GET", False)
    assert "extensions" in miss["params"]
    assert miss["codes"] == ["PERSISTED_QUERY_NOT_FOUND"]
    assert (registration["method"], registration["hasQueryText"]) == ("POST", True)
    assert registration["codes"] == []


@pytest.mark.parametrize(
    "case", ["PersistedComponentCount.hash_only", "PersistedComponentCount.hash_only_accept_any"]
)
def test_apollo_persisted_query_hash_only_get_answers_json(
    case: str, apollo: dict[str, Outcome]
) -> None:
    """A fresh client's hash-only GET (Apollo 4's Accept, and `*/*` of Apollo 3 and curl)."""
    outcome = apollo[case]
    data = _data(outcome)
    assert (
        data["components"]["totalCount"]
        == _data(apollo["PersistedComponentCount.register"])["components"]["totalCount"]
    )
    (only,) = outcome["requests"]
    assert (only["method"], only["hasQueryText"], only["status"]) == ("GET", False, 200)
    assert "json" in only["contentType"]


def test_apollo_4_is_answered_in_the_graphql_response_media_type(
    apollo: dict[str, Outcome],
) -> None:
    """Apollo 4 prefers application/graphql-response+json (q=1) to application/json (q=0.9)."""
    (exchange,) = apollo["DeliveriesByKind.literals"]["requests"]
    assert exchange["accept"].startswith("application/graphql-response+json")
    assert exchange["contentType"].startswith("application/graphql-response+json"), exchange


# -- urql: queries by GET with the text, its long Accept header ----------------------------------


def test_urql_pages_by_hand_with_a_variable_after(urql: dict[str, Outcome]) -> None:
    """ComponentsPage by GET: the second page's `after` is the first page's end cursor."""
    first, second = (_data(page)["components"] for page in urql["ComponentsPage.paginate"]["pages"])
    labels = _labels(first) + _labels(second)
    assert labels == sorted(labels, reverse=True)
    assert len(labels) == len(set(labels)) == len(_COMPONENTS) + 1  # and Apollo's "Kansas (KS)"
    assert first["pageInfo"]["hasNextPage"] is True
    assert second["pageInfo"]["hasNextPage"] is False
    for connection in (first, second):
        for edge in connection["edges"]:
            assert len(edge["node"]["deliveriesOut"]["edges"]) <= 1
    methods = {exchange["method"] for exchange in urql["ComponentsPage.paginate"]["requests"]}
    assert methods == {"GET"}


def test_urql_reads_a_node_with_a_list_variable_in_a_nested_filter(
    urql: dict[str, Outcome],
) -> None:
    node = _data(urql["NodeById.pages"])["node"]
    assert [e["node"]["kind"] for e in node["outgoing"]["edges"]] == ["INFORMS"]
    assert node["outgoing"]["pageInfo"]["hasNextPage"] is False
