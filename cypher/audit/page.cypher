// One page of audit events, newest first, keyset-paginated by (at, id) descending.
// Parameters: principal, action, since, until (each null to skip), afterAt and afterId (the
// cursor, or null), limit (page size + 1, to tell whether another page follows).
// access: read
MATCH (e:AuditEvent)
WHERE ($principal IS NULL OR e.principal = $principal)
  AND ($action IS NULL OR e.action = $action)
  AND ($since IS NULL OR e.at >= $since)
  AND ($until IS NULL OR e.at < $until)
  AND ($afterAt IS NULL OR e.at < $afterAt OR (e.at = $afterAt AND e.id < $afterId))
WITH e
ORDER BY e.at DESC, e.id DESC
LIMIT $limit
RETURN properties(e) AS props
