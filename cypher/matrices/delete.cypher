// Deletes a matrix (never its components) when it is still at the expected version.
// Parameters: id, version (expected).
// access: write
MATCH (m:Matrix {id: $id})
WHERE m.version = $version
DETACH DELETE m
RETURN $id AS id
