// One API key by id, with its secret hash (for verification) and metadata.
// Parameters: id.
// access: read
MATCH (k:ApiKey {id: $id})
RETURN properties(k) AS props
