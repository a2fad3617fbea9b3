// Undoes 0007_graph_revision's constraint. The :GraphRevision node stays on purpose: older
// versions ignore it, and keeping it keeps the counter continuous across a rollback and the next
// upgrade (values under which results are cached are never met again).
DROP CONSTRAINT graph_revision_id IF EXISTS;
