"""One read transaction that a backup streams every section through, with a proof of quiet.

Neo4j isolates transactions at read committed: two statements of one read transaction can see
different commits. The proof: a transaction's bookmark names the database's last committed
transaction at its end. The bookmark of an empty read transaction taken just before the backup
transaction and the backup transaction's own bookmark at commit are equal exactly when nothing
committed in between, and then every statement read the same state: a consistent snapshot.
When they differ the caller discards what it wrote and tries again (docs/operations/).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import neo4j
from neo4j import AsyncDriver

from sfm_graphql.db.cypher_registry import CypherRegistry

# Rows per fetch from the server: fewer round trips than the driver's 1000, a few MB at most.
FETCH_ROWS = 5000


class Snapshot:
    """Open with `open`, stream named read queries, then `commit` to learn if it was quiet."""

    def __init__(self, session: neo4j.AsyncSession, registry: CypherRegistry) -> None:
        self._session = session
        self._registry = registry
        self._tx: neo4j.AsyncTransaction | None = None
        self._before: frozenset[str] = frozenset()
        self.bookmark = ""

    @classmethod
    async def open(
        cls, driver: AsyncDriver, registry: CypherRegistry, *, database: str, timeout_s: float
    ) -> Snapshot:
        session = driver.session(
            database=database, default_access_mode=neo4j.READ_ACCESS, fetch_size=FETCH_ROWS
        )
        snapshot = cls(session, registry)
        try:
            quiet = await session.begin_transaction()
            await quiet.commit()
            snapshot._before = frozenset((await session.last_bookmarks()).raw_values)
            snapshot._tx = await session.begin_transaction(timeout=timeout_s)
        except BaseException:
            await session.close()
            raise
        return snapshot

    async def stream(self, name: str) -> AsyncIterator[neo4j.Record]:
        """The rows of a parameterless read query, fetched from the server batch by batch."""
        query = self._registry.get(name)
        query.check({})
        if query.access != "read" or self._tx is None:
            raise ValueError(f"query {name!r} cannot run in a read snapshot")
        result = await self._tx.run(query.text)
        async for record in result:
            yield record

    async def rows(self, name: str) -> list[dict[str, Any]]:
        return [record.data() async for record in self.stream(name)]

    async def commit(self) -> bool:
        """Ends the transaction; True when no transaction committed while it read."""
        assert self._tx is not None
        await self._tx.commit()
        self._tx = None
        after = frozenset((await self._session.last_bookmarks()).raw_values)
        self.bookmark = ",".join(sorted(after))
        return after == self._before

    async def close(self) -> None:
        if self._tx is not None:
            await self._tx.rollback()
            self._tx = None
        await self._session.close()
