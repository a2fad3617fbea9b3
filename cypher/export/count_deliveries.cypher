// How many deliveries an export would hold (all, or those of one scenario), to refuse early.
// Parameters: scenario (or null for every scenario).
// access: read
MATCH (:Component)-[d:DELIVERS]->(:Component)
WHERE $scenario IS NULL OR d.scenario = $scenario
RETURN count(d) AS count
