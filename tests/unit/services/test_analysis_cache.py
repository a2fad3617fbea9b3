"""The analysis cache: one computation per (operation, arguments, revision), never a stale one,
and a stored value that is not a result of the expected type is never trusted."""

from __future__ import annotations

import asyncio

import pytest

from sfm_graphql.domain.enums import ComponentType
from sfm_graphql.services.analytics.cache import (
    AnalysisCache,
    LocalCache,
    cache_key,
    decode,
    encode,
)
from sfm_graphql.services.analytics.results import ImpactResult, ReachedResult, Walk


class Revision:
    def __init__(self) -> None:
        self.value = 1

    async def __call__(self) -> int:
        return self.value


@pytest.fixture
def revision() -> Revision:
    return Revision()


async def test_a_result_is_computed_once_per_revision_and_again_after_a_write(
    revision: Revision,
) -> None:
    seen: list[tuple[str, bool]] = []
    cache = AnalysisCache(
        None, revision=revision, ttl_s=60, observer=lambda name, hit: seen.append((name, hit))
    )
    calls = []

    async def compute() -> list[float]:
        calls.append(revision.value)
        return [0.5, float(revision.value)]

    async def run() -> list[float]:
        return await cache.cached("centrality", {"measure": "PAGERANK"}, compute, list[float])

    assert await run() == [0.5, 1.0]
    assert await run() == [0.5, 1.0]
    revision.value = 2  # a committed write
    assert await run() == [0.5, 2.0]
    assert calls == [1, 2]
    assert seen == [("analysis", False), ("analysis", True), ("analysis", False)]
    assert (cache.stats.hits, cache.stats.misses, cache.stats.local_hits) == (1, 2, 1)


async def test_without_a_revision_nothing_is_cached(revision: Revision) -> None:
    revision.value = 0
    cache = AnalysisCache(None, revision=revision, ttl_s=60)
    calls = []

    async def compute() -> int:
        calls.append(1)
        return 7

    assert [await cache.cached("reach", {}, compute, int) for _ in range(2)] == [7, 7]
    assert len(calls) == 2
    assert (cache.stats.hits, cache.stats.misses) == (0, 0)


def test_keys_differ_by_operation_arguments_and_revision_not_by_argument_order() -> None:
    base = cache_key("centrality", {"a": 1, "b": [1, 2]}, 3)
    assert base == cache_key("centrality", {"b": [1, 2], "a": 1}, 3)
    assert base != cache_key("centrality", {"a": 1, "b": [1, 2]}, 4)
    assert base != cache_key("reach", {"a": 1, "b": [1, 2]}, 3)
    assert base != cache_key("centrality", {"a": 2, "b": [1, 2]}, 3)


def test_the_local_cache_is_bounded_and_keeps_the_recently_used() -> None:
    local = LocalCache(2)
    local.put("a", "1")
    local.put("b", "2")
    assert local.get("a") == "1"
    local.put("c", "3")
    assert local.get("b") is None
    assert (local.get("a"), local.get("c")) == ("1", "3")


def test_results_round_trip_through_plain_json() -> None:
    impact = ImpactResult(
        by_type=[(ComponentType.ACTOR, 2), (ComponentType.POLICY, 1)],
        components=[ReachedResult("a", 1, -0.5), ReachedResult("b", 2, None)],
        density=0.25,
        truncated=False,
    )
    text = encode(ImpactResult, impact)
    assert '"ACTOR"' in text and "py/" not in text  # enums by value, no object notation
    assert decode(ImpactResult, text) == impact
    loop = Walk(components=["a", "b"], hops=[[("a", "b")], [("b", "a")]], weight=float("inf"))
    assert decode(Walk | None, encode(Walk | None, loop)) == loop
    assert decode(Walk | None, encode(Walk | None, None)) is None


@pytest.mark.parametrize(
    "stored",
    [
        "not json",
        '{"walks": "os.system(\'id\')", "truncated": false}',
        "\x80\x04\x95cos\nsystem\n",  # a pickle: read as text, never unpickled
        '{"components": [], "truncated": "maybe"}',
    ],
)
def test_a_stored_value_that_is_not_a_result_is_refused(stored: str) -> None:
    with pytest.raises(ValueError, match="not a cached"):
        decode(ImpactResult, stored)


async def test_concurrent_callers_of_one_key_share_one_computation(revision: Revision) -> None:
    cache = AnalysisCache(None, revision=revision, ttl_s=60)
    started, release = asyncio.Event(), asyncio.Event()
    calls = []

    async def compute() -> list[int]:
        calls.append(1)
        started.set()
        await release.wait()
        return [1, 2, 3]

    first = asyncio.create_task(cache.cached("communities", {}, compute, list[int]))
    await started.wait()
    second = asyncio.create_task(cache.cached("communities", {}, compute, list[int]))
    await asyncio.sleep(0)
    release.set()
    assert await first == await second == [1, 2, 3]
    assert len(calls) == 1
    assert (cache.stats.hits, cache.stats.misses) == (1, 1)


async def test_a_caller_that_goes_away_leaves_the_computation_to_the_others(
    revision: Revision,
) -> None:
    cache = AnalysisCache(None, revision=revision, ttl_s=60)
    started, release = asyncio.Event(), asyncio.Event()

    async def compute() -> str:
        started.set()
        await release.wait()
        return "done"

    leaving = asyncio.create_task(cache.cached("reach", {}, compute, str))
    await started.wait()
    staying = asyncio.create_task(cache.cached("reach", {}, compute, str))
    await asyncio.sleep(0)
    leaving.cancel()
    release.set()
    assert await staying == "done"
    with pytest.raises(asyncio.CancelledError):
        await leaving
    assert await cache.cached("reach", {}, compute, str) == "done"  # stored meanwhile


async def test_an_error_reaches_every_waiting_caller_and_is_not_cached(
    revision: Revision,
) -> None:
    cache = AnalysisCache(None, revision=revision, ttl_s=60)
    started, release = asyncio.Event(), asyncio.Event()
    calls = []

    async def compute() -> str:
        calls.append(1)
        started.set()
        await release.wait()
        raise RuntimeError("too large")

    callers = [asyncio.create_task(cache.cached("paths", {}, compute, str))]
    await started.wait()
    callers.append(asyncio.create_task(cache.cached("paths", {}, compute, str)))
    await asyncio.sleep(0)
    release.set()
    for caller in callers:
        with pytest.raises(RuntimeError, match="too large"):
            await caller
    started.clear()
    with pytest.raises(RuntimeError):
        await cache.cached("paths", {}, compute, str)
    assert len(calls) == 2  # computed again: errors are never stored
