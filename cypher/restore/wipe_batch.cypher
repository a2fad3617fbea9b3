// `restore --force`: deletes up to `batchSize` nodes (everything but the schema's
// :SchemaMigration bookkeeping, markers of earlier restores included); repeated until none is
// left, so no transaction grows with the graph.
// Parameters: batchSize.
// access: write
MATCH (n)
WHERE NOT n:SchemaMigration
WITH n LIMIT $batchSize
DETACH DELETE n
RETURN count(*) AS deleted
