// Undoes 0003_matrices. Idempotent (IF EXISTS).
DROP CONSTRAINT matrix_external_key IF EXISTS;
