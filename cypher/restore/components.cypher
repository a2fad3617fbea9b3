// Restore section components: creates or overwrites components by id, with their type label,
// so a second run of an interrupted restore rewrites what the first one wrote.
// Parameters: rows (list of {key, labels, props}; labels checked against ComponentType by the
// caller before they get here, never taken from the file unchecked).
// access: write
// revision: bump
UNWIND $rows AS row
MERGE (n:Component {id: row.key})
SET n = row.props
SET n:$(row.labels)
RETURN count(n) AS count
