"""Backup and restore stream: their peak memory does not grow with the graph.

The same backup and restore run on a generated graph and on one four times its size; Python's
peak allocation (tracemalloc) stays the same within a margin, while the file grows fourfold.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from sfm_graphql.operations.backup.restore import restore_backup
from sfm_graphql.operations.backup.writer import write_backup
from tests.services import wipe_graph

pytestmark = pytest.mark.integration

GROW = """
UNWIND range($start, $end - 1) AS i
CREATE (:Component:Actor {id: 'c-' + toString(i), label: 'actor ' + toString(i),
  description: reduce(s = '', k IN range(1, 8) | s + 'a longer description ' + toString(i)),
  createdAt: datetime(), version: 1})
"""
LINK = """
UNWIND range($start, $end - 1) AS i
MATCH (s:Component {id: 'c-' + toString(i % $nodes)})
MATCH (t:Component {id: 'c-' + toString((i * 7 + 1) % $nodes)})
CREATE (s)-[:DELIVERS {id: 'd-' + toString(i), kind: 'INFORMS', weight: toFloat(i % 10),
  description: 'delivery ' + toString(i) + ' with a few words of text', createdAt: datetime()}]->(t)
"""


def _grow(driver: Any, nodes: int, deliveries: int) -> None:
    for start in range(0, nodes, 5000):
        driver.execute_query(GROW, start=start, end=min(start + 5000, nodes))
    for start in range(0, deliveries, 5000):
        driver.execute_query(LINK, start=start, end=min(start + 5000, deliveries), nodes=nodes)


async def _peak(run: Callable[[], Awaitable[Any]]) -> int:
    tracemalloc.start()
    try:
        await run()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


async def test_peak_memory_does_not_grow_with_the_graph(
    app: Any, neo4j_driver: Any, clean_graph: None, tmp_path: Path
) -> None:
    settings = app.state.settings
    peaks: list[tuple[int, int, int]] = []
    for scale in (1, 4):
        wipe_graph(neo4j_driver)
        _grow(neo4j_driver, 600 * scale, 2400 * scale)
        path = tmp_path / f"x{scale}.sfmbak"

        async def backup(path: Path = path) -> Any:
            return await write_backup(
                driver=app.state.db.driver,
                registry=app.state.db.registry,
                database=settings.neo4j_database,
                output=path,
                key=bytes(32),
                progress=lambda _: None,
            )

        async def restore(path: Path = path) -> Any:
            return await restore_backup(
                db=app.state.db,
                database=settings.neo4j_database,
                path=path,
                key=bytes(32),
                force=True,
                batch_size=500,
                progress=lambda _: None,
            )

        backup_peak = await _peak(backup)
        restore_peak = await _peak(restore)
        peaks.append((path.stat().st_size, backup_peak, restore_peak))
    (small_size, small_backup, small_restore), (big_size, big_backup, big_restore) = peaks
    assert big_size > 3 * small_size  # four times the data went through
    margin = 2 * 1024 * 1024  # allocator noise, the driver's buffers
    assert big_backup < small_backup * 1.25 + margin, peaks
    assert big_restore < small_restore * 1.25 + margin, peaks
    assert big_backup < 32 * 1024 * 1024, peaks
