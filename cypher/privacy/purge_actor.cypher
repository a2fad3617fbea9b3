// Removes the personal data of an Actor (GDPR erasure) and keeps the node and its deliveries
// for the analysis: the label becomes "[purged]", the free-text and nested fields are removed.
// Parameters: id, version (the version read just before, so a concurrent edit is not lost).
// access: write
// revision: bump
MATCH (n:Component:Actor {id: $id})
WHERE n.version = $version
SET n.label = '[purged]',
    n.updatedAt = datetime(),
    n.purgedAt = datetime(),
    n.version = n.version + 1
REMOVE n.description, n.metadataJson, n.legalForm, n.powerResourcesJson
RETURN n.version AS version
