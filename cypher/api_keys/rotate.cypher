// Replaces the secret hash of a key that is not revoked; the old secret stops matching at once.
// Parameters: id, secretHash.
// access: write
MATCH (k:ApiKey {id: $id})
WHERE k.revokedAt IS NULL
SET k.secretHash = $secretHash,
    k.rotatedAt = datetime()
RETURN properties(k) AS props
