// Reads one matrix's stored properties, to merge and validate an update.
// Parameters: id.
// access: read
MATCH (m:Matrix {id: $id})
RETURN properties(m) AS props
