// Advances the graph revision by one. Database runs it as the last statement of every
// transaction in which a `// revision: bump` statement changed something, so it commits or rolls
// back with that change. A missing node (the graph wiped by hand) is created at the current time
// in milliseconds rather than at 0, so the counter still only moves forward.
// Parameters: none.
// access: write
MERGE (r:GraphRevision {id: 'graph'})
ON CREATE SET r.value = timestamp()
ON MATCH SET r.value = r.value + 1
