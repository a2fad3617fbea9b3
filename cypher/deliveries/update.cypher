// Applies validated changes when the stored version is still the one the caller read.
// Parameters: id, version (expected), props (changed properties; null removes).
// access: write
// revision: bump
MATCH ()-[d:DELIVERS {id: $id}]->()
WHERE d.version = $version
SET d += $props,
    d.updatedAt = datetime(),
    d.version = d.version + 1
RETURN d.version AS version
