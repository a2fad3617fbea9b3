"""Automatic persisted queries (Apollo's APQ protocol) and the production allow-list.

APQ: a client sends `extensions.persistedQuery.sha256Hash`; without the query text, the text is
looked up in Redis (`PERSISTED_QUERY_NOT_FOUND` asks the client to send it). With the text, the
pair is stored there only once the operation was accepted for execution (authenticated, under
the size, validation and cost limits), by an authenticated caller, within a size cap and a
per-principal budget: Redis also holds the rate-limit and failed-login counters.
Allow-list mode: only operations registered from a file by the `register-operations` command
run; they are kept in Neo4j and cached in each process.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from redis.asyncio import Redis

from sfm_graphql.db.database import Database
from sfm_graphql.errors import BadUserInput, ErrorCode, OperationRefused
from sfm_graphql.security.principal import Principal
from sfm_graphql.security.rate_limit import RateLimiter

log = logging.getLogger(__name__)
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
APQ_PREFIX = "sfm:apq:"
RELOAD_AFTER_S = 10.0


def sha256(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Resolved:
    """The document to run; `store` is the hash to store it under once it was accepted."""

    query: str | None
    store: str | None = None


@dataclass(frozen=True, slots=True)
class StorePolicy:
    max_bytes: int
    cost: int  # points of the caller's rate-limit budget per store
    per_window: int  # stores per principal per rate-limit window
    limiter: RateLimiter | None = None


class PersistedQueries:
    def __init__(
        self,
        *,
        redis: Redis,
        db: Database,
        allow_list_only: bool,
        ttl_s: int,
        store_policy: StorePolicy | None = None,
        cache_observer: Callable[[str, bool], None] | None = None,
    ) -> None:
        self._redis = redis
        self._db = db
        self.allow_list_only = allow_list_only
        self._ttl_s = ttl_s
        self._policy = store_policy or StorePolicy(max_bytes=20_000, cost=0, per_window=100)
        # Told (cache, hit) on every lookup: "apq" in Redis, "allow_list" in this process.
        self._observe = cache_observer or _unobserved
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
        self._observe("allow_list", found is not None)
        if found is None:
            found = (await self._allow_list(refresh=True)).get(digest)
        return found

    async def resolve(self, query: str | None, extensions: dict[str, Any] | None) -> Resolved:
        """The document to run, or raises the refusal the client should see. Stores nothing."""
        persisted = (extensions or {}).get("persistedQuery")
        if persisted is None:
            if (
                self.allow_list_only
                and query is not None
                and await self._registered(sha256(query)) is None
            ):
                raise _not_allowed()
            return Resolved(query)
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
                return Resolved(query)
            return Resolved(query, store=digest)
        if self.allow_list_only:
            registered = await self._registered(digest)
            if registered is None:
                raise _not_allowed()
            return Resolved(registered)
        stored = await self._load(digest)
        if stored is None:
            raise OperationRefused(ErrorCode.PERSISTED_QUERY_NOT_FOUND, "PersistedQueryNotFound")
        return Resolved(stored)

    async def store_accepted(
        self,
        digest: str,
        query: str,
        *,
        principal: Principal,
        budget_key: str,
        budget_points: int,
    ) -> bool:
        """Store an operation that was accepted for execution; whether it was stored.

        Anonymous callers never store; a text over the cap, a caller over its stores per window
        or out of budget is not stored (the operation has run; the client just resends its
        text next time).
        """
        policy = self._policy
        if principal.kind == "anonymous" or len(query.encode()) > policy.max_bytes:
            return False
        if policy.limiter is not None:
            stores = await policy.limiter.spend(
                f"apq-store:{budget_key}", points=policy.per_window, cost=1
            )
            if not stores.allowed:
                return False
            if policy.cost > 0:
                budget = await policy.limiter.spend(
                    budget_key, points=budget_points, cost=policy.cost
                )
                if not budget.allowed:
                    return False
        return await self._store(digest, query)

    async def _store(self, digest: str, query: str) -> bool:
        try:
            await self._redis.set(APQ_PREFIX + digest, query, ex=self._ttl_s)
        except Exception as exc:  # noqa: BLE001 (a cache miss later only costs a resend)
            log.warning("could not store a persisted query in Redis: %s", type(exc).__name__)
            return False
        return True

    async def _load(self, digest: str) -> str | None:
        try:
            value = await self._redis.get(APQ_PREFIX + digest)
        except Exception as exc:  # noqa: BLE001
            log.warning("could not read a persisted query from Redis: %s", type(exc).__name__)
            self._observe("apq", False)
            return None
        self._observe("apq", value is not None)
        if value is None:
            return None
        return value.decode() if isinstance(value, bytes) else str(value)


def _unobserved(cache: str, hit: bool) -> None:
    return


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


APOLLO_MANIFEST_FORMAT = "apollo-persisted-query-manifest"


class OperationFileError(ValueError):
    """A file of operations that cannot be registered; nothing of it is."""


def read_operation_files(paths: Iterable[Path]) -> dict[str, str]:
    """`{name: document}` from `.graphql` files and Apollo persisted-query manifests (`.json`).

    A `.graphql` file is one document, named after the file and registered by the SHA-256 of
    its exact text (clients must send that text byte for byte). A manifest is
    `{"format": "apollo-persisted-query-manifest", "version": 1, "operations": [{"id", "name",
    "type", "body"}]}`, each `id` being the SHA-256 of its `body`.
    """
    operations: dict[str, str] = {}
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise OperationFileError(f"{path}: cannot be read as UTF-8 text ({exc})") from None
        found = _manifest(path, text) if path.suffix == ".json" else {path.stem: text}
        for name, document in found.items():
            if operations.get(name, document) != document:
                raise OperationFileError(f"{path}: another operation is already named {name!r}")
            operations[name] = document
    return operations


def _manifest(path: Path, text: str) -> dict[str, str]:
    try:
        manifest = json.loads(text)
    except ValueError as exc:
        raise OperationFileError(f"{path}: not valid JSON ({exc})") from None
    if (
        not isinstance(manifest, dict)
        or manifest.get("format") != APOLLO_MANIFEST_FORMAT
        or manifest.get("version") != 1
        or not isinstance(manifest.get("operations"), list)
    ):
        raise OperationFileError(
            f'{path}: not an Apollo persisted-query manifest ("format": '
            f'"{APOLLO_MANIFEST_FORMAT}", "version": 1, "operations": [...])'
        )
    found: dict[str, str] = {}
    for index, item in enumerate(manifest["operations"]):
        where = f"{path}: operations[{index}]"
        if not isinstance(item, dict):
            raise OperationFileError(f"{where} is not an object")
        name, body, op_id = item.get("name"), item.get("body"), item.get("id")
        if not isinstance(name, str) or not name or not isinstance(body, str) or not body:
            raise OperationFileError(f"{where} needs a non-empty name and body")
        if op_id != sha256(body):
            raise OperationFileError(
                f"{where} ({name}): id is not the SHA-256 of body; this service registers "
                "operations by the SHA-256 of their text"
            )
        if found.get(name, body) != body:
            raise OperationFileError(f"{where}: another operation is already named {name!r}")
        found[name] = body
    return found
