// Takes the migration lock for $owner for $leaseMs ms when it is free, expired or already
// $owner's, in this one statement. The first SET takes the node's write lock, so the owner and
// expiry read after it are the latest committed ones: two runs can never both see it free.
// Returns the holder afterwards ($owner when taken) and its lease's end.
// Parameters: $owner, $leaseMs.
// access: write
MERGE (l:MigrationLock {id: 'migrations'})
SET l.touchedAt = datetime()
WITH l
CALL (l) {
  WITH l
  WHERE l.owner IS NULL OR l.owner = $owner OR l.expiresAt <= datetime()
  SET l.owner = $owner,
      l.takenAt = datetime(),
      l.expiresAt = datetime() + duration({milliseconds: $leaseMs})
}
RETURN l.owner AS owner, l.expiresAt AS expiresAt
