// Deletes a component; with deliveries only when cascade is true. Returns nothing when refused.
// Parameters: id, cascade, version (expected, or null to skip the check).
// access: write
// revision: bump
MATCH (n:Component {id: $id})
WHERE $version IS NULL OR n.version = $version
OPTIONAL MATCH (n)-[d:DELIVERS]-()
WITH n, collect(DISTINCT d.id) AS deliveryIds
WHERE $cascade OR size(deliveryIds) = 0
DETACH DELETE n
RETURN deliveryIds
