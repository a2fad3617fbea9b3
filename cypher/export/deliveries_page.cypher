// One page of deliveries (all, or one scenario's) for `sfm-graphql export`, in id order after
// `after`, with their endpoints' keys. The hint keeps the planner on a seek of the uniqueness
// constraint's index from `after` (left alone it may scan the index from the start on every page).
// Parameters: scenario (or null for every scenario), after (the last id of the previous page;
// '' for the first), limit.
// access: read
MATCH (s:Component)-[d:DELIVERS]->(t:Component)
USING INDEX d:DELIVERS(id)
WHERE d.id > $after AND ($scenario IS NULL OR d.scenario = $scenario)
WITH s, d, t ORDER BY d.id LIMIT $limit
RETURN
  d.id AS id,
  properties(d) AS props,
  coalesce(s.externalKey, s.id) AS sourceKey,
  coalesce(t.externalKey, t.id) AS targetKey
