// Records that a key was used; the caller does this at most once a minute per key, and the
// WHERE keeps concurrent replicas from writing more often than that.
// Parameters: id.
// access: write
MATCH (k:ApiKey {id: $id})
WHERE k.lastUsedAt IS NULL OR k.lastUsedAt < datetime() - duration('PT1M')
SET k.lastUsedAt = datetime()
RETURN k.lastUsedAt AS lastUsedAt
