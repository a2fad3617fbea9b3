// Ceremonial vs instrumental balance per component: the deliveries in scope it sends or receives
// (ceremonial_totals.cypher's measures). With `ids`, those components; without (null), the `top`
// most ceremonial ones (highest mean tendency, then most deliveries, then id).
// Parameters: scenario (or null), kinds, timeSlice (or null), labels, tendencies, ids (or null), top.
// access: read
MATCH (s:Component)-[d:DELIVERS]->(t:Component)
WHERE s <> t
  AND ($scenario IS NULL OR d.scenario = $scenario)
  AND (size($kinds) = 0 OR d.kind IN $kinds)
  AND ($timeSlice IS NULL OR d.timeSlice = $timeSlice)
  AND (size($labels) = 0 OR (any(l IN labels(s) WHERE l IN $labels)
                             AND any(l IN labels(t) WHERE l IN $labels)))
  AND ($ids IS NULL OR s.id IN $ids OR t.id IN $ids)
WITH d, coalesce($tendencies[d.kind], 0.5) AS tendency, [s.id, t.id] AS ends
UNWIND ends AS component
WITH component, d, tendency
WHERE $ids IS NULL OR component IN $ids
WITH component,
     count(d) AS deliveries,
     sum(tendency) AS tendencySum,
     sum(CASE WHEN tendency > 0.5 THEN 1 ELSE 0 END) AS ceremonial,
     sum(CASE WHEN tendency < 0.5 THEN 1 ELSE 0 END) AS instrumental,
     count(d.ceremonialScore) AS ceremonialScored,
     avg(d.ceremonialScore) AS meanCeremonialScore,
     count(d.instrumentalScore) AS instrumentalScored,
     avg(d.instrumentalScore) AS meanInstrumentalScore
RETURN component, deliveries, tendencySum, ceremonial, instrumental, ceremonialScored,
       meanCeremonialScore, instrumentalScored, meanInstrumentalScore
ORDER BY tendencySum / deliveries DESC, deliveries DESC, component
LIMIT $top
