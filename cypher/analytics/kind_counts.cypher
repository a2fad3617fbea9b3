// The deliveries in scope by kind (self-deliveries left out, as in the analysis graph).
// Parameters: scenario (or null), kinds, timeSlice (or null), labels.
// access: read
MATCH (s:Component)-[d:DELIVERS]->(t:Component)
WHERE s <> t
  AND ($scenario IS NULL OR d.scenario = $scenario)
  AND (size($kinds) = 0 OR d.kind IN $kinds)
  AND ($timeSlice IS NULL OR d.timeSlice = $timeSlice)
  AND (size($labels) = 0 OR (any(l IN labels(s) WHERE l IN $labels)
                             AND any(l IN labels(t) WHERE l IN $labels)))
RETURN d.kind AS kind, count(d) AS deliveries
ORDER BY kind
