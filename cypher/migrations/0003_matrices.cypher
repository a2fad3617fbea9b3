// Matrices and scenarios: an externalKey names at most one matrix, so loaders can re-run safely.
// Idempotent (IF NOT EXISTS); one statement per `;`.
CREATE CONSTRAINT matrix_external_key IF NOT EXISTS FOR (m:Matrix) REQUIRE m.externalKey IS UNIQUE;
