"""The permission check on the generated development secrets directory (`.local/secrets`).

Decision (docs/security.md, Identity): a directory that others may only list or enter is
tightened to mode 700 with a warning (the files in it are mode 600, so nothing was readable);
anything that may already have exposed or replaced a secret is refused, and the operator fixes
it: the directory or a file not owned by this user, a directory others may write to (they could
swap the signing key), a file others may read or write.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger(__name__)

LOCK_FILE = ".lock"  # empty; only its flock matters, so its mode does not
_OTHERS = stat.S_IRWXG | stat.S_IRWXO
_OTHERS_WRITE = stat.S_IWGRP | stat.S_IWOTH


class UnsafeSecretsDirectory(Exception):
    """The secrets directory or a file in it is open to other users."""


def check_private_dir(directory: Path) -> None:
    """Tighten or refuse `directory` as described above; a missing directory is fine."""
    try:
        info = directory.lstat()
    except FileNotFoundError:
        return
    fix = f"`chmod -R go= {directory}` (or delete it to generate new development secrets)"
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
        raise UnsafeSecretsDirectory(f"{directory} is not a directory")
    if info.st_uid != os.geteuid():
        raise UnsafeSecretsDirectory(f"{directory} belongs to another user; {fix}")
    if info.st_mode & _OTHERS_WRITE:
        raise UnsafeSecretsDirectory(
            f"{directory} is writable by other users, who could have replaced its keys; {fix}"
        )
    for path in directory.iterdir():
        if path.name == LOCK_FILE:
            continue
        entry = path.lstat()
        if entry.st_uid != os.geteuid() or entry.st_mode & _OTHERS:
            raise UnsafeSecretsDirectory(
                f"{path} is readable or writable by other users (mode "
                f"{stat.S_IMODE(entry.st_mode):o}): treat its secret as exposed; {fix}"
            )
    if info.st_mode & _OTHERS:
        directory.chmod(stat.S_IMODE(info.st_mode) & ~_OTHERS)
        log.warning(
            "%s was open to other users (mode %o); set it to mode 700",
            directory,
            stat.S_IMODE(info.st_mode),
        )
