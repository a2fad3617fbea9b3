// Deletes one delivery, optionally only at the expected version.
// Parameters: id, version (expected, or null to skip the check).
// access: write
// revision: bump
MATCH ()-[d:DELIVERS {id: $id}]->()
WHERE $version IS NULL OR d.version = $version
DELETE d
RETURN $id AS id
