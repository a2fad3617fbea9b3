// One page of components for `sfm-graphql export`, in id order after `after` (the uniqueness
// constraint's index gives the order and the start without a sort or a scan from the top; the
// hint keeps the planner on it).
// Parameters: after (the last id of the previous page; '' for the first), limit.
// access: read
MATCH (n:Component)
USING INDEX n:Component(id)
WHERE n.id > $after
WITH n ORDER BY n.id LIMIT $limit
RETURN n.id AS id, labels(n) AS labels, properties(n) AS props
