"""Automatic persisted queries (Apollo's APQ protocol) and the production allow-list.

APQ: a client sends `extensions.persistedQuery.sha256Hash`; with the query text the pair is
stored in Redis, without it the text is looked up there (`PERSISTED_QUERY_NOT_FOUND` asks the
client to send it). Allow-list mode: only operations registered from a file by the
`register-operations` command run; they are kept in Neo4j and cached in each process.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from typing import Any

from redis.asyncio import Redis

from sfm_graphql.db.database import Database
from sfm_graphql.errors import BadUserInput, ErrorCode, OperationRefused

log = logging.getLogger(__name__)
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
APQ_PREFIX = "sfm:apq:"
RELOAD_AFTER_S = 10.0


def sha256(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


class PersistedQueries:
    def __init__(self, *, redis: Redis, db: Database, allow_list_only: bool, ttl_s: int) -> None:
        self._redis = redis
        self._db = db
        self.allow_list_only = allow_list_only
        self._ttl_s = ttl_s
        self._allowed: dict[str, str] = {}
        self._loaded_at = 0.0

    async def _allow_list(self, *, refresh: bool) -> dict[str, str]:
        if refresh and time.monotonic() - self._loaded_at > RELOAD_AFTER_S:
            rows = await self._db.read("persisted/all")
            self._allowed = {r["hash"]: r["document"] for r in rows}
            self._loaded_at = time.monotonic()
        return self._allowed

    async def _registered(self, digest: str) -> str | None:
        found = (await self._allow_list(refresh=False)).get(digest)
        if found is None:
            found = (await self._allow_list(refresh=True)).get(digest)
        return found

    async def resolve(self, query: str | None, extensions: dict[str, Any] | None) -> str | None:
        """The document to run, or raises the refusal the client should see."""
        persisted = (extensions or {}).get("persistedQuery")
        if persisted is None:
            if (
                self.allow_list_only
                and query is not None
                and await self._registered(sha256(query)) is None
            ):
                raise _not_allowed()
            return query
        if not isinstance(persisted, dict) or persisted.get("version") != 1:
            raise BadUserInput("persistedQuery must be {version: 1, sha256Hash: ...}")
        digest = persisted.get("sha256Hash")
        if not isinstance(digest, str) or not _SHA256.match(digest):
            raise BadUserInput("persistedQuery.sha256Hash must be 64 lowercase hex characters")
        if query is not None:
            if sha256(query) != digest:
                raise BadUserInput("persistedQuery.sha256Hash does not match the query")
            if self.allow_list_only:
                if await self._registered(digest) is None:
                    raise _not_allowed()
                return query
            await self._store(digest, query)
            return query
        if self.allow_list_only:
            registered = await self._registered(digest)
            if registered is None:
                raise _not_allowed()
            return registered
        stored = await self._load(digest)
        if stored is None:
            raise OperationRefused(ErrorCode.PERSISTED_QUERY_NOT_FOUND, "PersistedQueryNotFound")
        return stored

    async def _store(self, digest: str, query: str) -> None:
        try:
            await self._redis.set(APQ_PREFIX + digest, query, ex=self._ttl_s)
        except Exception as exc:  # noqa: BLE001 (a cache miss later only costs a resend)
            log.warning("could not store a persisted query in Redis: %s", type(exc).__name__)

    async def _load(self, digest: str) -> str | None:
        try:
            value = await self._redis.get(APQ_PREFIX + digest)
        except Exception as exc:  # noqa: BLE001
            log.warning("could not read a persisted query from Redis: %s", type(exc).__name__)
            return None
        if value is None:
            return None
        return value.decode() if isinstance(value, bytes) else str(value)


def _not_allowed() -> OperationRefused:
    return OperationRefused(
        ErrorCode.PERSISTED_QUERY_NOT_ALLOWED,
        "Only registered operations may run on this service",
    )


async def register_operations(db: Database, operations: dict[str, str]) -> int:
    """Store `{name: document}` in the allow-list; returns how many were new or changed."""
    rows = [
        {"hash": sha256(doc), "name": name, "document": doc} for name, doc in operations.items()
    ]
    result = await db.write("persisted/register", rows=rows)
    return int(result[0]["count"]) if result else 0
