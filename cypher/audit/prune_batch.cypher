// Deletes up to `batchSize` audit events older than `before`; the retention command repeats it
// until nothing is left. The only deletion path of the audit log; no resolver calls it.
// Parameters: before (datetime), batchSize.
// access: write
MATCH (e:AuditEvent)
WHERE e.at < $before
WITH e LIMIT $batchSize
DETACH DELETE e
RETURN count(*) AS deleted
