// Before a restore: how many nodes the target holds besides the schema's own bookkeeping (the
// migration records and lock, the graph revision), and the marker an interrupted restore left
// (its backup id, or null).
// Parameters: none.
// access: read
OPTIONAL MATCH (marker:RestoreInProgress)
WITH collect(marker.backupId) AS markers
OPTIONAL MATCH (n)
WHERE NOT n:SchemaMigration AND NOT n:MigrationLock AND NOT n:GraphRevision
  AND NOT n:RestoreInProgress
RETURN count(n) AS nodes, markers
