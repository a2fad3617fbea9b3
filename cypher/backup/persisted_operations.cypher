// Backup section persisted_operations: every :PersistedOperation node with its labels and stored properties, in hash order (the
// uniqueness constraint's index gives the order without a sort), so equal graphs give equal files.
// Parameters: none.
// access: read
MATCH (n:PersistedOperation)
WHERE n.hash IS NOT NULL
RETURN n.hash AS key, labels(n) AS labels, properties(n) AS props
ORDER BY n.hash
