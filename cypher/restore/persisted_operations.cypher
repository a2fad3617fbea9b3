// Restore section persisted_operations: creates or overwrites :PersistedOperation nodes by hash, so a second run of an
// interrupted restore rewrites what the first one wrote instead of duplicating it.
// Parameters: rows (list of {key, props}; props as stored, including hash).
// access: write
UNWIND $rows AS row
MERGE (n:PersistedOperation {hash: row.key})
SET n = row.props
RETURN count(n) AS count
