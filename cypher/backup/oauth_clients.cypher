// Backup section oauth_clients: every :OAuthClient node with its labels and stored properties, in clientId order (the
// uniqueness constraint's index gives the order without a sort), so equal graphs give equal files.
// Parameters: none.
// access: read
MATCH (n:OAuthClient)
WHERE n.clientId IS NOT NULL
RETURN n.clientId AS key, labels(n) AS labels, properties(n) AS props
ORDER BY n.clientId
