// Whether a delivery exists and its version (to tell NOT_FOUND from CONFLICT).
// Parameters: id.
// access: read
MATCH ()-[d:DELIVERS {id: $id}]->()
RETURN d.version AS version
