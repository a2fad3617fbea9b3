// Revokes every active key derived from a key (directly or through other keys) or from an OAuth
// client's tokens, and returns their ids so their cache entries can be dropped on every replica.
// Runs in the transaction that revoked the parent, after it (see api_keys/create).
// Parameters: keyId (or null), clientId (or null).
// access: write
MATCH (k:ApiKey)
WHERE k.revokedAt IS NULL
  AND (($keyId IS NOT NULL AND $keyId IN coalesce(k.ancestorKeyIds, []))
       OR ($clientId IS NOT NULL AND k.parentClientId = $clientId))
SET k.revokedAt = datetime()
RETURN k.id AS id
