"""The analysis cache: one computation per (operation, arguments, revision), never a stale one."""

from __future__ import annotations

import pytest

from sfm_graphql.services.analytics.cache import AnalysisCache, LocalCache, cache_key


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

    def run() -> object:
        return cache.cached(
            "centrality", {"measure": "PAGERANK"}, compute, encode=list, decode=list
        )

    assert await run() == [0.5, 1.0]
    assert await run() == [0.5, 1.0]
    revision.value = 2  # a committed write
    assert await run() == [0.5, 2.0]
    assert calls == [1, 2]
    assert seen == [("analysis", False), ("analysis", True), ("analysis", False)]


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
