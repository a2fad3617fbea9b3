// Backup section api_keys: every :ApiKey node with its labels and stored properties (the
// secret only as its keyed hash, as stored), in id order, so equal graphs give equal files.
// Parameters: none.
// access: read
MATCH (n:ApiKey)
WHERE n.id IS NOT NULL
RETURN n.id AS key, labels(n) AS labels, properties(n) AS props
ORDER BY n.id
