// Backup section deliveries: every DELIVERS relationship with its endpoints' ids and stored
// properties, in id order (the uniqueness constraint's index gives the order without a sort).
// Parameters: none.
// access: read
MATCH (s:Component)-[d:DELIVERS]->(t:Component)
WHERE d.id IS NOT NULL
RETURN d.id AS key, s.id AS source, t.id AS target, properties(d) AS props
ORDER BY d.id
