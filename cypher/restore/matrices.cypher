// Restore section matrices: creates or overwrites :Matrix nodes by id, so a second run of an
// interrupted restore rewrites what the first one wrote instead of duplicating it.
// Parameters: rows (list of {key, props}; props as stored, including id).
// access: write
// revision: bump
UNWIND $rows AS row
MERGE (n:Matrix {id: row.key})
SET n = row.props
RETURN count(n) AS count
