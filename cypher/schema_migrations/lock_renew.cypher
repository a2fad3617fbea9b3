// Extends $owner's lease by $leaseMs ms from now; renewed is 0 when $owner no longer holds the
// lock (its lease ran out and another run took it). Write lock first, then the owner is read.
// Parameters: $owner, $leaseMs.
// access: write
MATCH (l:MigrationLock {id: 'migrations'})
SET l.touchedAt = datetime()
WITH l
WHERE l.owner = $owner
SET l.expiresAt = datetime() + duration({milliseconds: $leaseMs})
RETURN count(l) AS renewed
