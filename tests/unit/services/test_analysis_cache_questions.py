"""Questions asked while their answer is computed for an older state: they share the one
computation that starts after it, which answers for a state at least as new as each of theirs."""

from __future__ import annotations

import asyncio

import pytest

from sfm_graphql.services.analytics.cache import AnalysisCache
from sfm_graphql.services.analytics.graph import WANTED_REVISION


class Graph:
    """A revision that writes advance, and a computation the test lets finish one at a time."""

    def __init__(self) -> None:
        self.revision = 1
        self.started: asyncio.Queue[int] = asyncio.Queue()
        self.release: asyncio.Queue[Exception | None] = asyncio.Queue()
        self.computed: list[tuple[int, int]] = []  # (revision read, revision wanted)

    async def current(self) -> int:
        return self.revision

    async def compute(self) -> int:
        seen = self.revision
        self.computed.append((seen, WANTED_REVISION.get()))
        await self.started.put(seen)
        failure = await self.release.get()
        if failure is not None:
            raise failure
        return seen


@pytest.fixture
def graph() -> Graph:
    return Graph()


def ask(cache: AnalysisCache, graph: Graph) -> asyncio.Task[int]:
    return asyncio.create_task(cache.cached("centrality", {"top": 10}, graph.compute, int))


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_questions_of_newer_states_share_the_next_computation(graph: Graph) -> None:
    cache = AnalysisCache(None, revision=graph.current, ttl_s=60)
    first = ask(cache, graph)
    assert await graph.started.get() == 1
    later = []
    for revision in (2, 3, 4):  # writes land while the first computation runs
        graph.revision = revision
        later.append(ask(cache, graph))
        await settle()
    assert graph.started.empty()  # nothing more starts while the first runs
    await graph.release.put(None)
    assert await first == 1
    assert await graph.started.get() == 4  # the next one reads the state of then
    await graph.release.put(None)
    assert [await t for t in later] == [4, 4, 4]
    assert graph.computed == [(1, 1), (4, 4)]  # two computations for four questions
    assert (cache.stats.hits, cache.stats.misses) == (2, 2)
    assert await ask(cache, graph) == 4  # stored under the revision it answered for
    assert len(graph.computed) == 2


async def test_a_question_newer_than_a_started_next_computation_waits_for_another(
    graph: Graph,
) -> None:
    cache = AnalysisCache(None, revision=graph.current, ttl_s=60)
    first = ask(cache, graph)
    await graph.started.get()
    graph.revision = 2
    second = ask(cache, graph)
    await settle()
    await graph.release.put(None)
    assert await graph.started.get() == 2
    graph.revision = 3  # a write after the second computation read its state
    third = ask(cache, graph)
    await settle()
    await graph.release.put(None)
    assert (await first, await second) == (1, 2)
    assert await graph.started.get() == 3
    await graph.release.put(None)
    assert await third == 3
    assert [seen for seen, _ in graph.computed] == [1, 2, 3]


async def test_the_next_computation_runs_when_the_one_before_failed(graph: Graph) -> None:
    cache = AnalysisCache(None, revision=graph.current, ttl_s=60)
    first = ask(cache, graph)
    await graph.started.get()
    graph.revision = 2
    second = ask(cache, graph)
    await settle()
    await graph.release.put(RuntimeError("pool process gone"))
    with pytest.raises(RuntimeError, match="pool process gone"):
        await first
    assert await graph.started.get() == 2
    await graph.release.put(None)
    assert await second == 2


async def test_a_next_computation_never_answers_for_a_state_older_than_its_callers(
    graph: Graph,
) -> None:
    """A revision read from a lagging cluster member is not trusted below a caller's."""
    cache = AnalysisCache(None, revision=graph.current, ttl_s=60)
    first = ask(cache, graph)
    await graph.started.get()
    graph.revision = 5
    second = ask(cache, graph)
    await settle()
    graph.revision = 3  # the next read of the revision comes from a member behind
    await graph.release.put(None)
    await graph.started.get()
    await graph.release.put(None)
    await first
    assert await second == 3
    assert graph.computed[-1] == (3, 5)  # the graph it reads must be of revision 5 or later


async def test_a_caller_that_goes_away_leaves_the_next_computation_to_the_others(
    graph: Graph,
) -> None:
    cache = AnalysisCache(None, revision=graph.current, ttl_s=60)
    first = ask(cache, graph)
    await graph.started.get()
    graph.revision = 2
    leaving, staying = ask(cache, graph), ask(cache, graph)
    await settle()
    leaving.cancel()
    await graph.release.put(None)
    await graph.started.get()
    await graph.release.put(None)
    assert (await first, await staying) == (1, 2)
    with pytest.raises(asyncio.CancelledError):
        await leaving
