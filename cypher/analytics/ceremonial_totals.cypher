// Ceremonial vs instrumental balance of the deliveries in scope (docs/analytics.md): each delivery
// counts with its kind's ceremonial tendency; its own scores count where they are set.
// Self-deliveries are left out, as in the analysis graph. Empty `kinds` / `labels` mean all.
// Parameters: scenario (or null), kinds, timeSlice (or null), labels, tendencies (kind -> 0..1).
// access: read
MATCH (s:Component)-[d:DELIVERS]->(t:Component)
WHERE s <> t
  AND ($scenario IS NULL OR d.scenario = $scenario)
  AND (size($kinds) = 0 OR d.kind IN $kinds)
  AND ($timeSlice IS NULL OR d.timeSlice = $timeSlice)
  AND (size($labels) = 0 OR (any(l IN labels(s) WHERE l IN $labels)
                             AND any(l IN labels(t) WHERE l IN $labels)))
WITH d, coalesce($tendencies[d.kind], 0.5) AS tendency
RETURN count(d) AS deliveries,
       sum(tendency) AS tendencySum,
       sum(CASE WHEN tendency > 0.5 THEN 1 ELSE 0 END) AS ceremonial,
       sum(CASE WHEN tendency < 0.5 THEN 1 ELSE 0 END) AS instrumental,
       count(d.ceremonialScore) AS ceremonialScored,
       avg(d.ceremonialScore) AS meanCeremonialScore,
       count(d.instrumentalScore) AS instrumentalScored,
       avg(d.instrumentalScore) AS meanInstrumentalScore
