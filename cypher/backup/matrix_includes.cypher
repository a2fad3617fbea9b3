// Backup section matrix_includes: which components each matrix includes, with their position.
// Parameters: none.
// access: read
MATCH (m:Matrix)-[r:INCLUDES]->(n:Component)
RETURN m.id AS matrix, n.id AS component, properties(r) AS props
ORDER BY m.id, r.position, n.id
