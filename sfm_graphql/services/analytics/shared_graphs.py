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

import hashlib
import logging
import struct
import sys
from array import array

import redis.asyncio as redis
from redis.exceptions import RedisError

from sfm_graphql.db.database import Database
from sfm_graphql.services.analytics.graph import AnalysisGraph, recent_graphs
from sfm_graphql.services.analytics.scope import Scope
from sfm_graphql.settings import Settings

log = logging.getLogger(__name__)
KEY_PREFIX = "sfm:analysis-graph:"
MAGIC = b"SFMG1" + sys.byteorder[0].encode()  # arrays are kept in this machine's byte order
HEADER = struct.Struct("<6sqqqq")  # magic, revision, nodes, edges, bytes of the ids
ID_SEPARATOR = "\n"  # component ids are UUIDs or external keys: never a newline


def graph_key(scope: Scope) -> str:
    return KEY_PREFIX + hashlib.sha256(scope.key().encode()).hexdigest()[:32]


def pack(revision: int, graph: AnalysisGraph) -> bytes:
    ids = ID_SEPARATOR.join(graph.ids).encode()
    header = HEADER.pack(MAGIC, revision, graph.node_count, graph.edge_count, len(ids))
    parts = [header, ids]
    parts += [a.tobytes() for a in (graph.sources, graph.targets, graph.weights, graph.deliveries)]
    return b"".join(parts)


def unpack(value: bytes) -> tuple[int, AnalysisGraph]:
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


def _numbered(nodes: int, *ends: array[int]) -> bool:
    """Whether every edge end is a node number of a graph of `nodes` nodes."""
    return all(not a or (min(a) >= 0 and max(a) < nodes) for a in ends)


class SharedGraphs:
    """The `GraphStore` of services/analytics/graph.py in Redis."""

    def __init__(self, client: redis.Redis, ttl_s: float) -> None:
        self._redis, self._ttl_ms = client, max(1, int(ttl_s * 1000))

    async def get(self, scope: Scope, revision: int) -> tuple[int, AnalysisGraph] | None:
        """The graph shared for `scope` if it was read at `revision` or later."""
        try:
            value = await self._redis.get(graph_key(scope))
        except (RedisError, OSError) as exc:
            log.warning("analysis graphs: Redis unavailable, reading from Neo4j: %s", exc)
            return None
        if not isinstance(value, bytes):
            return None
        try:
            found = unpack(value)
        except (ValueError, UnicodeDecodeError):
            log.warning("analysis graphs: an entry that is not a packed graph was ignored")
            return None
        return found if found[0] >= revision else None

    async def put(self, scope: Scope, revision: int, graph: AnalysisGraph) -> None:
        try:
            await self._redis.set(graph_key(scope), pack(revision, graph), px=self._ttl_ms)
        except (RedisError, OSError) as exc:
            log.warning("analysis graphs: graph not shared, Redis unavailable: %s", exc)


def share_graphs(db: Database, client: redis.Redis, settings: Settings) -> None:
    """The analysis graphs this process reads from `db` are shared through `client`."""
    recent_graphs(db).shared = SharedGraphs(client, settings.analysis_graph_ttl_s)
