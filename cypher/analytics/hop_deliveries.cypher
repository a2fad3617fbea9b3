// The deliveries in scope that make up given edges of the analysis graph (docs/analytics.md):
// for each [source id, target id] pair, the ids of its deliveries, by delivery id.
// Empty `kinds` means every kind; the components' types were checked when the graph was read.
// Parameters: pairs (a list of [source, target] id pairs), scenario (or null), kinds,
// timeSlice (or null).
// access: read
UNWIND $pairs AS pair
MATCH (s:Component {id: pair[0]})-[d:DELIVERS]->(t:Component {id: pair[1]})
WHERE ($scenario IS NULL OR d.scenario = $scenario)
  AND (size($kinds) = 0 OR d.kind IN $kinds)
  AND ($timeSlice IS NULL OR d.timeSlice = $timeSlice)
WITH pair, d
ORDER BY d.id
RETURN pair[0] AS source, pair[1] AS target, collect(d.id) AS ids
