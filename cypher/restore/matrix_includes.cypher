// Restore section matrix_includes: a matrix's INCLUDES relationship to a component, merged so
// a second run does not duplicate it. Returns how many rows found both ends.
// Parameters: rows (list of {matrix, component, props}).
// access: write
// revision: bump
UNWIND $rows AS row
MATCH (m:Matrix {id: row.matrix})
MATCH (n:Component {id: row.component})
MERGE (m)-[r:INCLUDES]->(n)
SET r = row.props
RETURN count(r) AS count
