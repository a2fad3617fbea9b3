// Reads one delivery's properties and its endpoints' labels, to merge and validate an update.
// Parameters: id.
// access: read
MATCH (s:Component)-[d:DELIVERS {id: $id}]->(t:Component)
RETURN properties(d) AS props, labels(s) AS sourceLabels, labels(t) AS targetLabels
