// Applies changed rows to existing deliveries (null props remove a field) and bumps versions.
// Parameters: rows (list of {id, props}).
// access: write
// revision: bump
UNWIND $rows AS row
MATCH ()-[d:DELIVERS {id: row.id}]->()
SET d += row.props,
    d.updatedAt = datetime(),
    d.version = d.version + 1
RETURN count(d) AS written
