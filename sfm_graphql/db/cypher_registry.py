"""Named Cypher queries kept as files in `cypher/`, loaded once at start-up.

Each file holds one query with a `//` header (purpose, parameters, read or write; a write that
changes the analysed graph, components, deliveries, matrices or scenarios, also says
`// revision: bump`, see db/revision.py). A call must
supply exactly the `$parameters` the file uses: a missing or an extra parameter is a programming
error caught before the query reaches the database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
# Comments and string literals may mention `$x` without it being a parameter.
_NOT_CODE = re.compile(r"//[^\n]*|'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
_ACCESS = re.compile(r"^//\s*access:\s*(read|write)\s*$", re.MULTILINE | re.IGNORECASE)
_BUMPS = re.compile(r"^//\s*revision:\s*bump\s*$", re.MULTILINE | re.IGNORECASE)


class CypherParameterError(Exception):
    """A query was called with parameters that do not match its file."""


@dataclass(frozen=True, slots=True)
class CypherQuery:
    name: str
    text: str
    params: frozenset[str]
    access: Literal["read", "write"]
    bumps_revision: bool = False  # a committed change by it advances the graph revision

    def check(self, params: dict[str, Any]) -> None:
        given = set(params)
        if given != self.params:
            missing = sorted(self.params - given)
            extra = sorted(given - self.params)
            raise CypherParameterError(
                f"query {self.name!r}: missing parameters {missing}, unexpected {extra}"
            )


def parse_query(name: str, text: str) -> CypherQuery:
    code = _NOT_CODE.sub(" ", text)
    access_match = _ACCESS.search(text)
    if access_match is None:
        raise ValueError(f"query {name!r} has no '// access: read|write' header line")
    access: Literal["read", "write"] = (
        "write" if access_match.group(1).lower() == "write" else "read"
    )
    bumps = _BUMPS.search(text) is not None
    if bumps and access != "write":
        raise ValueError(f"query {name!r} says '// revision: bump' but only reads")
    return CypherQuery(
        name=name,
        text=text.strip(),
        params=frozenset(_PARAM.findall(code)),
        access=access,
        bumps_revision=bumps,
    )


def default_cypher_dir() -> Path:
    """`cypher/` beside the package in a checkout, or the copy packed into the wheel."""
    packed = Path(__file__).resolve().parent.parent / "_cypher"
    if packed.is_dir():
        return packed
    return Path(__file__).resolve().parent.parent.parent / "cypher"


class CypherRegistry:
    """All queries of a folder by name: `components/create` for `components/create.cypher`."""

    def __init__(self, queries: dict[str, CypherQuery]) -> None:
        self._queries = queries

    @classmethod
    def load(cls, directory: Path | None = None) -> CypherRegistry:
        root = directory or default_cypher_dir()
        queries: dict[str, CypherQuery] = {}
        for path in sorted(root.rglob("*.cypher")):
            rel = path.relative_to(root)
            if rel.parts[0] == "migrations":
                continue
            name = rel.with_suffix("").as_posix()
            queries[name] = parse_query(name, path.read_text(encoding="utf-8"))
        return cls(queries)

    def get(self, name: str) -> CypherQuery:
        try:
            return self._queries[name]
        except KeyError:
            raise KeyError(f"no Cypher query named {name!r}") from None

    def names(self) -> list[str]:
        return sorted(self._queries)
