// Restore section deliveries: creates or overwrites DELIVERS relationships by id between
// restored components. Returns how many rows found both endpoints, so the caller can refuse a
// delivery whose component is missing.
// Parameters: rows (list of {key, source, target, props}).
// access: write
// revision: bump
UNWIND $rows AS row
MATCH (s:Component {id: row.source})
MATCH (t:Component {id: row.target})
MERGE (s)-[d:DELIVERS {id: row.key}]->(t)
SET d = row.props
RETURN count(d) AS count
