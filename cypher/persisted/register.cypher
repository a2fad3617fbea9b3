// Registers operations in the allow-list, keyed by the SHA-256 of their exact text.
// Parameters: rows (list of {hash, name, document}).
// access: write
UNWIND $rows AS row
MERGE (p:PersistedOperation {hash: row.hash})
ON CREATE SET p.registeredAt = datetime()
SET p.name = row.name, p.document = row.document
RETURN count(p) AS count
