// Component ids for externalKeys, to build a matrix from a model file's keys.
// Parameters: keys (externalKeys).
// access: read
MATCH (n:Component)
WHERE n.externalKey IN $keys
RETURN n.externalKey AS externalKey, n.id AS id
