// Restore section oauth_clients: creates or overwrites :OAuthClient nodes by clientId, so a second run of an
// interrupted restore rewrites what the first one wrote instead of duplicating it.
// Parameters: rows (list of {key, props}; props as stored, including clientId).
// access: write
UNWIND $rows AS row
MERGE (n:OAuthClient {clientId: row.key})
SET n = row.props
RETURN count(n) AS count
