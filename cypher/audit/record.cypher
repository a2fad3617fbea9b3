// Appends one audit event. Events are never updated; only `audit/prune_batch` (the
// `audit-prune` command, not reachable through the API) deletes them.
// Parameters: props (id, at, principal, principalKind, credentialId, action, operation, targetIds,
// versionBefore, versionAfter, outcome, clientIp, requestId, details as JSON text).
// access: write
CREATE (e:AuditEvent)
SET e = $props
RETURN e.id AS id
