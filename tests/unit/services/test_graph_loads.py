"""Where the graph an analysis used came from (services/analytics/graph.py): a read from Neo4j,
another process's read in Redis, or this process's recent graphs; and how a pool process's
loads cross back to the API process with its answer (services/analytics/processes.py)."""

from __future__ import annotations

import asyncio
import pickle
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import Future
from typing import Any

import pytest

from sfm_graphql.errors import AnalysisTooLarge, ErrorCode, SfmError
from sfm_graphql.observability.metrics import Metrics
from sfm_graphql.services.analytics import global_answers, graph, processes
from sfm_graphql.services.analytics.graph import (
    LOCAL,
    NEO4J,
    REDIS,
    WANTED_REVISION,
    AnalysisGraph,
    Read,
    load_graph,
    recent_graphs,
)
from sfm_graphql.services.analytics.processes import AnalysisProcesses, Answer, GraphLoads
from sfm_graphql.services.analytics.scope import Scope
from sfm_graphql.settings import Settings
from tests.unit.services.test_recent_graphs import graph as a_graph

SETTINGS = Settings()


class Database:
    """Stands for `Database`: `recent_graphs` keys on it; the reads are patched below."""


class Neo4j:
    """The graph revision and `read_graph`, counted; `gate` holds a read, `fail` fails it."""

    def __init__(self, revision: int = 5) -> None:
        self.revision, self.reads = revision, 0
        self.gate = asyncio.Event()
        self.gate.set()
        self.fail = False

    async def graph_revision(self, db: object) -> int:
        return self.revision

    async def read_graph(self, db: object, scope: Scope, settings: Settings) -> AnalysisGraph:
        self.reads += 1
        await self.gate.wait()
        if self.fail:
            raise AnalysisTooLarge("too large", limit=1)
        return a_graph(self.reads)


class Told:
    """A `GraphLoadObserver` that keeps what it was told."""

    def __init__(self) -> None:
        self.loads: list[tuple[str, float | None]] = []

    def graph_loaded(self, source: str, read_s: float | None) -> None:
        self.loads.append((source, read_s))

    @property
    def sources(self) -> list[str]:
        return [source for source, _ in self.loads]


@pytest.fixture
def neo4j(monkeypatch: pytest.MonkeyPatch) -> Neo4j:
    fake = Neo4j()
    monkeypatch.setattr(graph, "graph_revision", fake.graph_revision)
    monkeypatch.setattr(graph, "read_graph", fake.read_graph)
    return fake


@pytest.fixture
def told() -> Told:
    return Told()


@pytest.fixture
def db(told: Told) -> Database:
    database = Database()
    recent_graphs(database).observer = told  # type: ignore[arg-type]  # a stand-in Database
    return database


@pytest.fixture
def wanted() -> Iterator[None]:
    token = WANTED_REVISION.set(5)
    yield
    WANTED_REVISION.reset(token)


async def load(db: Database) -> AnalysisGraph:
    return await load_graph(db, Scope(), SETTINGS)  # type: ignore[arg-type]  # a stand-in


async def test_without_a_revision_each_load_is_a_timed_read_from_neo4j(
    neo4j: Neo4j, db: Database, told: Told
) -> None:
    await load(db)
    await load(db)
    assert told.sources == [NEO4J, NEO4J]
    assert all(read_s is not None and read_s >= 0 for _, read_s in told.loads)


@pytest.mark.usefixtures("wanted")
async def test_a_kept_graph_is_a_local_load_without_a_read_time(
    neo4j: Neo4j, db: Database, told: Told
) -> None:
    first, again = await load(db), await load(db)
    assert again is first and neo4j.reads == 1
    assert told.sources == [NEO4J, LOCAL]
    assert told.loads[1] == (LOCAL, None)


@pytest.mark.usefixtures("wanted")
async def test_callers_joining_a_read_under_way_load_locally(
    neo4j: Neo4j, db: Database, told: Told
) -> None:
    neo4j.gate.clear()
    callers = [asyncio.create_task(load(db)) for _ in range(3)]
    await asyncio.sleep(0)
    neo4j.gate.set()
    await asyncio.gather(*callers)
    assert neo4j.reads == 1
    assert sorted(told.sources) == [LOCAL, LOCAL, NEO4J]


@pytest.mark.usefixtures("wanted")
async def test_a_failed_read_is_no_load(neo4j: Neo4j, db: Database, told: Told) -> None:
    neo4j.fail = True
    with pytest.raises(AnalysisTooLarge):
        await load(db)
    assert told.loads == []


class Store:
    """A `GraphStore`: answers another process's graph when it has one, else has this one read."""

    def __init__(self, found: Read | None) -> None:
        self.found = found

    async def graph(self, scope: Scope, revision: int, read: Callable[[], Awaitable[Read]]) -> Read:
        return self.found if self.found is not None else await read()


@pytest.mark.usefixtures("wanted")
async def test_a_graph_another_process_read_is_a_redis_load(
    neo4j: Neo4j, db: Database, told: Told
) -> None:
    recent_graphs(db).shared = Store((9, a_graph(1)))  # type: ignore[arg-type]  # a stand-in
    await load(db)
    assert neo4j.reads == 0
    assert told.loads == [(REDIS, None)]


@pytest.mark.usefixtures("wanted")
async def test_a_graph_the_store_has_this_process_read_is_a_neo4j_load(
    neo4j: Neo4j, db: Database, told: Told
) -> None:
    recent_graphs(db).shared = Store(None)  # type: ignore[arg-type]  # a stand-in
    await load(db)
    assert neo4j.reads == 1
    assert told.sources == [NEO4J]


def test_the_metrics_count_loads_by_source_and_time_the_neo4j_reads() -> None:
    metrics = Metrics(max_operation_names=2, pool_size=1)
    sample = metrics.registry.get_sample_value
    for source in (NEO4J, REDIS, LOCAL):  # series exist from the start, so rate() sees the first
        assert sample("sfm_analysis_graph_reads_total", {"source": source}) == 0
    for source, read_s in ((NEO4J, 0.3), (NEO4J, 2.0), (REDIS, None), (LOCAL, None), ("?", None)):
        metrics.graph_loaded(source, read_s)
    assert sample("sfm_analysis_graph_reads_total", {"source": NEO4J}) == 2
    assert sample("sfm_analysis_graph_reads_total", {"source": REDIS}) == 1
    assert sample("sfm_analysis_graph_reads_total", {"source": "other"}) == 1
    assert sample("sfm_analysis_graph_read_seconds_count", {}) == 2
    assert sample("sfm_analysis_graph_read_seconds_sum", {}) == pytest.approx(2.3)
    assert sample("sfm_analysis_graph_read_seconds_bucket", {"le": "0.5"}) == 1


# -- across processes ----------------------------------------------------------------------------


@pytest.fixture
def pool_process(monkeypatch: pytest.MonkeyPatch) -> Iterator[GraphLoads]:
    """`processes._STATE` as `_start` leaves it in a pool process, in this one."""
    loop = asyncio.new_event_loop()
    loads = GraphLoads()
    monkeypatch.setattr(
        processes, "_STATE", {"settings": SETTINGS, "loop": loop, "db": object(), "loads": loads}
    )
    yield loads
    loop.close()


def crossed(answer: Answer) -> Answer:
    """As the pool hands it back: pickled between two processes of the service."""
    found: Answer = pickle.loads(pickle.dumps(answer))  # noqa: S301 (our own bytes)
    return found


def test_an_answer_from_a_pool_process_carries_its_loads_and_so_does_an_error(
    pool_process: GraphLoads, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def computes(*, db: object, settings: Settings, fail: bool) -> int:
        pool_process.graph_loaded(NEO4J, 0.5)
        pool_process.graph_loaded(LOCAL, None)
        if fail:
            raise AnalysisTooLarge("too large", limit=3)
        return 42

    monkeypatch.setattr(processes, "_resolve", lambda name: computes)
    answer = crossed(processes._answer("x:y", {"fail": False}, 5))
    assert (answer.value, answer.error, answer.loads) == (42, None, [(NEO4J, 0.5), (LOCAL, None)])
    failed = crossed(processes._answer("x:y", {"fail": True}, 5))
    assert isinstance(failed.error, SfmError) and failed.error.code is ErrorCode.ANALYSIS_TOO_LARGE
    assert failed.loads == [(NEO4J, 0.5), (LOCAL, None)]  # drained: counted once
    assert pool_process.loads == []


class AnsweringPool:
    """Stands for the process pool: every submission is answered `answer`."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer

    def submit(self, *args: Any) -> Future[Answer]:
        future: Future[Answer] = Future()
        future.set_result(self.answer)
        return future


@pytest.mark.parametrize("error", [None, AnalysisTooLarge("too large", limit=3)])
async def test_the_api_process_tells_its_observer_the_loads_an_answer_carries(
    error: SfmError | None, told: Told, monkeypatch: pytest.MonkeyPatch
) -> None:
    pool = AnalysisProcesses(SETTINGS, processes=1, observer=told)
    answer = Answer([(NEO4J, 1.5), (REDIS, None)], value=[] if error is None else None, error=error)
    monkeypatch.setattr(pool, "_pool_now", lambda: AnsweringPool(answer))
    arguments = {"scope": Scope(), "limit": 5}
    if error is None:
        assert await pool.run(global_answers.communities, arguments) == []
    else:
        with pytest.raises(AnalysisTooLarge):
            await pool.run(global_answers.communities, arguments)
    assert told.loads == [(NEO4J, 1.5), (REDIS, None)]
