// Creates one component with the common label and its type label.
// Parameters: id (uuid), typeLabel (from ComponentType, never user text), props (validated map).
// access: write
// revision: bump
CREATE (n:Component:$($typeLabel))
SET n = $props,
    n.id = $id,
    n.createdAt = datetime(),
    n.updatedAt = datetime(),
    n.version = 1
RETURN n.id AS id
