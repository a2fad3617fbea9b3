// API keys, newest first: those of one owner, or all of them when createdBy is null.
// Parameters: createdBy, createdByIssuer (ignored when createdBy is null), includeRevoked, limit.
// access: read
MATCH (k:ApiKey)
WHERE ($createdBy IS NULL OR (k.createdBy = $createdBy AND k.createdByIssuer = $createdByIssuer))
  AND ($includeRevoked OR k.revokedAt IS NULL)
WITH k
ORDER BY k.createdAt DESC, k.id DESC
LIMIT $limit
RETURN properties(k) AS props
