// Uniqueness constraints on every identifier the service looks up.
// Idempotent (IF NOT EXISTS); one statement per `;`.
CREATE CONSTRAINT component_id IF NOT EXISTS FOR (n:Component) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT component_external_key IF NOT EXISTS FOR (n:Component) REQUIRE n.externalKey IS UNIQUE;
CREATE CONSTRAINT delivery_id IF NOT EXISTS FOR ()-[d:DELIVERS]-() REQUIRE d.id IS UNIQUE;
CREATE CONSTRAINT delivery_external_key IF NOT EXISTS FOR ()-[d:DELIVERS]-() REQUIRE d.externalKey IS UNIQUE;
CREATE CONSTRAINT matrix_id IF NOT EXISTS FOR (m:Matrix) REQUIRE m.id IS UNIQUE;
CREATE CONSTRAINT scenario_id IF NOT EXISTS FOR (s:Scenario) REQUIRE s.id IS UNIQUE;
CREATE CONSTRAINT scenario_name IF NOT EXISTS FOR (s:Scenario) REQUIRE s.name IS UNIQUE;
