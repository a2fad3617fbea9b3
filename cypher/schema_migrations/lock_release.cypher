// Frees the migration lock if $owner still holds it (write lock first, then the owner is read,
// so a run whose lease was taken over cannot free the new holder's lock).
// Parameters: $owner.
// access: write
MATCH (l:MigrationLock {id: 'migrations'})
SET l.touchedAt = datetime()
WITH l
WHERE l.owner = $owner
REMOVE l.owner, l.expiresAt, l.takenAt
RETURN count(l) AS released
