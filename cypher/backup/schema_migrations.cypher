// Backup section schema_migrations: every :SchemaMigration node with its labels and stored properties, in version order (the
// uniqueness constraint's index gives the order without a sort), so equal graphs give equal files.
// Parameters: none.
// access: read
MATCH (n:SchemaMigration)
WHERE n.version IS NOT NULL
RETURN n.version AS key, labels(n) AS labels, properties(n) AS props
ORDER BY n.version
