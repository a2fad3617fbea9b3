// Stored deliveries for the given keys (by externalKey, or by id when it has no externalKey),
// with the ids of their endpoints and whether writing the row's props would change them.
// Parameters: rows (list of {key, props (validated map)}).
// access: read
UNWIND $rows AS row
CALL (row) {
    MATCH (s:Component)-[d:DELIVERS {externalKey: row.key}]->(t:Component)
    RETURN d, s, t
  UNION
    MATCH (s:Component)-[d:DELIVERS {id: row.key}]->(t:Component)
    WHERE d.externalKey IS NULL
    RETURN d, s, t
}
RETURN collect([
  row.key,
  d.id,
  s.id,
  t.id,
  d.externalKey = row.key,
  any(k IN keys(row.props) WHERE NOT coalesce(d[k] = row.props[k], d[k] IS NULL AND row.props[k] IS NULL))
]) AS found
