// `restore --force`: deletes up to `batchSize` nodes (everything but the schema's bookkeeping,
// :SchemaMigration, :MigrationLock and the :GraphRevision counter, which keeps counting;
// markers of earlier restores included); repeated until none is left, so no transaction grows
// with the graph.
// Parameters: batchSize.
// access: write
// revision: bump
MATCH (n)
WHERE NOT n:SchemaMigration AND NOT n:MigrationLock AND NOT n:GraphRevision
WITH n LIMIT $batchSize
DETACH DELETE n
RETURN count(*) AS deleted
