// OAuth clients of the built-in authorization server: one node per client id.
// Idempotent (IF NOT EXISTS); one statement per `;`.
CREATE CONSTRAINT oauth_client_id IF NOT EXISTS FOR (c:OAuthClient) REQUIRE c.clientId IS UNIQUE;
