// The graph revision: the counter every committed change of the analysed graph advances
// (0 when the node is missing: no change has been committed since the graph was emptied).
// Parameters: none.
// access: read
OPTIONAL MATCH (r:GraphRevision {id: 'graph'})
RETURN coalesce(r.value, 0) AS value
