"""The migration files in `cypher/migrations/`: each version an up file and a down file.

- `NNNN_name.cypher`: the up step, `;`-separated statements. Its SHA-256 is the checksum recorded
  when it is applied, so an up file is never edited once released (status reports drift).
- `NNNN_name.down.cypher`: the down step, the statements that undo the up step. A step that
  cannot be undone says why instead, in a header line `// irreversible: <reason>`, and holds no
  statement; `migrate down` then refuses it with that reason. Every up file needs its down file,
  so no migration is added without deciding how it is undone.

The up files keep the name they had before down steps existed, so the checksums recorded in
databases in the field stay valid (docs/decisions.md, "Migrations: up and down files").
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from sfm_graphql.db.cypher_registry import default_cypher_dir

_UP = re.compile(r"^(\d{4})_([a-z0-9_]+)\.cypher$")
_DOWN = re.compile(r"^(\d{4})_([a-z0-9_]+)\.down\.cypher$")
_COMMENT = re.compile(r"^\s*//.*$", re.MULTILINE)
_IRREVERSIBLE = re.compile(r"^\s*//\s*irreversible:\s*(.*?)\s*$", re.MULTILINE | re.IGNORECASE)


class MigrationError(Exception):
    """A refusal: drift, a bad migration file, an irreversible step, a lock not obtained."""


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    up: tuple[str, ...]
    down: tuple[str, ...]
    irreversible: str | None  # the reason `down` refuses, or None when it can be undone
    checksum: str  # SHA-256 of the up file's text

    @property
    def label(self) -> str:
        return f"{self.version:04d}_{self.name}"


def statements(text: str) -> tuple[str, ...]:
    """The `;`-separated statements of a file, `//` comment lines removed."""
    return tuple(s.strip() for s in _COMMENT.sub("", text).split(";") if s.strip())


def parse_down(label: str, text: str) -> tuple[tuple[str, ...], str | None]:
    """The down statements, or none and the reason the step is irreversible."""
    steps = statements(text)
    match = _IRREVERSIBLE.search(text)
    if match is None:
        if not steps:
            raise MigrationError(
                f"{label}.down.cypher has no statement and no '// irreversible: <reason>' line"
            )
        return steps, None
    if not match.group(1):
        raise MigrationError(f"{label}.down.cypher: '// irreversible:' needs a reason")
    if steps:
        raise MigrationError(f"{label}.down.cypher is marked irreversible but has statements")
    return (), match.group(1)


def default_migrations_dir() -> Path:
    return default_cypher_dir() / "migrations"


def load_migrations(directory: Path | None = None) -> list[Migration]:
    """Every migration of the folder, in version order; raises on a malformed set of files."""
    root = directory or default_migrations_dir()
    ups: dict[int, Path] = {}
    downs: dict[int, Path] = {}
    for path in sorted(root.glob("*.cypher")):
        down_match = _DOWN.match(path.name)
        up_match = _UP.match(path.name)
        if down_match is not None:
            target, version = downs, int(down_match.group(1))
        elif up_match is not None:
            target, version = ups, int(up_match.group(1))
        else:
            raise MigrationError(
                f"migration file name {path.name!r} is not NNNN_name.cypher "
                "or NNNN_name.down.cypher"
            )
        if version in target:
            raise MigrationError(f"two migration files share version {version:04d}")
        target[version] = path
    migrations = []
    for version, up_path in sorted(ups.items()):
        label = up_path.name.removesuffix(".cypher")
        down_path = downs.pop(version, None)
        if down_path is None or down_path.name != f"{label}.down.cypher":
            raise MigrationError(f"migration {label} has no {label}.down.cypher")
        text = up_path.read_text(encoding="utf-8")
        down, irreversible = parse_down(label, down_path.read_text(encoding="utf-8"))
        migrations.append(
            Migration(
                version=version,
                name=label[5:],
                up=statements(text),
                down=down,
                irreversible=irreversible,
                checksum=hashlib.sha256(text.encode()).hexdigest(),
            )
        )
    if downs:
        orphans = ", ".join(sorted(p.name for p in downs.values()))
        raise MigrationError(f"down files without an up file: {orphans}")
    return migrations
