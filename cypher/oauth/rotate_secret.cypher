// Replaces the secret hash of a client that is not revoked; the old secret stops working at once.
// Parameters: clientId, secretHash.
// access: write
MATCH (c:OAuthClient {clientId: $clientId})
WHERE c.revokedAt IS NULL
SET c.secretHash = $secretHash,
    c.secretRotatedAt = datetime()
RETURN properties(c) AS props
