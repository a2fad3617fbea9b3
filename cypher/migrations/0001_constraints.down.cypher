// Undoes 0001_constraints: drops the uniqueness constraints (and the indexes backing them).
// Idempotent (IF EXISTS); one statement per `;`.
DROP CONSTRAINT component_id IF EXISTS;
DROP CONSTRAINT component_external_key IF EXISTS;
DROP CONSTRAINT delivery_id IF EXISTS;
DROP CONSTRAINT delivery_external_key IF EXISTS;
DROP CONSTRAINT matrix_id IF EXISTS;
DROP CONSTRAINT scenario_id IF EXISTS;
DROP CONSTRAINT scenario_name IF EXISTS;
