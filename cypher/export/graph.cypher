// Every component, and the deliveries (all, or one scenario's) with their endpoints' keys, in
// one statement so both lists come from the same read. At most `limit` deliveries.
// Parameters: scenario (or null), limit.
// access: read
CALL () {
  MATCH (n:Component)
  WITH n ORDER BY n.id
  RETURN collect({labels: labels(n), props: properties(n)}) AS components
}
CALL () {
  MATCH (s:Component)-[d:DELIVERS]->(t:Component)
  WHERE $scenario IS NULL OR d.scenario = $scenario
  WITH s, d, t ORDER BY d.id LIMIT $limit
  RETURN collect({
    props: properties(d),
    sourceId: s.id,
    sourceKey: coalesce(s.externalKey, s.id),
    targetId: t.id,
    targetKey: coalesce(t.externalKey, t.id)
  }) AS deliveries
}
RETURN components, deliveries
