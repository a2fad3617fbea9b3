"""The analysis graph read last per scope, shared in Redis by every process of the service.

Each API process's analysis processes, every replica's and the workers' read the same graph of
the same state; the first to read it from Neo4j stores it here, and the others take it instead
of reading every delivery again (services/analytics/graph.py says when a graph may serve a
revision). One entry per scope, `sfm:analysis-graph:<digest of the scope>`, replaced by any newer
read, gone after `SFM_ANALYSIS_GRAPH_TTL_S`. The value is packed data (counts, then the
component ids, then the edge arrays) checked for size while unpacked: never code, and an entry
that does not unpack (crafted, or written by another release) is ignored. When Redis cannot be
reached, graphs are simply read from Neo4j.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import secrets
import struct
import sys
import time
from array import array
from collections.abc import Awaitable, Callable

import redis.asyncio as redis
from redis.exceptions import RedisError

from sfm_graphql.db.database import Database
from sfm_graphql.services.analytics.graph import AnalysisGraph, Read, recent_graphs
from sfm_graphql.services.analytics.scope import Scope
from sfm_graphql.settings import Settings

log = logging.getLogger(__name__)
KEY_PREFIX = "sfm:analysis-graph:"
LEASE_PREFIX = "sfm:analysis-graph-read:"
MAGIC = b"SFMG1" + sys.byteorder[0].encode()  # arrays are kept in this machine's byte order
HEADER = struct.Struct("<6sqqqq")  # magic, revision, nodes, edges, bytes of the ids
ID_SEPARATOR = "\n"  # component ids are UUIDs or external keys: never a newline


def graph_key(scope: Scope) -> str:
    return KEY_PREFIX + _digest(scope)


def lease_key(scope: Scope) -> str:
    return LEASE_PREFIX + _digest(scope)


def _digest(scope: Scope) -> str:
    return hashlib.sha256(scope.key().encode()).hexdigest()[:32]


def pack(revision: int, graph: AnalysisGraph) -> bytes:
    ids = ID_SEPARATOR.join(graph.ids).encode()
    header = HEADER.pack(MAGIC, revision, graph.node_count, graph.edge_count, len(ids))
    parts = [header, ids]
    parts += [a.tobytes() for a in (graph.sources, graph.targets, graph.weights, graph.deliveries)]
    return b"".join(parts)


def unpack(value: bytes) -> Read:
    """The revision and graph in `value`; ValueError when it is not one."""
    try:
        magic, revision, nodes, edges, id_bytes = HEADER.unpack_from(value)
    except struct.error as exc:
        raise ValueError("not a packed analysis graph") from exc
    if magic != MAGIC or min(nodes, edges, id_bytes) < 0:
        raise ValueError("not a packed analysis graph")
    sources, targets, deliveries, weights = array("q"), array("q"), array("q"), array("d")
    if len(value) != HEADER.size + id_bytes + edges * 4 * 8:  # four arrays of 8-byte items
        raise ValueError("not a packed analysis graph")
    at = HEADER.size + id_bytes
    ids = tuple(value[HEADER.size : at].decode().split(ID_SEPARATOR)) if nodes else ()
    for part in (sources, targets, weights, deliveries):  # in the order `pack` wrote them
        part.frombytes(value[at : at + edges * 8])
        at += edges * 8
    if len(ids) != nodes or not _numbered(nodes, sources, targets):
        raise ValueError("not a packed analysis graph")
    return revision, AnalysisGraph(ids, sources, targets, weights, deliveries)


def recent_enough(header: object, revision: int) -> bool:
    """Whether `header` (the first bytes of an entry) is a packed graph's of `revision` or later;
    the whole entry is checked when unpacked."""
    if not isinstance(header, bytes) or len(header) != HEADER.size:
        return False
    magic, read_at, *_ = HEADER.unpack(header)
    return bool(magic == MAGIC and read_at >= revision)


def _numbered(nodes: int, *ends: array[int]) -> bool:
    """Whether every edge end is a node number of a graph of `nodes` nodes."""
    return all(not a or (min(a) >= 0 and max(a) < nodes) for a in ends)


# The lease of the one process reading a scope's graph: held for LEASE_S, renewed while read.
LEASE_S = 2.0
RENEW_S = 0.5
POLL_S = 0.02
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end"
_RENEW = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then "
    "return redis.call('pexpire', KEYS[1], ARGV[2]) end"
)


class SharedGraphs:
    """The `GraphStore` of services/analytics/graph.py in Redis: one graph per scope, and one
    process at a time reading it from Neo4j (the holder of the scope's lease); the others wait
    for the lease to go and take its graph when it was read at the revision they want or later,
    else read next. So the analyses of every process put at most one whole-graph read per scope
    on Neo4j at a time. A holder that dies loses its lease within LEASE_S."""

    def __init__(self, client: redis.Redis, ttl_s: float, wait_s: float) -> None:
        self._redis, self._ttl_ms = client, max(1, int(ttl_s * 1000))
        self._wait_s = wait_s  # the longest wait for another process's read

    async def graph(self, scope: Scope, revision: int, read: Callable[[], Awaitable[Read]]) -> Read:
        key = lease_key(scope)
        token = secrets.token_hex(8)
        try:
            found = await self._shared_or_lease(scope, revision, key, token)
        except (RedisError, OSError) as exc:
            log.warning("analysis graphs: Redis unavailable, reading from Neo4j: %s", exc)
            return await read()
        if found is not None:
            return found
        return await self._read_holding(key, token, scope, read)

    async def _shared_or_lease(
        self, scope: Scope, revision: int, key: str, token: str
    ) -> Read | None:
        """A graph shared for `revision` or later, or None once this process holds the lease (or
        has waited as long as an analysis may for another's read)."""
        waited_until = time.monotonic() + self._wait_s
        while True:
            found = await self._get(scope, revision)
            if found is not None:
                return found
            if await self._redis.set(key, token, nx=True, px=int(LEASE_S * 1000)):
                return None
            if time.monotonic() > waited_until:
                return None  # the holder is slower than an analysis may wait: read as well
            # Another process holds it: no event of this process says when it lets go.
            while await self._redis.exists(key) and time.monotonic() <= waited_until:  # noqa: ASYNC110
                await asyncio.sleep(POLL_S)

    async def _read_holding(
        self, key: str, token: str, scope: Scope, read: Callable[[], Awaitable[Read]]
    ) -> Read:
        renewing = asyncio.create_task(self._renew(key, token))
        try:
            revision, graph = await read()
        finally:
            renewing.cancel()
            with contextlib.suppress(RedisError, OSError):
                await self._redis.eval(_RELEASE, 1, key, token)
        try:
            await self._redis.set(graph_key(scope), pack(revision, graph), px=self._ttl_ms)
        except (RedisError, OSError) as exc:
            log.warning("analysis graphs: graph not shared, Redis unavailable: %s", exc)
        return revision, graph

    async def _renew(self, key: str, token: str) -> None:
        with contextlib.suppress(RedisError, OSError):
            while True:
                await asyncio.sleep(RENEW_S)
                await self._redis.eval(_RENEW, 1, key, token, int(LEASE_S * 1000))

    async def _get(self, scope: Scope, revision: int) -> Read | None:
        """The graph shared for `scope` if it was read at `revision` or later."""
        key = graph_key(scope)
        # Its header first: under a stream of writes most entries are older than wanted, and
        # the whole entry is megabytes to transfer and unpack (10,000 components: ~2 MB).
        if not recent_enough(await self._redis.getrange(key, 0, HEADER.size - 1), revision):
            return None
        value = await self._redis.get(key)
        if not isinstance(value, bytes):
            return None
        try:
            found = unpack(value)
        except (ValueError, UnicodeDecodeError):
            log.warning("analysis graphs: an entry that is not a packed graph was ignored")
            return None
        return found if found[0] >= revision else None


def share_graphs(db: Database, client: redis.Redis, settings: Settings) -> None:
    """The analysis graphs this process reads from `db` are shared through `client`."""
    recent_graphs(db).shared = SharedGraphs(
        client, settings.analysis_graph_ttl_s, wait_s=settings.analysis_timeout_s
    )
