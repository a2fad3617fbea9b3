// Creates a batch of components, one per externalKey. ON MATCH only runs when another writer
// created the key after this import looked it up; it then updates like update_components.
// Parameters: rows (list of {externalKey, id (uuid), typeLabel (from ComponentType), props}).
// access: write
// revision: bump
UNWIND $rows AS row
MERGE (n:Component {externalKey: row.externalKey})
  ON CREATE SET
    n = row.props,
    n:$(row.typeLabel),
    n.id = row.id,
    n.createdAt = datetime(),
    n.updatedAt = datetime(),
    n.version = 1
  ON MATCH SET
    n += row.props,
    n.updatedAt = datetime(),
    n.version = n.version + 1
RETURN count(n) AS written
