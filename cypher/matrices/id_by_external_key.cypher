// The id and version of the matrix with an externalKey, for loaders that must not duplicate one.
// Parameters: externalKey.
// access: read
MATCH (m:Matrix {externalKey: $externalKey})
RETURN m.id AS id, m.version AS version
