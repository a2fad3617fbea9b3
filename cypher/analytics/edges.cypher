// The edges of the analysis graph in scope (docs/analytics.md): one row per ordered pair of
// distinct components with at least one delivery in scope, weighted by the sum of their weights.
// Empty `kinds` / `labels` lists mean every kind / every component type. The rows come in
// chunks of `chunk` edges, four parallel lists a record: the driver decodes a list far faster
// than as many records (46k edges: 1.9 s in chunks of 50k, 14 s as rows, docs/analytics.md).
// Parameters: scenario (or null), kinds, timeSlice (or null), labels, chunk.
// access: read
MATCH (s:Component)-[d:DELIVERS]->(t:Component)
WHERE s <> t
  AND ($scenario IS NULL OR d.scenario = $scenario)
  AND (size($kinds) = 0 OR d.kind IN $kinds)
  AND ($timeSlice IS NULL OR d.timeSlice = $timeSlice)
  AND (size($labels) = 0 OR (any(l IN labels(s) WHERE l IN $labels)
                             AND any(l IN labels(t) WHERE l IN $labels)))
WITH s.id AS source, t.id AS target, sum(d.weight) AS weight, count(d) AS deliveries
WITH collect(source) AS sources, collect(target) AS targets, collect(weight) AS weights,
     collect(deliveries) AS counts
UNWIND range(0, size(sources) - 1, $chunk) AS start
RETURN sources[start..start + $chunk] AS sources, targets[start..start + $chunk] AS targets,
       weights[start..start + $chunk] AS weights, counts[start..start + $chunk] AS deliveries
