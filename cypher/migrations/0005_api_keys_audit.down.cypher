// Undoes 0005_api_keys_audit; the keys and audit events stay. Idempotent (IF EXISTS).
DROP CONSTRAINT api_key_id IF EXISTS;
DROP INDEX api_key_created_by IF EXISTS;
DROP CONSTRAINT audit_event_id IF EXISTS;
DROP INDEX audit_event_at IF EXISTS;
DROP INDEX audit_event_principal IF EXISTS;
DROP INDEX audit_event_action IF EXISTS;
