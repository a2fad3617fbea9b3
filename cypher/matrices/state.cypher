// Whether a matrix exists and its version (to tell NOT_FOUND from CONFLICT).
// Parameters: id.
// access: read
MATCH (m:Matrix {id: $id})
RETURN m.version AS version
