// Creates one delivery between two existing components.
// Parameters: id (uuid), sourceId, targetId, props (validated map).
// access: write
// revision: bump
MATCH (s:Component {id: $sourceId}), (t:Component {id: $targetId})
CREATE (s)-[d:DELIVERS]->(t)
SET d = $props,
    d.id = $id,
    d.createdAt = datetime(),
    d.updatedAt = datetime(),
    d.version = 1
RETURN d.id AS id
