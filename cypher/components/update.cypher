// Applies validated changes when the stored version is still the one the caller read.
// Parameters: id, version (expected), props (changed properties; null removes).
// access: write
// revision: bump
MATCH (n:Component {id: $id})
WHERE n.version = $version
SET n += $props,
    n.updatedAt = datetime(),
    n.version = n.version + 1
RETURN n.version AS version
