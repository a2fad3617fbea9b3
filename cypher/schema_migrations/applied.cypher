// The applied migrations, in version order, as `migrate` recorded them.
// Parameters: none.
// access: read
MATCH (m:SchemaMigration)
RETURN m.version AS version, m.name AS name, m.checksum AS checksum, m.appliedAt AS appliedAt
ORDER BY m.version
