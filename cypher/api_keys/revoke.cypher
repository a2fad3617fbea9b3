// Revokes a key (idempotent: a revoked key keeps its first revocation time).
// Parameters: id.
// access: write
MATCH (k:ApiKey {id: $id})
SET k.revokedAt = coalesce(k.revokedAt, datetime())
RETURN properties(k) AS props
