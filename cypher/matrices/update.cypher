// Applies validated changes when the stored version is still the one the caller read.
// Parameters: id, version (expected), props (all matrix fields; null removes).
// access: write
// revision: bump
MATCH (m:Matrix {id: $id})
WHERE m.version = $version
SET m += $props,
    m.updatedAt = datetime(),
    m.version = m.version + 1
RETURN m.version AS version
