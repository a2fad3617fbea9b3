// Applies changed rows to existing components (null props remove a field) and bumps versions.
// Parameters: rows (list of {id, props}).
// access: write
// revision: bump
UNWIND $rows AS row
MATCH (n:Component {id: row.id})
SET n += row.props,
    n.updatedAt = datetime(),
    n.version = n.version + 1
RETURN count(n) AS written
