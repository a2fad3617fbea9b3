// API keys and the audit log: unique ids, and range indexes for the audit log's filters and its
// keyset order (at DESC, id DESC). Idempotent (IF NOT EXISTS); one statement per `;`.
CREATE CONSTRAINT api_key_id IF NOT EXISTS FOR (k:ApiKey) REQUIRE k.id IS UNIQUE;
CREATE INDEX api_key_created_by IF NOT EXISTS FOR (k:ApiKey) ON (k.createdBy);
CREATE CONSTRAINT audit_event_id IF NOT EXISTS FOR (e:AuditEvent) REQUIRE e.id IS UNIQUE;
CREATE INDEX audit_event_at IF NOT EXISTS FOR (e:AuditEvent) ON (e.at);
CREATE INDEX audit_event_principal IF NOT EXISTS FOR (e:AuditEvent) ON (e.principal);
CREATE INDEX audit_event_action IF NOT EXISTS FOR (e:AuditEvent) ON (e.action);
