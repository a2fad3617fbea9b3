// API keys, newest first: those of one owner, or all of them when createdBy is null; with
// keyId, only that key and the keys derived from it (what an API key itself may see).
// Parameters: createdBy, createdByIssuer (ignored when createdBy is null), keyId (or null),
// includeRevoked, limit.
// access: read
MATCH (k:ApiKey)
WHERE ($createdBy IS NULL OR (k.createdBy = $createdBy AND k.createdByIssuer = $createdByIssuer))
  AND ($keyId IS NULL OR k.id = $keyId OR $keyId IN coalesce(k.ancestorKeyIds, []))
  AND ($includeRevoked OR k.revokedAt IS NULL)
WITH k
ORDER BY k.createdAt DESC, k.id DESC
LIMIT $limit
RETURN properties(k) AS props
