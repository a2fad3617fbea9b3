// Declares a scenario. Its id is derived from its name by the caller; the name is unique.
// Parameters: id (uuid), scenarioName, description (or null).
// access: write
// revision: bump
CREATE (s:Scenario {id: $id, name: $scenarioName})
SET s.description = $description,
    s.createdAt = datetime()
RETURN s.id AS id
