// Reads one component's stored properties and labels, to merge and validate an update.
// Parameters: id.
// access: read
MATCH (n:Component {id: $id})
RETURN properties(n) AS props, labels(n) AS labels
