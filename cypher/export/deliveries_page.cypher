// One page of deliveries (all, or one scenario's) for `sfm-graphql export`, in id order after
// `after` (the uniqueness constraint's index gives the order), with their endpoints' keys.
// Parameters: scenario (or null for every scenario), after (the last id of the previous page;
// '' for the first), limit.
// access: read
MATCH (s:Component)-[d:DELIVERS]->(t:Component)
WHERE d.id > $after AND ($scenario IS NULL OR d.scenario = $scenario)
WITH s, d, t ORDER BY d.id LIMIT $limit
RETURN
  d.id AS id,
  properties(d) AS props,
  coalesce(s.externalKey, s.id) AS sourceKey,
  coalesce(t.externalKey, t.id) AS targetKey
