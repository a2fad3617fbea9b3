// Every registered operation of the production allow-list.
// Parameters: none.
// access: read
MATCH (p:PersistedOperation)
RETURN p.hash AS hash, p.document AS document
