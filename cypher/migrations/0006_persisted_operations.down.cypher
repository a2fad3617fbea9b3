// Undoes 0006_persisted_operations; the allow-list entries stay. Idempotent (IF EXISTS).
DROP CONSTRAINT persisted_operation_hash IF EXISTS;
