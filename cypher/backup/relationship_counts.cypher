// Backup manifest: how many relationships there are of each type, over the whole graph.
// Parameters: none.
// access: read
MATCH ()-[r]->()
RETURN type(r) AS type, count(*) AS count
ORDER BY type
