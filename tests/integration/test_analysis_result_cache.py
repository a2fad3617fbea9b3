"""Analysis results are cached in Redis under the graph revision: a write changes the answer."""

from __future__ import annotations

from typing import Any

import redis

from sfm_graphql.services.analytics.cache import KEY_PREFIX
from sfm_graphql.settings import Settings
from tests.integration.helpers import create_component, create_delivery
from tests.services import GraphQLClient

DEGREE = """
{ centrality(measure: OUT_DEGREE, top: 3) { rank score component { id label } } }"""


def _cached_keys(settings: Settings) -> list[bytes]:
    client = redis.Redis.from_url(settings.redis_url)
    try:
        return list(client.scan_iter(f"{KEY_PREFIX}*centrality*"))
    finally:
        client.close()


async def test_a_cached_result_is_served_until_a_write_changes_the_graph(
    gql: GraphQLClient, settings: Settings
) -> None:
    ids = [await create_component(gql, "ACTOR", f"actor {i}") for i in range(4)]
    await create_delivery(gql, ids[0], ids[1], "GOVERNS")
    await create_delivery(gql, ids[0], ids[2], "GOVERNS")
    await create_delivery(gql, ids[1], ids[2], "GOVERNS")
    before = set(_cached_keys(settings))
    first: dict[str, Any] = await gql.data(DEGREE)
    keys = set(_cached_keys(settings)) - before
    assert len(keys) == 1  # computed once and stored under this revision
    assert await gql.data(DEGREE) == first  # served from the cache
    assert set(_cached_keys(settings)) - before == keys
    # A write advances the revision: the next call computes again and sees the new delivery.
    await create_delivery(gql, ids[3], ids[0], "GOVERNS")
    await create_delivery(gql, ids[3], ids[1], "GOVERNS")
    await create_delivery(gql, ids[3], ids[2], "GOVERNS")
    after = await gql.data(DEGREE)
    assert after != first
    assert after["centrality"][0]["component"]["id"] == ids[3]
    assert len(set(_cached_keys(settings)) - before) == 2
