// The edges of the analysis graph in scope (docs/analytics.md): one row per ordered pair of
// distinct components with at least one delivery in scope, weighted by the sum of their weights.
// Empty `kinds` / `labels` lists mean every kind / every component type.
// Parameters: scenario (or null), kinds, timeSlice (or null), labels.
// access: read
MATCH (s:Component)-[d:DELIVERS]->(t:Component)
WHERE s <> t
  AND ($scenario IS NULL OR d.scenario = $scenario)
  AND (size($kinds) = 0 OR d.kind IN $kinds)
  AND ($timeSlice IS NULL OR d.timeSlice = $timeSlice)
  AND (size($labels) = 0 OR (any(l IN labels(s) WHERE l IN $labels)
                             AND any(l IN labels(t) WHERE l IN $labels)))
RETURN s.id AS source, t.id AS target, sum(d.weight) AS weight, count(d) AS deliveries
