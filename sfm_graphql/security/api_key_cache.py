"""The shared cache of verified API keys, so a revocation is seen by every replica at once.

Entries live in Redis for a few seconds (`api_key_cache_ttl_s`), keyed by key id, stamped with
the key's *generation*: a counter in Redis that revoke and rotate increment (the revocation
marker). An entry whose stamp differs from the current generation is ignored, which also closes
the race where a replica reads a key from Neo4j just before it is revoked and caches it just
after. When Redis cannot be reached, callers read Neo4j instead; the only local cache is a
per-process one of `LOCAL_TTL_S`, used only then.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from redis.asyncio import Redis

log = logging.getLogger(__name__)

ENTRY_PREFIX = "sfm:apikey:entry:"
GENERATION_PREFIX = "sfm:apikey:gen:"
TOUCH_PREFIX = "sfm:apikey:touch:"
# A generation marker must outlive every entry stamped with an older generation.
GENERATION_TTL_S = 24 * 3600
LOCAL_TTL_S = 2.0
LOCAL_MAX_ENTRIES = 10_000
RETRY_REDIS_AFTER_S = 5.0

Entry = dict[str, Any]


class ApiKeyCache:
    def __init__(self, redis: Redis, *, ttl_s: int) -> None:
        self._redis = redis
        self._ttl_s = ttl_s
        self._local: dict[str, tuple[float, Entry]] = {}
        self._touched: dict[str, float] = {}
        self._redis_down_until = 0.0

    # -- Redis availability -----------------------------------------------------------------------

    def _redis_usable(self) -> bool:
        return time.monotonic() >= self._redis_down_until

    def _redis_failed(self, exc: Exception) -> None:
        if self._redis_usable():
            log.warning(
                "Redis unreachable for the API key cache (%s); reading keys from Neo4j",
                type(exc).__name__,
            )
        self._redis_down_until = time.monotonic() + RETRY_REDIS_AFTER_S

    # -- entries ----------------------------------------------------------------------------------

    async def get(self, key_id: str) -> Entry | None:
        """A current entry, or None (not cached, stale generation, or Redis unreachable)."""
        if not self._redis_usable():
            return self._local_get(key_id)
        try:
            raw, generation = await self._redis.mget(
                ENTRY_PREFIX + key_id, GENERATION_PREFIX + key_id
            )
        except Exception as exc:  # noqa: BLE001 (any Redis failure: fall back to Neo4j)
            self._redis_failed(exc)
            return self._local_get(key_id)
        if raw is None:
            return None
        entry: Entry = json.loads(raw)
        if entry.get("generation") != int(generation or 0):
            return None
        return entry

    async def generation(self, key_id: str) -> int | None:
        """The key's current generation; read it BEFORE reading the key from Neo4j."""
        if not self._redis_usable():
            return None
        try:
            value = await self._redis.get(GENERATION_PREFIX + key_id)
        except Exception as exc:  # noqa: BLE001
            self._redis_failed(exc)
            return None
        return int(value or 0)

    async def put(self, key_id: str, entry: Entry, generation: int | None) -> None:
        """Cache an entry read under `generation` (None: Redis was down, keep it locally)."""
        if generation is None:
            if len(self._local) >= LOCAL_MAX_ENTRIES:
                self._local.clear()
            self._local[key_id] = (time.monotonic() + LOCAL_TTL_S, entry)
            return
        stamped = {**entry, "generation": generation}
        try:
            await self._redis.set(ENTRY_PREFIX + key_id, json.dumps(stamped), ex=self._ttl_s)
        except Exception as exc:  # noqa: BLE001
            self._redis_failed(exc)

    async def invalidate(self, key_id: str) -> bool:
        """Drop the entry and bump the revocation marker; False when Redis could not be told."""
        self._local.pop(key_id, None)
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.incr(GENERATION_PREFIX + key_id)
                pipe.expire(GENERATION_PREFIX + key_id, GENERATION_TTL_S)
                pipe.delete(ENTRY_PREFIX + key_id)
                await pipe.execute()
        except Exception as exc:  # noqa: BLE001
            self._redis_failed(exc)
            log.warning(
                "API key %s changed while Redis was unreachable; replicas reading a cached copy "
                "see the change within %s s",
                key_id,
                self._ttl_s,
            )
            return False
        return True

    async def invalidate_many(self, key_ids: list[str]) -> bool:
        """`invalidate` for each key (a revoked key and the keys derived from it)."""
        told = True
        for key_id in key_ids:
            told = await self.invalidate(key_id) and told
        return told

    def _local_get(self, key_id: str) -> Entry | None:
        found = self._local.get(key_id)
        if found is None or found[0] < time.monotonic():
            self._local.pop(key_id, None)
            return None
        return found[1]

    # -- last use ---------------------------------------------------------------------------------

    async def claim_touch(self, key_id: str, interval_s: int) -> bool:
        """True at most once per `interval_s` per key across replicas: time to write lastUsedAt."""
        if self._redis_usable():
            try:
                return bool(
                    await self._redis.set(TOUCH_PREFIX + key_id, b"1", nx=True, ex=interval_s)
                )
            except Exception as exc:  # noqa: BLE001
                self._redis_failed(exc)
        now = time.monotonic()
        if self._touched.get(key_id, 0.0) > now:
            return False
        if len(self._touched) >= LOCAL_MAX_ENTRIES:
            self._touched.clear()
        self._touched[key_id] = now + interval_s
        return True
