// Replaces a matrix's rows and columns with the given components, in the given order.
// Parameters: id, componentIds (uuids, distinct, at least one).
// Returns how many components were found, so the caller can refuse a partial matrix.
// access: write
// revision: bump
MATCH (m:Matrix {id: $id})
CALL (m) {
  MATCH (m)-[old:INCLUDES]->()
  DELETE old
}
WITH m
UNWIND range(0, size($componentIds) - 1) AS position
MATCH (n:Component {id: $componentIds[position]})
CREATE (m)-[:INCLUDES {position: position}]->(n)
RETURN count(n) AS included
