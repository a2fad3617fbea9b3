// One OAuth client with its secret hash, for client authentication at the token endpoint.
// Parameters: clientId.
// access: read
MATCH (c:OAuthClient {clientId: $clientId})
RETURN properties(c) AS props
