"""The graph revision: a counter in Neo4j that advances with every committed change of the
analysed graph, so a result cached under (operation, arguments, revision) is never served after
a change (issue 13, "Cached, never stale").

One `:GraphRevision {id: 'graph'}` node (migration 0007) holds `value`. `Database` advances it
itself, once per transaction, as that transaction's last statement, whenever a statement whose
Cypher file says `// revision: bump` reported updates: the services' mutations (components,
deliveries, matrices, scenarios), bulk import, the privacy purge, restore and the demo loader all
write through those statements. A write that changed nothing (a version conflict, a delete of
nothing) and a transaction rolled back leave the revision alone. Writes that bypass `Database`
(raw Cypher in a shell) do not advance it.

The value only grows but is not dense: it starts at the time in milliseconds of its creation.
"""

from __future__ import annotations

from sfm_graphql.db.database import Database


async def graph_revision(db: Database) -> int:
    """The current revision (a read; 0 when the node is missing and nothing was written since)."""
    rows = await db.read("revision/get")
    value: int = rows[0]["value"]
    return value
