// The labels and version of a component, to check that a purge targets an Actor.
// Parameters: id.
// access: read
MATCH (n:Component {id: $id})
RETURN labels(n) AS labels, n.version AS version
