// Registers an OAuth client. Only the scrypt hash of its secret is stored, never the secret.
// Parameters: clientId, clientName, secretHash, roles (role names), expiresAt (datetime or null),
// createdBy (the registering admin's subject).
// access: write
CREATE (c:OAuthClient {
  clientId: $clientId,
  name: $clientName,
  secretHash: $secretHash,
  roles: $roles,
  expiresAt: $expiresAt,
  createdBy: $createdBy,
  createdAt: datetime()
})
RETURN properties(c) AS props
