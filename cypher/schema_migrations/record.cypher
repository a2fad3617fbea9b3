// Records that migration $version has been applied (its up file's SHA-256 is $checksum).
// Parameters: $version, $name, $checksum.
// access: write
MERGE (m:SchemaMigration {version: $version})
ON CREATE SET m.name = $name, m.checksum = $checksum, m.appliedAt = datetime()
