// Restore section schema_migrations: the backup's migration records, merged by version. The
// restore applies the service's migrations first, so these only fill in what they match.
// Parameters: rows (list of {key, props}).
// access: write
UNWIND $rows AS row
MERGE (n:SchemaMigration {version: row.key})
SET n = row.props
RETURN count(n) AS count
