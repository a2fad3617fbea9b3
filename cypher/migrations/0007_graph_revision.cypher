// The graph revision (sfm_graphql/db/revision.py): one counter that every committed change of
// components, deliveries, matrices or scenarios advances in its own transaction, so a cached
// analysis result keyed on it is never served after a change. It starts at the current time in
// milliseconds, not 0, so a counter created again after its node was lost still moves forward.
CREATE CONSTRAINT graph_revision_id IF NOT EXISTS
FOR (r:GraphRevision) REQUIRE r.id IS UNIQUE;
MERGE (r:GraphRevision {id: 'graph'})
ON CREATE SET r.value = timestamp();
