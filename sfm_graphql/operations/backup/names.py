"""The default backup file name: `backup` writes it, `backup-prune` (retention.py) parses it."""

from __future__ import annotations

import datetime as dt

SUFFIX = ".sfmbak"
STAMP = "%Y%m%dT%H%M%SZ"


def default_name(now: dt.datetime) -> str:
    """The file name `backup` writes without -o: sfm-graphql-<UTC stamp>.sfmbak."""
    return f"sfm-graphql-{now.astimezone(dt.UTC).strftime(STAMP)}{SUFFIX}"
