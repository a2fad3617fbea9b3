// The components among `ids` (the analysis graph's nodes) by type label.
// Parameters: ids, labels (the component-type labels).
// access: read
MATCH (c:Component)
WHERE c.id IN $ids
UNWIND [l IN labels(c) WHERE l IN $labels] AS label
RETURN label, count(*) AS components
ORDER BY label
