// Stores a new API key. Only the keyed hash of its secret is stored, never the secret.
// Parameters: props (id, name, roles, expiresAt, allowedCidrs, secretHash, createdBy,
// createdByIssuer).
// access: write
CREATE (k:ApiKey)
SET k = $props,
    k.createdAt = datetime()
RETURN properties(k) AS props
