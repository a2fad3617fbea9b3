"""The service over real HTTP (uvicorn on loopback) with a real GraphQL client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from gql import Client, gql
from gql.transport.exceptions import TransportQueryError
from gql.transport.httpx import HTTPXAsyncTransport

pytestmark = pytest.mark.e2e


async def _run(
    session: Any, document: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    request = gql(document)
    request.variable_values = variables
    result: dict[str, Any] = await session.execute(request)
    return result


@pytest.fixture
async def session(live_server_url: str, clean_graph: None, issue_token: Any) -> AsyncIterator[Any]:
    headers = {"Authorization": f"Bearer {issue_token('editor')}"}
    transport = HTTPXAsyncTransport(url=f"{live_server_url}/graphql", timeout=30, headers=headers)
    async with Client(transport=transport, fetch_schema_from_transport=True) as s:
        yield s


async def test_a_client_builds_and_reads_a_small_model(session: Any) -> None:
    create = (
        "mutation($i: CreateComponentInput!) { createComponent(input: $i) { component { id } } }"
    )
    policy = await _run(session, create, {"i": {"type": "POLICY", "label": "LLRW Policy Act"}})
    actor = await _run(session, create, {"i": {"type": "ACTOR", "label": "Nebraska"}})
    p = policy["createComponent"]["component"]["id"]
    a = actor["createComponent"]["component"]["id"]
    link = "mutation($i: CreateDeliveryInput!) { createDelivery(input: $i) { delivery { kind } } }"
    await _run(
        session, link, {"i": {"source": p, "target": a, "kind": "MANDATES", "deliveryType": "RULE"}}
    )
    result = await _run(
        session,
        "{ components(filter: {types: [POLICY]}) { edges { node { label"
        " outgoing { edges { node { kind target { label } } } } } } } }",
    )
    node = result["components"]["edges"][0]["node"]
    assert node["outgoing"]["edges"][0]["node"] == {
        "kind": "MANDATES",
        "target": {"label": "Nebraska"},
    }


async def test_errors_reach_the_client_with_their_code(session: Any) -> None:
    create = (
        "mutation($i: CreateComponentInput!) { createComponent(input: $i) { component { id } } }"
    )
    with pytest.raises(TransportQueryError) as raised:
        await _run(session, create, {"i": {"type": "ACTOR", "label": "x", "certainty": 7}})
    assert raised.value.errors[0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_graphiql_page_and_its_assets_are_served_locally(live_server_url: str) -> None:
    async with httpx.AsyncClient(base_url=live_server_url) as http:
        page = await http.get("/graphql", headers={"accept": "text/html"})
        assert page.status_code == 200
        assert "graphiql" in page.text.lower()
        asset = await http.get("/static/graphiql/graphiql.min.js")
        assert asset.status_code == 200
        assert len(asset.content) > 1_000_000


async def test_health_probes(live_server_url: str) -> None:
    async with httpx.AsyncClient(base_url=live_server_url) as http:
        assert (await http.get("/healthz")).json() == {"status": "ok"}
        ready = await http.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["checks"] == {"neo4j": "ok", "migrations": "ok", "redis": "ok"}
