// Deletes a matrix (never its components) when it is still at the expected version.
// Parameters: id, version (expected).
// access: write
// revision: bump
MATCH (m:Matrix {id: $id})
WHERE m.version = $version
DETACH DELETE m
RETURN $id AS id
