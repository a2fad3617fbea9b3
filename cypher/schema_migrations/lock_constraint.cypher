// The one :MigrationLock node is unique by id, so two runs' MERGE cannot create two locks.
// Not a migration: it must exist before the first migration runs and outlive `down --to 0`.
// Parameters: none.
// access: write
CREATE CONSTRAINT migration_lock_id IF NOT EXISTS FOR (l:MigrationLock) REQUIRE l.id IS UNIQUE
