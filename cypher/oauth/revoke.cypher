// Revokes a client (idempotent: a revoked client keeps its first revocation time). Tokens it
// already holds stay valid until they expire (oauth_token_ttl_s); it cannot get new ones.
// Parameters: clientId.
// access: write
MATCH (c:OAuthClient {clientId: $clientId})
SET c.revokedAt = coalesce(c.revokedAt, datetime())
RETURN properties(c) AS props
