// The allow-list of persisted_queries_only mode: one :PersistedOperation per SHA-256 of an
// operation's text, so replicas or CLI runs registering at once cannot create two nodes for one
// hash. Idempotent (IF NOT EXISTS).
CREATE CONSTRAINT persisted_operation_hash IF NOT EXISTS
FOR (p:PersistedOperation) REQUIRE p.hash IS UNIQUE;
