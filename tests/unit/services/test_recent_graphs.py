"""Analyses asked of one state of the graph share one read of it (services/analytics/graph.py):
a read that began at or after the revision wanted serves, an older one never does; what crosses
to an analysis process (services/analytics/processes.py)."""

from __future__ import annotations

import asyncio
import pickle
from array import array

import pytest

from sfm_graphql.errors import AnalysisTooLarge, ErrorCode, OperationRefused
from sfm_graphql.services.analytics import global_answers
from sfm_graphql.services.analytics.graph import AnalysisGraph, Read, RecentGraphs
from sfm_graphql.services.analytics.processes import computation_name
from sfm_graphql.services.analytics.scope import Scope

EVERYTHING, BASELINE = Scope(), Scope(scenario="baseline")


def graph(edges: int) -> AnalysisGraph:
    return AnalysisGraph(
        ids=("a", "b"),
        sources=array("q", [0] * edges),
        targets=array("q", [1] * edges),
        weights=array("d", [1.0] * edges),
        deliveries=array("q", [1] * edges),
    )


class Reads:
    """A read of the graph that reports the revision current when it ran."""

    def __init__(self, current: int) -> None:
        self.current, self.count = current, 0
        self.gate = asyncio.Event()
        self.gate.set()

    async def __call__(self) -> Read:
        self.count += 1
        revision = self.current
        await self.gate.wait()
        return revision, graph(self.count)


async def test_callers_of_one_revision_share_one_read() -> None:
    recent, reads = RecentGraphs(), Reads(current=7)
    reads.gate.clear()
    callers = [asyncio.create_task(recent.graph(EVERYTHING, 7, reads)) for _ in range(3)]
    await asyncio.sleep(0)
    reads.gate.set()
    graphs = await asyncio.gather(*callers)
    assert reads.count == 1
    assert all(g is graphs[0] for g in graphs)


async def test_a_graph_read_at_a_later_revision_serves_an_earlier_one() -> None:
    recent, reads = RecentGraphs(), Reads(current=9)
    first = await recent.graph(EVERYTHING, 5, reads)  # read when 9 was current
    assert await recent.graph(EVERYTHING, 9, reads) is first
    assert await recent.graph(EVERYTHING, 6, reads) is first
    assert reads.count == 1


async def test_a_newer_revision_reads_again() -> None:
    recent, reads = RecentGraphs(), Reads(current=5)
    first = await recent.graph(EVERYTHING, 5, reads)
    reads.current = 6
    second = await recent.graph(EVERYTHING, 6, reads)
    assert second is not first and reads.count == 2


async def test_a_read_under_way_is_not_shared_with_a_newer_revision() -> None:
    # The read under way may have begun before revision 8 committed: it cannot answer for 8.
    recent, reads = RecentGraphs(), Reads(current=7)
    reads.gate.clear()
    older = asyncio.create_task(recent.graph(EVERYTHING, 7, reads))
    await asyncio.sleep(0)
    reads.current = 8
    newer = asyncio.create_task(recent.graph(EVERYTHING, 8, reads))
    await asyncio.sleep(0)
    reads.gate.set()
    assert (await older) is not (await newer)
    assert reads.count == 2


async def test_scopes_are_read_apart() -> None:
    recent, reads = RecentGraphs(), Reads(current=3)
    assert await recent.graph(EVERYTHING, 3, reads) is not await recent.graph(BASELINE, 3, reads)
    assert reads.count == 2


async def test_a_failed_read_is_not_kept() -> None:
    recent, calls = RecentGraphs(), []

    async def too_large() -> Read:
        calls.append(1)
        raise AnalysisTooLarge("too large", limit=10)

    for _ in range(2):
        with pytest.raises(AnalysisTooLarge):
            await recent.graph(EVERYTHING, 3, too_large)
    assert len(calls) == 2


async def test_a_caller_that_leaves_does_not_cancel_the_read_others_wait_for() -> None:
    recent, reads = RecentGraphs(), Reads(current=4)
    reads.gate.clear()
    leaving = asyncio.create_task(recent.graph(EVERYTHING, 4, reads))
    staying = asyncio.create_task(recent.graph(EVERYTHING, 4, reads))
    await asyncio.sleep(0)
    leaving.cancel()
    reads.gate.set()
    assert (await staying).edge_count == 1
    assert reads.count == 1


async def test_the_oldest_graphs_go_once_too_many_edges_are_kept() -> None:
    recent, reads = RecentGraphs(scopes=8, edges=3), Reads(current=2)
    first = await recent.graph(EVERYTHING, 2, reads)  # 1 edge
    await recent.graph(BASELINE, 2, reads)  # 2 edges: 3 kept, within the bound
    assert await recent.graph(EVERYTHING, 2, reads) is first
    await recent.graph(Scope(scenario="reform"), 2, reads)  # 3 more: the oldest go
    assert await recent.graph(BASELINE, 2, reads) is not None
    assert reads.count == 4  # BASELINE was dropped and read again


def _crossed(error: Exception) -> Exception:
    """As an analysis process hands it back: pickled between two processes of the service."""
    found: Exception = pickle.loads(pickle.dumps(error))  # noqa: S301 (our own bytes)
    return found


def test_an_error_crosses_processes_with_its_code_and_details() -> None:
    error = _crossed(AnalysisTooLarge("too large; narrow its scope", limit=10))
    assert isinstance(error, AnalysisTooLarge)
    assert (error.message, error.extensions()) == (
        "too large; narrow its scope",
        {"code": "ANALYSIS_TOO_LARGE", "limit": 10},
    )
    refused = _crossed(OperationRefused(ErrorCode.TIMEOUT, "slow", after=3))
    assert isinstance(refused, OperationRefused)
    assert refused.extensions() == {"code": "TIMEOUT", "after": 3}


def test_only_the_analysis_computations_run_by_name() -> None:
    assert computation_name(global_answers.centrality).endswith("global_answers:centrality")
    with pytest.raises(ValueError, match="not an analysis computation"):
        computation_name(print)
    with pytest.raises(ValueError, match="not an analysis computation"):
        computation_name(test_scopes_are_read_apart)
