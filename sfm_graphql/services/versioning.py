"""Optimistic concurrency for every versioned item (components, deliveries, matrices).

An update reads the item, refuses it when the caller's `version` is stale, merges and validates
the change, and writes it on condition that the version still holds (`update_versioned`). A
delete is one conditional statement; when it removes nothing, `refuse_delete` says why: the item
is gone, or its version moved. The refusal of a stale version is worded once
(`Conflict.stale_version`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, NoReturn

from sfm_graphql.db.database import Database
from sfm_graphql.db.transaction import Transaction
from sfm_graphql.errors import Conflict, NotFound

Row = dict[str, Any]


async def update_versioned(
    tx: Transaction,
    *,
    what: str,
    item_id: str,
    version: int,
    read: str,
    write: str,
    merge: Callable[[Row], Awaitable[dict[str, Any]]],
) -> Row:
    """Read `item_id` with `read`, check `version`, write `merge(row)` with `write`; the row."""
    rows = await tx.run(read, id=item_id)
    if not rows:
        raise NotFound(f"No {what} has this id", id=item_id)
    row: Row = rows[0]
    check_version(what, version, row["props"]["version"])
    props = await merge(row)
    if not await tx.run(write, id=item_id, version=version, props=props):
        # Another writer won between our read and write.
        raise Conflict(f"The {what} changed while it was being updated; try again")
    return row


def check_version(what: str, expected: int | None, current: int) -> None:
    if expected is not None and current != expected:
        raise Conflict.stale_version(what, expected, current)


async def refuse_delete(
    db: Database,
    *,
    what: str,
    state: str,
    item_id: str,
    version: int | None,
    otherwise: Callable[[Row], Conflict] | None = None,
) -> NoReturn:
    """Why a conditional delete removed nothing: the item is gone, its version moved, or the
    reason `otherwise` gives from the item's state row."""
    rows = await db.read(state, id=item_id)
    if not rows:
        raise NotFound(f"No {what} has this id", id=item_id)
    check_version(what, version, rows[0]["version"])
    if otherwise is not None:
        raise otherwise(rows[0])
    raise Conflict(f"The {what} changed while it was being deleted; try again")
