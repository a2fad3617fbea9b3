"""A missed heartbeat does not fail the analysis job it belongs to.

At 100k components Louvain holds the GIL for tens of seconds (bench/analytics.py); when the
worker's event loop resumes, the heartbeat's Redis call has timed out. That beat is skipped and
the job goes on: here with a Redis address that refuses every connection (a closed loopback
port, so no server is needed).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket

import pytest
import redis.asyncio as redis
from saq import Job
from saq.queue.redis import RedisQueue

from sfm_graphql.worker import _heartbeat


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port  # closed again: connections to it are refused


async def test_a_failed_beat_is_logged_and_the_heartbeat_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = redis.from_url(f"redis://127.0.0.1:{_closed_port()}/0", socket_connect_timeout=0.5)
    job = Job("run_analysis", queue=RedisQueue(client))
    caplog.set_level(logging.WARNING, logger="sfm_graphql.worker")
    beat = asyncio.create_task(_heartbeat(job, 0.05, [0.5]))
    try:
        await asyncio.sleep(0.6)
        assert not beat.done(), "the heartbeat ended on a failed beat"
    finally:
        beat.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await beat
        await client.aclose()
    missed = [r for r in caplog.records if "heartbeat missed" in r.getMessage()]
    assert len(missed) >= 2, "each failed beat is logged and the next one is tried"
