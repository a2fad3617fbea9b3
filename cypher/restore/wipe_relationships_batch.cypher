// `restore --force`, first step: deletes up to `batchSize` relationships; repeated until none is
// left. Relationships go before their nodes so a hub's deliveries never share one transaction.
// Parameters: batchSize.
// access: write
// revision: bump
MATCH ()-[r]->()
WITH r LIMIT $batchSize
DELETE r
RETURN count(*) AS deleted
