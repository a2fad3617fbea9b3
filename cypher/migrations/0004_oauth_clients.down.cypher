// Undoes 0004_oauth_clients; the :OAuthClient nodes stay (data is not a schema object).
// Idempotent (IF EXISTS).
DROP CONSTRAINT oauth_client_id IF EXISTS;
