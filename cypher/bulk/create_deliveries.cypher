// Creates a batch of deliveries between components matched by id, one per externalKey.
// Parameters: rows (list of {externalKey, id (uuid), sourceId, targetId, props}).
// access: write
// revision: bump
UNWIND $rows AS row
MATCH (s:Component {id: row.sourceId})
MATCH (t:Component {id: row.targetId})
MERGE (s)-[d:DELIVERS {externalKey: row.externalKey}]->(t)
  ON CREATE SET
    d = row.props,
    d.id = row.id,
    d.createdAt = datetime(),
    d.updatedAt = datetime(),
    d.version = 1
  ON MATCH SET
    d += row.props,
    d.updatedAt = datetime(),
    d.version = d.version + 1
RETURN count(d) AS written
