"""Read your writes on a cluster: X-Neo4j-Bookmark in and out of /graphql (docs/api.md).

The test instance is addressed with a `neo4j://` (routing) URI, so the driver routes reads and
writes as it would on a cluster. That the bookmarks reach Neo4j is shown by the driver's own
protocol log: each transaction's start names the bookmarks it waits for (the BEGIN of a
transaction, or the RUN of a read in an auto-commit transaction).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from sfm_graphql.db.bookmarks import HEADER, MAX_HEADER_CHARS, BookmarkCodec
from sfm_graphql.settings import Settings
from tests.integration.helpers import create_component
from tests.services import GraphQLClient

pytestmark = pytest.mark.integration

GET = "query($id: ID!) { node(id: $id) { ... on Component { label version } } }"
UPDATE = """
mutation($input: UpdateComponentInput!) {
  updateComponent(input: $input) { component { label version } }
}"""
_COMMITTED = re.compile(r"S: SUCCESS \{'bookmark': '([^']+)'\}")


class BoltLog(logging.Handler):
    """The driver's protocol lines (`C: BEGIN {... 'bookmarks': [...]}`), in order."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())

    def begins(self) -> list[str]:
        """Each transaction's start: a BEGIN, or the RUN of an auto-commit transaction (its
        extra names the database; a RUN inside a transaction has none)."""
        return [
            line
            for line in self.lines
            if "C: BEGIN" in line or ("C: RUN" in line and "'db': " in line)
        ]

    def committed(self) -> list[str]:
        return [m.group(1) for line in self.lines if (m := _COMMITTED.search(line))]


@pytest.fixture
def bolt_log() -> Iterator[BoltLog]:
    logger = logging.getLogger("neo4j.io")
    handler = BoltLog()
    level = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(level)


def _bookmarks(app: Any, response: httpx.Response) -> frozenset[str]:
    token = response.headers[HEADER]
    codec: BookmarkCodec = app.state.services.bookmark_codec
    return codec.decode(token)


def test_the_test_instance_is_addressed_in_routing_mode(settings: Settings) -> None:
    assert settings.neo4j_uri.startswith("neo4j://")


async def test_a_mutation_returns_a_bookmark_of_its_write(
    app: Any, client: httpx.AsyncClient, bolt_log: BoltLog
) -> None:
    response = await client.post(
        "/graphql",
        json={
            "query": 'mutation { createComponent(input: {type: POLICY, label: "p"}) '
            "{ component { id } } }"
        },
    )
    assert response.status_code == 200, response.text
    assert "errors" not in response.json()
    returned = _bookmarks(app, response)
    assert returned and returned <= set(bolt_log.committed())


async def test_the_next_request_with_the_header_waits_for_the_write_and_sees_it(
    app: Any, client: httpx.AsyncClient, bolt_log: BoltLog
) -> None:
    gql = GraphQLClient(client)
    component_id = await create_component(gql, "POLICY", "before")
    written = await client.post(
        "/graphql",
        json={
            "query": UPDATE,
            "variables": {"input": {"id": component_id, "version": 1, "label": "after"}},
        },
    )
    assert written.status_code == 200 and "errors" not in written.json(), written.text
    token = written.headers[HEADER]
    bolt_log.lines.clear()
    read = await client.post(
        "/graphql",
        json={"query": GET, "variables": {"id": component_id}},
        headers={HEADER: token},
    )
    assert read.json()["data"]["node"] == {"label": "after", "version": 2}
    (write_bookmark,) = _bookmarks(app, written)
    begins = bolt_log.begins()
    assert begins and all(write_bookmark in line for line in begins), begins


async def test_a_mutation_re_read_waits_for_its_own_write(
    client: httpx.AsyncClient, bolt_log: BoltLog
) -> None:
    component_id = await create_component(GraphQLClient(client), "POLICY", "before")
    bolt_log.lines.clear()
    response = await client.post(
        "/graphql",
        json={
            "query": UPDATE,
            "variables": {"input": {"id": component_id, "version": 1, "label": "after"}},
        },
    )
    assert response.json()["data"]["updateComponent"]["component"] == {
        "label": "after",
        "version": 2,
    }
    # The update commits in an explicit transaction; the payload's re-read begins with the
    # bookmark of that commit, so a follower would wait until it has the write.
    first_commit = bolt_log.committed()[0]
    later = bolt_log.lines[
        bolt_log.lines.index(
            next(line for line in bolt_log.lines if first_commit in line and "S: SUCCESS" in line)
        ) :
    ]
    assert any("C: BEGIN" in line and first_commit in line for line in later), bolt_log.lines


@pytest.mark.parametrize(
    "header",
    ["garbage", "v1.e30.short", "v2." + "A" * 10 + "." + "B" * 43, "v1." + "A" * MAX_HEADER_CHARS],
)
async def test_a_malformed_bookmark_header_is_refused(
    client: httpx.AsyncClient, header: str
) -> None:
    response = await client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={HEADER: header}
    )
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert HEADER in error["message"]


async def test_a_bookmark_signed_by_another_key_never_reaches_neo4j(
    client: httpx.AsyncClient, bolt_log: BoltLog
) -> None:
    forged = BookmarkCodec(b"not this deployment's pepper").encode(["FB:forgedfromthefuture"])
    assert forged is not None
    response = await client.post(
        "/graphql",
        json={"query": "{ components(first: 1) { totalCount } }"},
        headers={HEADER: forged},
    )
    assert response.status_code == 200 and "errors" not in response.json(), response.text
    assert bolt_log.begins()
    assert not any("forgedfromthefuture" in line for line in bolt_log.lines)


async def test_cors_lets_a_browser_client_read_and_send_the_header(
    settings: Settings,
) -> None:
    from sfm_graphql.app import create_app

    origin = "https://app.example.org"
    browser_app = create_app(settings.model_copy(update={"cors_origins": (origin,)}))
    async with browser_app.router.lifespan_context(browser_app):
        transport = httpx.ASGITransport(app=browser_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            preflight = await http.options(
                "/graphql",
                headers={
                    "Origin": origin,
                    "Access-Control-Request-Method": "POST",
                    "Access-Control-Request-Headers": HEADER,
                },
            )
            answer = await http.post(
                "/graphql", json={"query": "{ __typename }"}, headers={"Origin": origin}
            )
    assert preflight.status_code == 200
    assert HEADER.lower() in preflight.headers["access-control-allow-headers"].lower()
    assert HEADER.lower() in answer.headers["access-control-expose-headers"].lower()
