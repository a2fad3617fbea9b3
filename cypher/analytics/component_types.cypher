// The type labels of components by id, for results grouped by type (policyImpact.byType).
// Parameters: ids (component ids).
// access: read
UNWIND $ids AS id
MATCH (c:Component {id: id})
RETURN c.id AS id, [l IN labels(c) WHERE l <> 'Component'] AS labels
