// Number of components in the graph.
// Parameters: none.
// access: read
MATCH (n:Component)
RETURN count(n) AS count
