// Creates a matrix and includes the given components in the given order (position = list index).
// Parameters: id (uuid), props (validated map), componentIds (uuids, distinct, at least one).
// Returns how many components were found, so the caller can refuse a partial matrix.
// access: write
// revision: bump
CREATE (m:Matrix)
SET m = $props,
    m.id = $id,
    m.createdAt = datetime(),
    m.updatedAt = datetime(),
    m.version = 1
WITH m
UNWIND range(0, size($componentIds) - 1) AS position
MATCH (n:Component {id: $componentIds[position]})
CREATE (m)-[:INCLUDES {position: position}]->(n)
RETURN m.id AS id, count(n) AS included
