"""The records of a bulk import (sfm_graphql/services/bulk_import.py): rows, per-row errors, what
the graph holds for a key, the validated rows, the plan, and the result."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sfm_graphql.domain.enums import ComponentType
from sfm_graphql.domain.kinds import DeliveryKind

MAX_REPORTED_ERRORS = 1000
MAX_WRITTEN_IDS = 100  # ids named in the audit event of an import (audit.MAX_TARGET_IDS)

Row = Mapping[str, Any]


class ImportSection(enum.Enum):
    COMPONENTS = "COMPONENTS"
    DELIVERIES = "DELIVERIES"


class ImportErrorCode(enum.Enum):
    """Why a row was refused."""

    INVALID_VALUE = "INVALID_VALUE"
    DUPLICATE_KEY = "DUPLICATE_KEY"
    UNKNOWN_KEY = "UNKNOWN_KEY"
    KIND_NOT_ALLOWED = "KIND_NOT_ALLOWED"
    TYPE_CHANGED = "TYPE_CHANGED"
    ENDPOINTS_CHANGED = "ENDPOINTS_CHANGED"


@dataclass(frozen=True, slots=True)
class RowError:
    section: ImportSection
    row: int
    external_key: str | None
    field: str | None
    code: ImportErrorCode
    message: str


@dataclass(slots=True)
class SectionCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass(frozen=True, slots=True)
class BulkImportResult:
    """What the import did or, when not committed, would do for the rows that passed."""

    dry_run: bool
    committed: bool
    components: SectionCounts
    deliveries: SectionCounts
    error_count: int
    errors: list[RowError]
    # For the audit log: ids of what a committed import wrote (at most MAX_WRITTEN_IDS), and
    # how many that was.
    written_ids: tuple[str, ...] = ()
    written_count: int = 0


@dataclass(frozen=True, slots=True)
class StoredComponent:
    id: str
    type: ComponentType
    changed: bool | None  # whether the row's props differ; None when no props were compared


@dataclass(frozen=True, slots=True)
class StoredDelivery:
    id: str
    source_id: str
    target_id: str
    changed: bool


@dataclass(frozen=True, slots=True)
class At:
    """Where a problem is: the section, the row index and the row's external key."""

    section: ImportSection
    row: int
    key: str | None


@dataclass(frozen=True, slots=True)
class ComponentCheck:
    """A component row that passed validation; only the first row of each key gets one."""

    at: At
    key: str
    type: ComponentType
    props: dict[str, Any]


@dataclass(frozen=True, slots=True)
class DeliveryCheck:
    at: At
    key: str
    source_key: str | None
    target_key: str | None
    kind: DeliveryKind
    props: dict[str, Any]


@dataclass(slots=True)
class RowCursor:
    """Where the next batch of a longer stream of rows starts (its first row in each section)
    and the keys earlier batches used, so row numbers and duplicate keys span the stream."""

    components: int = 0
    deliveries: int = 0
    component_keys: dict[str, int] = field(default_factory=dict)
    delivery_keys: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class Validated:
    """The outcome of `validate_rows`: valid rows, errors, and the keys the graph must resolve."""

    components: list[ComponentCheck] = field(default_factory=list)
    deliveries: list[DeliveryCheck] = field(default_factory=list)
    # Every component key of the call (first row wins), with its type when the row names one.
    call_types: dict[str, ComponentType | None] = field(default_factory=dict)
    endpoint_keys: dict[str, None] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)

    def error(self, at: At, field_name: str | None, code: ImportErrorCode, message: str) -> None:
        self.errors.append(RowError(at.section, at.row, at.key, field_name, code, message))


@dataclass(slots=True)
class ImportPlan:
    """Rows sorted into what to write; `errors` empty means the plan may be written."""

    component_creates: list[dict[str, Any]] = field(default_factory=list)
    component_updates: list[dict[str, Any]] = field(default_factory=list)
    delivery_creates: list[dict[str, Any]] = field(default_factory=list)
    delivery_updates: list[dict[str, Any]] = field(default_factory=list)
    components: SectionCounts = field(default_factory=SectionCounts)
    deliveries: SectionCounts = field(default_factory=SectionCounts)
    errors: list[RowError] = field(default_factory=list)
