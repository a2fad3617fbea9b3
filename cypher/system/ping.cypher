// Cheapest round trip that proves the database answers queries.
// Parameters: none.
// access: read
RETURN 1 AS ok
