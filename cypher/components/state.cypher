// Whether a component exists, its version and how many deliveries touch it (to explain a refusal).
// Parameters: id.
// access: read
MATCH (n:Component {id: $id})
RETURN n.version AS version, COUNT { (n)-[:DELIVERS]-() } AS degree
