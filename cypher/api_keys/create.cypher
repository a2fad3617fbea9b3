// Stores a new API key. Only the keyed hash of its secret is stored, never the secret.
// A key derived from other credentials (props.ancestorKeyIds: the keys it was made with, oldest
// first; props.parentClientId: the OAuth client whose token made it or its ancestor) is stored
// only while each of them is active. Writing `lastDerivedAt` on them takes their write locks, so
// a concurrent revocation either sees the new key (and revokes it) or is seen here (no key).
// Parameters: props (id, name, roles, expiresAt, allowedCidrs, secretHash, createdBy,
// createdByIssuer, parentKeyId, ancestorKeyIds, parentClientId).
// access: write
OPTIONAL MATCH (a:ApiKey) WHERE a.id IN $props.ancestorKeyIds
SET a.lastDerivedAt = datetime()
WITH collect(a) AS ancestors
OPTIONAL MATCH (c:OAuthClient {clientId: $props.parentClientId})
SET c.lastKeyDerivedAt = datetime()
WITH ancestors, c
WHERE size(ancestors) = size($props.ancestorKeyIds)
  AND all(a IN ancestors WHERE a.revokedAt IS NULL AND a.expiresAt > datetime())
  AND ($props.parentClientId IS NULL
       OR (c IS NOT NULL AND c.revokedAt IS NULL
           AND (c.expiresAt IS NULL OR c.expiresAt > datetime())))
CREATE (k:ApiKey)
SET k = $props,
    k.createdAt = datetime()
RETURN properties(k) AS props
