// Stored components for the given keys: by externalKey, or by id for a component that has no
// externalKey (an export names such a component by its id, so a re-import adopts it). When a
// row carries props, `changed` says whether writing them would change the stored component;
// the comparison runs here so stored properties never travel back to the service.
// Parameters: rows (list of {key, props (validated map, or null for a bare endpoint look-up)}).
// access: read
UNWIND $rows AS row
CALL (row) {
    MATCH (n:Component {externalKey: row.key})
    RETURN n
  UNION
    MATCH (n:Component {id: row.key})
    WHERE n.externalKey IS NULL
    RETURN n
}
RETURN collect([
  row.key,
  n.id,
  labels(n),
  n.externalKey = row.key,
  CASE WHEN row.props IS NULL THEN null
    ELSE any(k IN keys(row.props) WHERE NOT coalesce(n[k] = row.props[k], n[k] IS NULL AND row.props[k] IS NULL))
  END
]) AS found
