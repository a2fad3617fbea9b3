// OAuth clients, newest first; revoked ones only when asked for.
// Parameters: includeRevoked, limit.
// access: read
MATCH (c:OAuthClient)
WHERE $includeRevoked OR c.revokedAt IS NULL
WITH c
ORDER BY c.createdAt DESC, c.clientId
LIMIT $limit
RETURN properties(c) AS props
