"""Analysis results cached under (operation, arguments, graph revision): never stale.

The graph revision advances in the same transaction as every committed write
(`db/revision.py`), so a key names one state of the graph: a result is served only for the
state it was computed from, and a write makes every older entry unreachable (they expire by
their TTL). Redis holds the entries, shared by every replica and the workers; when Redis cannot
be reached, a bounded in-process cache serves instead, so results stay correct and only sharing
is lost. Lookups are reported to the metrics as cache "analysis" (`sfm_cache_hit_rate`).

Values are JSON of plain data, read back through a pydantic `TypeAdapter` of the result type:
a value in Redis is data, never code, and one that does not validate (crafted, or written by
an older release) is a miss that is computed again and overwritten.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import redis.asyncio as redis
from pydantic import TypeAdapter, ValidationError
from redis.exceptions import RedisError

from sfm_graphql.db.database import Database
from sfm_graphql.db.revision import graph_revision
from sfm_graphql.services.analytics.graph import WANTED_REVISION
from sfm_graphql.settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")
CACHE_NAME = "analysis"
KEY_PREFIX = "sfm:analysis:"
Observer = Callable[[str, bool], None]


def cache_key(operation: str, arguments: dict[str, Any], revision: int) -> str:
    """One key per operation, canonical arguments and graph revision."""
    canonical = json.dumps(arguments, sort_keys=True, separators=(",", ":"), default=str)
    digest = hashlib.sha256(f"{operation}\0{canonical}".encode()).hexdigest()[:32]
    return f"{KEY_PREFIX}{revision}:{operation}:{digest}"


@functools.cache
def _adapter(result_type: Any) -> TypeAdapter[Any]:
    return TypeAdapter(result_type)


def encode(result_type: Any, value: Any) -> str:
    """`value` as JSON text of plain data (infinities as JSON's `Infinity`, which loads back)."""
    plain = _adapter(result_type).dump_python(value, mode="json")
    return json.dumps(plain, separators=(",", ":"))


def decode(result_type: Any, text: str | bytes) -> Any:
    """The value of `result_type` in `text`; ValueError when it is not one."""
    try:
        return _adapter(result_type).validate_python(json.loads(text))
    except (ValidationError, ValueError) as exc:  # not JSON, not UTF-8, not the type
        raise ValueError(f"not a cached {result_type!r}") from exc


class LocalCache:
    """A bounded LRU of encoded results, for when Redis is away."""

    def __init__(self, max_entries: int) -> None:
        self._entries: OrderedDict[str, str] = OrderedDict()
        self._max = max_entries

    def get(self, key: str) -> str | None:
        value = self._entries.get(key)
        if value is not None:
            self._entries.move_to_end(key)
        return value

    def put(self, key: str, value: str) -> None:
        self._entries[key] = value
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)


@dataclass(slots=True)
class CacheStats:
    """Lookups of this process since it started: found, not found, and found only locally."""

    hits: int = 0
    misses: int = 0
    local_hits: int = 0


class AnalysisCache:
    def __init__(
        self,
        client: redis.Redis | None,
        *,
        revision: Callable[[], Awaitable[int]],
        ttl_s: int,
        local_entries: int = 256,
        observer: Observer | None = None,
    ) -> None:
        self._redis = client
        self._revision = revision
        self._ttl_s = ttl_s
        self._local = LocalCache(local_entries)
        self._observe = observer or (lambda _name, _hit: None)
        self.stats = CacheStats()
        # Misses being computed, by key: a concurrent caller of the same key waits for it.
        self._computing: dict[str, asyncio.Task[Any]] = {}

    async def _read(self, key: str) -> tuple[str | bytes | None, bool]:
        """The entry under `key` (None when absent), and whether it came from the local cache."""
        if self._redis is not None:
            try:
                raw = await self._redis.get(key)
            except (RedisError, OSError) as exc:
                log.warning("analysis cache: Redis unavailable, using the local cache: %s", exc)
            else:
                found: str | bytes | None = raw
                return found, False
        return self._local.get(key), True

    async def _write(self, key: str, value: str) -> None:
        self._local.put(key, value)
        if self._redis is not None:
            try:
                await self._redis.set(key, value, ex=self._ttl_s)
            except (RedisError, OSError) as exc:
                log.warning("analysis cache: result not shared, Redis unavailable: %s", exc)

    async def _lookup(self, key: str, result_type: Any) -> tuple[bool, Any]:
        found, local = await self._read(key)
        if found is None:
            return False, None
        try:
            value = decode(result_type, found)
        except ValueError:
            log.warning("analysis cache: an entry that is not a %r was ignored", result_type)
            return False, None
        if local:
            self.stats.local_hits += 1
        return True, value

    async def cached(
        self,
        operation: str,
        arguments: dict[str, Any],
        compute: Callable[[], Awaitable[T]],
        result_type: type[T] | Any,
    ) -> T:
        """The result of `compute` for this state of the graph, computed at most once per key
        while it is cached; `result_type` (a type pydantic validates: dataclasses, lists,
        tuples, enums of plain data) reads it back. Without a revision (0: its node is missing)
        nothing is cached."""
        revision = await self._revision()
        if revision <= 0:
            # No revision yet (a graph written around the service): nothing to key it on.
            return await compute()
        key = cache_key(operation, arguments, revision)
        running = self._computing.get(key)
        if running is not None:
            # The same question is being answered for another caller in this process: one
            # computation serves both (counted as a hit: this caller computed nothing).
            self._observe(CACHE_NAME, True)
            self.stats.hits += 1
            joined: T = await asyncio.shield(running)
            return joined
        hit, value = await self._lookup(key, result_type)
        self._observe(CACHE_NAME, hit)
        if hit:
            self.stats.hits += 1
            found: T = value
            return found
        self.stats.misses += 1
        if key in self._computing:  # started while this caller looked the key up
            computed: T = await asyncio.shield(self._computing[key])
            return computed
        # The computation answers for this revision: it may share a read of the graph made
        # since (services/analytics/graph.py); the task takes the context as it is now.
        wanted = WANTED_REVISION.set(revision)
        try:
            task = asyncio.ensure_future(self._compute(key, compute, result_type))
        finally:
            WANTED_REVISION.reset(wanted)
        self._computing[key] = task
        task.add_done_callback(lambda done: self._finished(key, done))
        # Shielded: a caller that goes away (a client disconnect) does not cancel the
        # computation other callers wait for; it still finishes and is stored.
        result: T = await asyncio.shield(task)
        return result

    async def _compute(self, key: str, compute: Callable[[], Awaitable[T]], result_type: Any) -> T:
        result = await compute()
        await self._write(key, encode(result_type, result))
        return result

    def _finished(self, key: str, task: asyncio.Task[Any]) -> None:
        if self._computing.get(key) is task:
            del self._computing[key]
        if not task.cancelled():
            task.exception()  # retrieved: an error reaches its callers, not the loop's log


def analysis_cache(
    settings: Settings, db: Database, client: redis.Redis | None, observer: Observer | None
) -> AnalysisCache:
    """The cache of a process: Redis shared by every replica, keyed on the graph revision."""

    async def revision() -> int:
        return await graph_revision(db)

    return AnalysisCache(
        client, revision=revision, ttl_s=int(settings.analysis_cache_ttl_s), observer=observer
    )
