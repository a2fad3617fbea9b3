"""The failures an operator can meet, each with a message that says what to do."""

from __future__ import annotations


class BackupError(Exception):
    """Base of every backup, verify and restore failure; the CLI prints the message."""


class CorruptBackup(BackupError):
    """The file is not a backup, was altered, or was cut short: nothing is loaded from it."""


class WrongKey(BackupError):
    """An encrypted backup and a key that is not the one it was written with."""


class KeyMissing(BackupError):
    """An encrypted backup (or `--encrypt`) and no backup key from the secrets provider."""


class TargetNotEmpty(BackupError):
    """The restore target holds data and `--force` was not given."""


class InconsistentSnapshot(BackupError):
    """Writes kept committing while the backup read, on every attempt."""


class IncompatibleBackup(BackupError):
    """A backup of a newer schema, or with data this version does not know how to load."""
