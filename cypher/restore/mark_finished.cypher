// Removes the marker once every section is loaded and the counts match the manifest.
// Parameters: none.
// access: write
MATCH (m:RestoreInProgress)
DELETE m
RETURN count(m) AS removed
