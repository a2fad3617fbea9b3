// Removes the record of migration $version once its down step has run.
// Parameters: $version.
// access: write
MATCH (m:SchemaMigration {version: $version})
DELETE m
