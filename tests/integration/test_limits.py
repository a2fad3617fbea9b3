"""Every limit checked before execution, the cost-based rate limit and the HTTP hardening, each
attacked through real HTTP requests (the ASGI transport, and one over a live uvicorn server).

Limits that need small values run against a separately built app with its own lifespan; rate
limits use a fresh subject or client address per test, so no test spends another's budget.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from sfm_graphql.app import create_app
from sfm_graphql.settings import Settings
from tests.services import GraphQLClient, StatementCounter

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("clean_graph")]

CREATE = 'mutation { createComponent(input: {type: ACTOR, label: "x"}) { component { id } } }'
COUNT = "{ components { totalCount } }"
# cost 11: the connection's weight and ten edges of one point each
PAGE_OF_TEN = "{ components(first: 10) { edges { node { id } } } }"
RATE_LIMIT = "{ rateLimit { limit cost remaining resetAt } }"


@asynccontextmanager
async def serve(settings: Settings, **update: Any) -> AsyncIterator[Starlette]:
    """An app of its own with `update` applied to the test settings, for the time of a block."""
    application = create_app(settings.model_copy(update=update))
    async with application.router.lifespan_context(application):
        yield application


def http_client(
    app: Starlette,
    token: str | None = None,
    *,
    client_ip: str = "127.0.0.1",
    base_url: str = "http://testserver",
) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    transport = httpx.ASGITransport(app=app, client=(client_ip, 40000))
    return httpx.AsyncClient(transport=transport, base_url=base_url, headers=headers)


def code_of(body: dict[str, Any]) -> str:
    assert body.get("errors"), body
    code: str = body["errors"][0]["extensions"]["code"]
    return code


async def component_count(gql: GraphQLClient) -> int:
    total: int = (await gql.data(COUNT))["components"]["totalCount"]
    return total


def nested(levels: int) -> str:
    """Components, then `levels` hops along outgoing deliveries: depth 4 + 4 * levels."""
    hop_open = "outgoing(first: 1) { edges { node { target { "
    return (
        "{ components(first: 1) { edges { node { "
        + hop_open * levels
        + "id"
        + " } } } }" * levels
        + " } } } }"
    )


# -- depth, aliases, root fields -------------------------------------------------------------------


async def test_a_query_deeper_than_the_limit_is_refused_before_any_cypher_runs(
    gql: GraphQLClient, statements: StatementCounter, settings: Settings
) -> None:
    assert settings.max_query_depth == 15

    body = await gql.execute(nested(3))  # depth 16

    assert code_of(body) == "MAX_DEPTH_EXCEEDED"
    assert body["errors"][0]["extensions"]["limit"] == 15
    assert body["data"] is None
    assert statements.names == []
    assert "errors" not in await gql.execute(nested(2))  # depth 12 runs, as one statement
    assert len(statements.names) == 1


async def test_depth_hidden_in_nested_fragments_is_counted(gql: GraphQLClient) -> None:
    query = """
    { components(first: 1) { edges { node { ...Hop1 } } } }
    fragment Hop1 on Component { outgoing(first: 1) { edges { node { target { ...Hop2 } } } } }
    fragment Hop2 on Component { outgoing(first: 1) { edges { node { target { ...Hop3 } } } } }
    fragment Hop3 on Component { outgoing(first: 1) { edges { node { target { id } } } } }
    """
    assert code_of(await gql.execute(query)) == "MAX_DEPTH_EXCEEDED"


async def test_too_many_aliases_are_refused(gql: GraphQLClient, settings: Settings) -> None:
    fields = " ".join(f"a{i}: __typename" for i in range(settings.max_aliases + 1))
    body = await gql.execute(f"{{ components(first: 1) {{ {fields} }} }}")
    assert code_of(body) == "MAX_ALIASES_EXCEEDED"
    assert body["errors"][0]["extensions"]["limit"] == settings.max_aliases


async def test_aliases_moved_into_a_fragment_spread_many_times_are_counted(
    gql: GraphQLClient,
) -> None:
    # Ten aliases, under the limit of 30 on their own; each spread counts them again.
    aliases = " ".join(f"t{i}: totalCount" for i in range(10))
    query = f"""
    {{ components(first: 1) {{ ...Counts ...Counts ...Counts ...Counts }} }}
    fragment Counts on ComponentConnection {{ {aliases} }}
    """
    assert code_of(await gql.execute(query)) == "MAX_ALIASES_EXCEEDED"


async def test_aliases_in_nested_fragments_are_counted(gql: GraphQLClient) -> None:
    # 5 aliases at the bottom of three doubling levels: 40 in all, none visible at the top.
    leaf = " ".join(f"t{i}: totalCount" for i in range(5))
    query = f"""
    {{ components(first: 1) {{ ...A }} }}
    fragment A on ComponentConnection {{ ...B ...B }}
    fragment B on ComponentConnection {{ ...C ...C }}
    fragment C on ComponentConnection {{ ...D ...D }}
    fragment D on ComponentConnection {{ {leaf} }}
    """
    assert code_of(await gql.execute(query)) == "MAX_ALIASES_EXCEEDED"


async def test_a_fragment_bomb_is_refused_at_once(gql: GraphQLClient) -> None:
    # Each level spreads the one below twice: 2^30 expansions if anything expanded them all.
    levels = 30
    fragments = "\n".join(
        f"fragment F{i} on ComponentConnection {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)
    )
    query = (
        "{ components(first: 1) { ...F0 } }\n"
        + fragments
        + f"\nfragment F{levels} on ComponentConnection {{ totalCount }}"
    )
    started = time.monotonic()
    body = await gql.execute(query)
    assert code_of(body) in {"MAX_DEPTH_EXCEEDED", "MAX_ALIASES_EXCEEDED"}
    assert time.monotonic() - started < 5


async def test_too_many_root_fields_are_refused_also_through_a_fragment(
    gql: GraphQLClient, settings: Settings
) -> None:
    over = settings.max_root_fields + 1
    direct = " ".join(f"r{i}: rateLimit {{ limit }}" for i in range(over))
    assert code_of(await gql.execute(f"{{ {direct} }}")) == "MAX_ROOT_FIELDS_EXCEEDED"
    in_fragment = f"{{ ...Roots }} fragment Roots on Query {{ {direct} }}"
    body = await gql.execute(in_fragment)
    assert code_of(body) == "MAX_ROOT_FIELDS_EXCEEDED"
    assert body["errors"][0]["extensions"]["limit"] == settings.max_root_fields


# -- tokens, document bytes, body bytes ------------------------------------------------------------


async def test_a_document_with_too_many_tokens_is_refused(
    gql: GraphQLClient, settings: Settings
) -> None:
    # Two tokens per spread ("...", "F"): over the token limit in a small document.
    spreads = " ".join(["...F"] * (settings.max_tokens // 2 + 10))
    query = f"{{ {spreads} }} fragment F on Query {{ __typename }}"
    assert len(query.encode()) < settings.max_document_bytes
    body = await gql.execute(query)
    assert code_of(body) == "MAX_TOKENS_EXCEEDED"
    assert body["data"] is None


async def test_a_document_over_the_byte_limit_is_refused_before_parsing(
    gql: GraphQLClient, settings: Settings
) -> None:
    # A comment is no token: only the byte limit can refuse this one.
    padding = "#" + "x" * settings.max_document_bytes + "\n"
    body = await gql.execute(padding + CREATE)
    assert code_of(body) == "DOCUMENT_TOO_LARGE"
    assert body["errors"][0]["extensions"]["limit"] == settings.max_document_bytes
    assert await component_count(gql) == 0


async def test_bodies_over_the_limit_are_refused_with_or_without_a_declared_length(
    settings: Settings, issue_token: Any
) -> None:
    big = json.dumps({"query": "{ __typename }", "variables": {"pad": "x" * 5000}})

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(big), 1000):
            yield big[start : start + 1000].encode()

    json_type = {"content-type": "application/json"}
    async with (
        serve(settings, max_request_bytes=4096) as small,
        http_client(small, issue_token("admin", mfa=True)) as http,
    ):
        declared = await http.post("/graphql", content=big, headers=json_type)
        streamed = await http.post("/graphql", content=chunks(), headers=json_type)
        fits = await http.post("/graphql", json={"query": "{ __typename }"})
    for response in (declared, streamed):
        assert response.status_code == 413
        assert code_of(response.json()) == "PAYLOAD_TOO_LARGE"
    assert "content-length" not in streamed.request.headers
    assert fits.status_code == 200


# -- cost ------------------------------------------------------------------------------------------

# About 120 000 points: over a viewer's 50 000 per operation, under an admin's 250 000.
COSTLY = """
{ components(first: 100) { edges { node { outgoing(first: 100) { edges { node {
    target { outgoing(first: 10) { edges { node { id } } } }
} } } } } } }
"""


async def test_the_maximum_cost_depends_on_the_role(
    app: Starlette, issue_token: Any, settings: Settings, statements: StatementCounter
) -> None:
    async with http_client(app, issue_token("viewer")) as viewer:
        refused = (await viewer.post("/graphql", json={"query": COSTLY})).json()
    async with http_client(app, issue_token("admin", mfa=True)) as admin:
        allowed = (await admin.post("/graphql", json={"query": COSTLY})).json()

    assert code_of(refused) == "MAX_COST_EXCEEDED"
    details = refused["errors"][0]["extensions"]
    assert details["limit"] == settings.max_cost_by_role["viewer"]
    assert details["cost"] == refused["extensions"]["cost"]["requested"]
    assert settings.max_cost_by_role["viewer"] < details["cost"]
    assert details["cost"] <= settings.max_cost_by_role["admin"]
    assert "errors" not in allowed
    assert allowed["data"]["components"]["edges"] == []
    assert allowed["extensions"]["cost"]["requested"] == details["cost"]
    assert len(statements.names) == 1  # the admin's query; the viewer's never reached Cypher


async def test_anonymous_callers_are_told_to_authenticate_whatever_the_cost(
    anonymous_client: httpx.AsyncClient, settings: Settings
) -> None:
    body = (await anonymous_client.post("/graphql", json={"query": PAGE_OF_TEN})).json()
    assert code_of(body) == "UNAUTHENTICATED"
    big = "{ components(first: 100) { edges { node { id outgoing(first: 100) { totalCount } } } } }"
    body = (await anonymous_client.post("/graphql", json={"query": big})).json()
    assert code_of(body) == "UNAUTHENTICATED"
    # Over any per-operation ceiling, yet charged to the address's budget and refused as anonymous.
    assert body["extensions"]["cost"]["requested"] > settings.max_cost_by_role["anonymous"]


async def test_every_response_carries_its_cost(
    client: httpx.AsyncClient, anonymous_client: httpx.AsyncClient
) -> None:
    digest = "0" * 64
    responses = {
        "success": await client.post("/graphql", json={"query": PAGE_OF_TEN}),
        "over GET": await client.get(
            "/graphql", params={"query": COUNT}, headers={"accept": "application/json"}
        ),
        "parse error": await client.post("/graphql", json={"query": "{ components"}),
        "validation error": await client.post("/graphql", json={"query": "{ nope }"}),
        "limit": await client.post("/graphql", json={"query": nested(3)}),
        "field error": await anonymous_client.post("/graphql", json={"query": COUNT}),
        "bad token": await anonymous_client.post(
            "/graphql", json={"query": COUNT}, headers={"Authorization": "Bearer x.y.z"}
        ),
        "content type": await client.post(
            "/graphql", content=COUNT, headers={"content-type": "text/plain"}
        ),
        "mutation over GET": await client.get(
            "/graphql", params={"query": CREATE}, headers={"accept": "application/json"}
        ),
        "batch": await client.post("/graphql", json=[{"query": COUNT}]),
        "persisted query not found": await client.post(
            "/graphql",
            json={"extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest}}},
        ),
    }
    for what, response in responses.items():
        cost = response.json().get("extensions", {}).get("cost")
        assert cost is not None, (what, response.status_code, response.text)
        assert isinstance(cost["requested"], int), what
    assert responses["success"].json()["extensions"]["cost"]["requested"] == 11
    assert responses["limit"].json()["extensions"]["cost"]["requested"] > 0
    assert responses["parse error"].json()["extensions"]["cost"] == {"requested": 0}


# -- batching --------------------------------------------------------------------------------------


async def test_a_batch_of_operations_is_refused_and_runs_none_of_them(
    client: httpx.AsyncClient, gql: GraphQLClient, statements: StatementCounter
) -> None:
    batch = [{"query": CREATE}, {"query": CREATE}, {"query": PAGE_OF_TEN}]
    response = await client.post("/graphql", json=batch)

    assert response.status_code == 400
    body = response.json()
    assert code_of(body) == "BAD_REQUEST"
    assert "Batched requests" in body["errors"][0]["message"]
    assert statements.names == []
    assert await component_count(gql) == 0


async def test_batching_cannot_multiply_cost_through_a_multipart_request(
    client: httpx.AsyncClient, gql: GraphQLClient
) -> None:
    operations = json.dumps([{"query": CREATE}] * 50)
    response = await client.post(
        "/graphql",
        data={"operations": operations, "map": "{}"},
        files={"unused": ("x.txt", b"x", "text/plain")},
        headers={"Apollo-Require-Preflight": "true"},
    )
    assert response.status_code == 400
    assert code_of(response.json()) == "BAD_REQUEST"
    assert await component_count(gql) == 0


# -- the cost-based rate limit ---------------------------------------------------------------------

SMALL_BUDGETS = {
    "anonymous": 30,
    "viewer": 25,
    "analyst": 25,
    "editor": 25,
    "data_manager": 25,
    "admin": 25,
}


def _small(settings: Settings) -> dict[str, Any]:
    return {"rate_limit_points_by_role": SMALL_BUDGETS, "rate_limit_window_s": 120}


async def test_an_exhausted_budget_is_refused_with_429_retry_after_and_the_reset_time(
    settings: Settings, issue_token: Any
) -> None:
    token = issue_token("viewer", subject=f"rate-{uuid.uuid4()}")
    async with serve(settings, **_small(settings)) as limited, http_client(limited, token) as http:
        first = await http.post("/graphql", json={"query": RATE_LIMIT})
        spent = [await http.post("/graphql", json={"query": PAGE_OF_TEN}) for _ in range(2)]
        refused = await http.post("/graphql", json={"query": PAGE_OF_TEN})
        after = await http.post("/graphql", json={"query": RATE_LIMIT})

    budget = first.json()["data"]["rateLimit"]
    assert (budget["limit"], budget["cost"], budget["remaining"]) == (25, 1, 24)
    assert dt.datetime.fromisoformat(budget["resetAt"]) > dt.datetime.now(dt.UTC)
    assert [r.status_code for r in spent] == [200, 200]
    assert spent[1].json()["extensions"]["cost"] == {"requested": 11, "limit": 25, "remaining": 2}

    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 121
    error = refused.json()["errors"][0]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    reset_at = dt.datetime.fromisoformat(error["extensions"]["resetAt"])
    assert dt.datetime.now(dt.UTC) < reset_at <= dt.datetime.now(dt.UTC) + dt.timedelta(seconds=121)
    assert refused.json()["data"] is None
    # A cheaper operation still fits in what is left, and shows it.
    assert after.status_code == 200
    assert after.json()["data"]["rateLimit"]["remaining"] == 1


async def test_two_app_instances_on_one_redis_share_a_budget(
    settings: Settings, issue_token: Any
) -> None:
    token = issue_token("analyst", subject=f"shared-{uuid.uuid4()}")
    async with (
        serve(settings, **_small(settings)) as app_a,
        serve(settings, **_small(settings)) as app_b,
        http_client(app_a, token) as on_a,
        http_client(app_b, token) as on_b,
    ):
        spent_on_a = [
            (await on_a.post("/graphql", json={"query": PAGE_OF_TEN})).status_code for _ in range(2)
        ]
        shown_on_b = await on_b.post("/graphql", json={"query": RATE_LIMIT})
        refused_on_b = await on_b.post("/graphql", json={"query": PAGE_OF_TEN})

    assert spent_on_a == [200, 200]
    assert shown_on_b.json()["data"]["rateLimit"]["remaining"] == 2  # 25 - 11 - 11 - 1
    assert refused_on_b.status_code == 429
    assert code_of(refused_on_b.json()) == "RATE_LIMITED"


async def test_unauthenticated_traffic_is_limited_per_client_address(settings: Settings) -> None:
    address = f"198.51.100.{uuid.uuid4().int % 250 + 1}"
    other = f"203.0.113.{uuid.uuid4().int % 250 + 1}"
    async with (
        serve(settings, **_small(settings)) as limited,
        http_client(limited, client_ip=address) as anonymous,
        http_client(limited, client_ip=other) as elsewhere,
    ):
        codes = [
            (await anonymous.post("/graphql", json={"query": PAGE_OF_TEN})).status_code
            for _ in range(3)
        ]
        from_elsewhere = await elsewhere.post("/graphql", json={"query": PAGE_OF_TEN})
    assert codes == [200, 200, 429]  # 30 points: two operations of 11, not a third
    assert from_elsewhere.status_code == 200


async def test_an_ipv6_client_cannot_refill_its_anonymous_budget_by_rotating_within_its_64(
    settings: Settings,
) -> None:
    a, b = uuid.uuid4().int % 0xFFFF, uuid.uuid4().int % 0xFFFE
    network, neighbour = f"2001:db8:{a:x}:{b:x}", f"2001:db8:{a:x}:{b + 1:x}"
    rotated = [f"{network}:{n:x}::{n:x}" for n in range(1, 4)]  # one address per request
    async with serve(settings, **_small(settings)) as limited:
        codes = []
        for address in rotated:
            async with http_client(limited, client_ip=address) as anonymous:
                codes.append(await anonymous.post("/graphql", json={"query": PAGE_OF_TEN}))
        async with http_client(limited, client_ip=f"{neighbour}::1") as next_door:
            other_64 = await next_door.post("/graphql", json={"query": PAGE_OF_TEN})
    assert [r.status_code for r in codes] == [200, 200, 429]  # one budget for the whole /64
    assert code_of(codes[2].json()) == "RATE_LIMITED"
    assert other_64.status_code == 200  # another subscriber's /64 has its own


async def test_without_redis_the_limit_falls_back_to_this_process_and_says_so(
    settings: Settings, issue_token: Any, caplog: pytest.LogCaptureFixture
) -> None:
    token = issue_token("viewer", subject=f"offline-{uuid.uuid4()}")
    caplog.set_level(logging.WARNING, logger="sfm_graphql.security.rate_limit")
    async with (
        serve(settings, redis_url="redis://127.0.0.1:1/0", **_small(settings)) as offline,
        http_client(offline, token) as http,
    ):
        codes = [
            (await http.post("/graphql", json={"query": PAGE_OF_TEN})).status_code for _ in range(3)
        ]
        assert offline.state.services.rate_limiter.degraded
    assert codes == [200, 200, 429]
    warnings = [r.getMessage() for r in caplog.records if r.name.endswith("rate_limit")]
    assert any("per-process limits" in message for message in warnings), warnings


# -- CSRF: content types and methods ---------------------------------------------------------------


async def test_mutations_never_run_over_get(client: httpx.AsyncClient, gql: GraphQLClient) -> None:
    document = f"query Read {COUNT} mutation Write {CREATE[len('mutation ') :]}"
    for params in (
        {"query": CREATE},
        {"query": document, "operationName": "Write"},
    ):
        response = await client.get(
            "/graphql", params=params, headers={"accept": "application/json"}
        )
        assert response.status_code == 405, params
        assert code_of(response.json()) == "METHOD_NOT_ALLOWED"
    assert await component_count(gql) == 0


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "application/graphql", ""],
)
async def test_posts_a_form_could_send_are_refused(
    client: httpx.AsyncClient, gql: GraphQLClient, content_type: str
) -> None:
    body = json.dumps({"query": CREATE})
    response = await client.post("/graphql", content=body, headers={"content-type": content_type})
    assert response.status_code == 415
    assert code_of(response.json()) == "UNSUPPORTED_MEDIA_TYPE"
    assert await component_count(gql) == 0


async def test_multipart_requests_need_a_header_no_form_can_send(
    client: httpx.AsyncClient, gql: GraphQLClient
) -> None:
    form = {"operations": json.dumps({"query": CREATE}), "map": "{}"}
    files = {"unused": ("x.txt", b"x", "text/plain")}

    refused = await client.post("/graphql", data=form, files=files)
    assert refused.status_code == 400
    assert code_of(refused.json()) == "BAD_REQUEST"
    assert "Apollo-Require-Preflight" in refused.json()["errors"][0]["message"]
    assert await component_count(gql) == 0

    for header in ("Apollo-Require-Preflight", "X-Requested-With"):
        allowed = await client.post("/graphql", data=form, files=files, headers={header: "1"})
        assert allowed.status_code == 200, allowed.text
        assert "errors" not in allowed.json()
    assert await component_count(gql) == 2


# -- CORS ------------------------------------------------------------------------------------------

ALLOWED_ORIGIN = "https://sfm.example"


async def test_cors_answers_only_allowed_origins_and_never_a_wildcard_with_credentials(
    settings: Settings,
) -> None:
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
    }
    evil_origin = {"Origin": "https://evil.example"}
    query = {"query": "{ __typename }"}
    async with (
        serve(settings, cors_origins=(ALLOWED_ORIGIN,)) as listed,
        http_client(listed) as http,
    ):
        ok = await http.options("/graphql", headers={"Origin": ALLOWED_ORIGIN, **preflight})
        evil = await http.options("/graphql", headers={**evil_origin, **preflight})
        post_ok = await http.post("/graphql", json=query, headers={"Origin": ALLOWED_ORIGIN})
        post_evil = await http.post("/graphql", json=query, headers=evil_origin)
    assert ok.status_code == 200
    assert ok.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    assert ok.headers["access-control-allow-credentials"] == "true"
    assert "authorization" in ok.headers["access-control-allow-headers"].lower()
    assert evil.status_code == 400
    assert "access-control-allow-origin" not in evil.headers
    assert post_ok.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    assert "access-control-allow-origin" not in post_evil.headers

    async with serve(settings, cors_origins=("*",)) as anyone, http_client(anyone) as http:
        wildcard = await http.post(
            "/graphql", json={"query": "{ __typename }"}, headers={"Origin": "https://x.example"}
        )
    assert wildcard.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in wildcard.headers


async def test_no_origin_is_allowed_by_default(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"Origin": "https://x.example"}
    )
    assert "access-control-allow-origin" not in response.headers


# -- security headers ------------------------------------------------------------------------------


def assert_security_headers(response: httpx.Response) -> None:
    csp = response.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["frame-ancestors"] == "'none'"
    assert directives["script-src"] == "'self'"  # no inline script, no eval, no CDN
    assert directives["object-src"] == "'none'"
    # Connections: this origin, and its own WebSocket origin (GraphiQL's subscriptions) only.
    assert directives["connect-src"] == f"'self' ws://{response.request.headers['host']}"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"


async def test_security_headers_on_graphql_graphiql_static_files_and_errors(
    client: httpx.AsyncClient, anonymous_client: httpx.AsyncClient
) -> None:
    responses = [
        await client.post("/graphql", json={"query": "{ __typename }"}),
        await client.get("/graphql", headers={"accept": "text/html"}),
        await client.get("/static/graphiql/graphiql.min.js"),
        await client.get("/static/graphiql/graphiql.min.css"),
        await anonymous_client.post(
            "/graphql", json={"query": COUNT}, headers={"Authorization": "Bearer nope"}
        ),
        await client.post("/graphql", content=b"x", headers={"content-type": "text/plain"}),
    ]
    assert [r.status_code for r in responses] == [200, 200, 200, 200, 401, 415]
    assert "<html" in responses[1].text.lower()
    for response in responses:
        assert_security_headers(response)
        assert "strict-transport-security" not in response.headers  # plain HTTP


async def test_hsts_is_sent_over_https(app: Starlette) -> None:
    async with http_client(app, base_url="https://testserver") as http:
        response = await http.post("/graphql", json={"query": "{ __typename }"})
    assert response.headers["strict-transport-security"].startswith("max-age=31536000")
    assert "; connect-src 'self' wss://testserver;" in response.headers["content-security-policy"]


# -- over a live server ----------------------------------------------------------------------------


async def test_limits_and_headers_hold_over_a_real_http_server(
    live_server_url: str, issue_token: Any
) -> None:
    aliases = " ".join(f"t{i}: totalCount" for i in range(10))
    smuggled = f"""
    {{ components(first: 1) {{ ...A ...A ...A ...A }} }}
    fragment A on ComponentConnection {{ {aliases} }}
    """
    headers = {"Authorization": f"Bearer {issue_token('admin', mfa=True)}"}
    async with httpx.AsyncClient(base_url=live_server_url, headers=headers) as http:
        refused = await http.post("/graphql", json={"query": smuggled})
        deep = await http.post("/graphql", json={"query": nested(3)})
        batch = await http.post("/graphql", json=[{"query": COUNT}, {"query": COUNT}])
        fine = await http.post("/graphql", json={"query": COUNT})
    assert code_of(refused.json()) == "MAX_ALIASES_EXCEEDED"
    assert code_of(deep.json()) == "MAX_DEPTH_EXCEEDED"
    assert batch.status_code == 400
    assert fine.json()["data"]["components"]["totalCount"] >= 0
    for response in (refused, deep, batch, fine):
        assert_security_headers(response)
        assert "cost" in response.json()["extensions"]
