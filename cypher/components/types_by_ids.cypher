// The labels of the given components, to check delivery kinds against endpoint types.
// Parameters: ids.
// access: read
MATCH (n:Component)
WHERE n.id IN $ids
RETURN n.id AS id, labels(n) AS labels
