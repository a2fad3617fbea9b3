// Marks the target as being restored from one backup, so an interrupted run is recognised: the
// next run of the same file completes it, a run of another file is refused.
// Parameters: backupId, file (the file's name, for the operator).
// access: write
MERGE (m:RestoreInProgress {backupId: $backupId})
ON CREATE SET m.startedAt = datetime()
SET m.file = $file, m.lastRunAt = datetime()
RETURN m.backupId AS backupId
