// Backup section matrices: every :Matrix node with its labels and stored properties, in id order (the
// uniqueness constraint's index gives the order without a sort), so equal graphs give equal files.
// Parameters: none.
// access: read
MATCH (n:Matrix)
WHERE n.id IS NOT NULL
RETURN n.id AS key, labels(n) AS labels, properties(n) AS props
ORDER BY n.id
