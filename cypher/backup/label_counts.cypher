// Backup manifest: how many nodes carry each label, over the whole graph.
// Parameters: none.
// access: read
MATCH (n)
UNWIND labels(n) AS label
RETURN label, count(*) AS count
ORDER BY label
