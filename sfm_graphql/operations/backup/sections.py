"""What a backup holds: one section per kind of data the service owns, in restore order.

A section names its backup query (`cypher/backup/<name>`), its restore query
(`cypher/restore/<name>`) and what it counts toward the manifest. Nodes come before the
relationships that join them. Labels and types outside these sections are not the service's
(a benchmark's marker, an operator's experiment); the manifest lists them as not saved.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sfm_graphql.domain.enums import COMPONENT_LABEL, DELIVERS, ComponentType
from sfm_graphql.operations.backup.codec import decode_props, encode_props
from sfm_graphql.operations.backup.errors import CorruptBackup, IncompatibleBackup

COMPONENT_TYPE_LABELS = frozenset(t.label for t in ComponentType)


@dataclass(frozen=True, slots=True)
class Section:
    name: str
    shape: Literal["node", "component", "relationship", "includes"]
    label: str | None = None  # the node label this section holds all of
    rel_type: str | None = None  # the relationship type this section holds all of

    @property
    def backup_query(self) -> str:
        return f"backup/{self.name}"

    @property
    def restore_query(self) -> str:
        return f"restore/{self.name}"

    def saved(self, record: dict[str, Any]) -> dict[str, Any]:
        """A row of the backup query as written to the file."""
        row = {k: v for k, v in record.items() if k != "props"}
        row["props"] = encode_props(record["props"])
        return row

    def loaded(self, row: dict[str, Any]) -> dict[str, Any]:
        """A row of the file as the restore query takes it; refuses what it cannot trust."""
        props = decode_props(row.get("props"))
        if self.shape == "includes":
            return {
                "matrix": _text(row, "matrix"),
                "component": _text(row, "component"),
                "props": props,
            }
        key = row.get("key")
        if not isinstance(key, str | int) or isinstance(key, bool):
            raise CorruptBackup(f"a row of section {self.name} has no key")
        if self.shape == "relationship":
            return {
                "key": key,
                "source": _text(row, "source"),
                "target": _text(row, "target"),
                "props": props,
            }
        labels = row.get("labels")
        if not isinstance(labels, list):
            raise CorruptBackup(f"a row of section {self.name} has no labels")
        if self.shape == "node":
            if labels != [self.label]:
                raise IncompatibleBackup(f"a {self.label} node with other labels: {labels}")
            return {"key": key, "props": props}
        # Labels are set from the file only after this check against the enum.
        extra = set(labels) - {COMPONENT_LABEL}
        if COMPONENT_LABEL not in labels or len(extra) != 1 or not extra <= COMPONENT_TYPE_LABELS:
            raise IncompatibleBackup(f"a component with labels {labels} is not of a known type")
        return {"key": key, "labels": sorted(extra), "props": props}


def _text(row: dict[str, Any], name: str) -> str:
    value = row.get(name)
    if not isinstance(value, str):
        raise CorruptBackup(f"a row has no {name}")
    return value


SECTIONS: tuple[Section, ...] = (
    Section("schema_migrations", "node", label="SchemaMigration"),
    Section("components", "component", label=COMPONENT_LABEL),
    Section("scenarios", "node", label="Scenario"),
    Section("matrices", "node", label="Matrix"),
    Section("api_keys", "node", label="ApiKey"),
    Section("oauth_clients", "node", label="OAuthClient"),
    Section("persisted_operations", "node", label="PersistedOperation"),
    Section("audit_events", "node", label="AuditEvent"),
    Section("deliveries", "relationship", rel_type=DELIVERS),
    Section("matrix_includes", "includes", rel_type="INCLUDES"),
)
BY_NAME = {s.name: s for s in SECTIONS}
OWNED_LABELS = frozenset(s.label for s in SECTIONS if s.label) | COMPONENT_TYPE_LABELS
OWNED_TYPES = frozenset(s.rel_type for s in SECTIONS if s.rel_type)
