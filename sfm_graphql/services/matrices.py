"""Create, update and delete matrices; lay their deliveries out as cells and as CSV.

A matrix is a named, versioned, ordered selection of components (rows = columns). It shows the
deliveries of one scenario (default "baseline") and, when `timeSlice` is set, of that time slice
only. Deleting a component removes it from every matrix that includes it.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from pydantic import ValidationError

from sfm_graphql.db.database import Database
from sfm_graphql.db.transaction import Transaction
from sfm_graphql.domain.models import (
    DEFAULT_SCENARIO,
    Dimension,
    Key,
    Label,
    Strict,
    Text,
    to_properties,
    validation_error_to_input,
)
from sfm_graphql.errors import BadUserInput, Conflict, NotFound
from sfm_graphql.services.csv_safety import neutralise
from sfm_graphql.services.versioning import refuse_delete, update_versioned

CELL_SEPARATOR = "; "


class MatrixFields(Strict):
    name: Label
    description: Text | None = None
    scenario: Dimension = DEFAULT_SCENARIO
    timeSlice: Dimension | None = None  # noqa: N815 (GraphQL field names)
    externalKey: Key | None = None  # noqa: N815


def validate_matrix(data: dict[str, Any]) -> MatrixFields:
    try:
        return MatrixFields.model_validate({k: v for k, v in data.items() if v is not None})
    except ValidationError as exc:
        raise validation_error_to_input(exc) from None


def check_component_count(count: int, *, max_components: int) -> None:
    """Refuse an empty or oversized selection before its ids are even decoded."""
    if not 1 <= count <= max_components:
        raise BadUserInput(
            f"componentIds must name 1 to {max_components} components, not {count}",
            field="componentIds",
        )


def check_distinct(component_ids: Sequence[str]) -> None:
    """Refuse a component listed twice: it would be two rows (and columns) of one matrix."""
    first_at: dict[str, int] = {}
    errors = []
    for index, component_id in enumerate(component_ids):
        if component_id in first_at:
            errors.append(
                {
                    "field": f"componentIds[{index}]",
                    "message": f"repeats componentIds[{first_at[component_id]}]; "
                    "a component is one row and one column",
                }
            )
        else:
            first_at[component_id] = index
    if errors:
        raise BadUserInput.for_fields(errors)


async def _check_components(tx: Transaction, component_ids: list[str], max_components: int) -> None:
    check_component_count(len(component_ids), max_components=max_components)
    check_distinct(component_ids)
    rows = await tx.run("components/types_by_ids", ids=component_ids)
    found = {r["id"] for r in rows}
    missing = [f"componentIds[{i}]" for i, c in enumerate(component_ids) if c not in found]
    if missing:
        raise NotFound(
            f"No component has the id given at {', '.join(missing[:10])}", fields=missing
        )


def _included_all(rows: list[dict[str, Any]], component_ids: list[str]) -> None:
    if not rows or rows[0]["included"] != len(component_ids):
        # A component was deleted between the check and the write, in another transaction.
        raise Conflict("A component of the matrix was deleted meanwhile; try again")


async def create_matrix(
    *, db: Database, data: dict[str, Any], component_ids: list[str], max_components: int
) -> str:
    """Validate and store a matrix over `component_ids` (in row order); returns its id."""
    model = validate_matrix(data)
    matrix_id = str(uuid.uuid4())

    async def work(tx: Transaction) -> None:
        await _check_components(tx, component_ids, max_components)
        rows = await tx.run(
            "matrices/create", id=matrix_id, props=to_properties(model), componentIds=component_ids
        )
        _included_all(rows, component_ids)

    await db.write_transaction(work)
    return matrix_id


async def update_matrix(
    *,
    db: Database,
    matrix_id: str,
    version: int,
    changes: dict[str, Any],
    component_ids: list[str] | None,
    max_components: int,
) -> None:
    """Apply `changes` (None clears a field; scenario falls back to baseline) and, when given,
    replace the components, if the matrix is still at `version`."""

    async def work(tx: Transaction) -> None:
        async def merge(row: dict[str, Any]) -> dict[str, Any]:
            stored = row["props"]
            merged = {k: stored.get(k) for k in MatrixFields.model_fields}
            merged.update(changes)
            model = validate_matrix(merged)
            if component_ids is not None:
                await _check_components(tx, component_ids, max_components)
            return to_properties(model)

        await update_versioned(
            tx,
            what="matrix",
            item_id=matrix_id,
            version=version,
            read="matrices/get_for_update",
            write="matrices/update",
            merge=merge,
        )
        if component_ids is not None:
            replaced = await tx.run(
                "matrices/replace_components", id=matrix_id, componentIds=component_ids
            )
            _included_all(replaced, component_ids)

    await db.write_transaction(work)


async def delete_matrix(*, db: Database, matrix_id: str, version: int) -> None:
    """Delete a matrix (never its components) if it is still at `version`."""
    if await db.write("matrices/delete", id=matrix_id, version=version):
        return
    await refuse_delete(
        db, what="matrix", state="matrices/state", item_id=matrix_id, version=version
    )


async def matrix_id_by_external_key(*, db: Database, external_key: str) -> str | None:
    rows = await db.read("matrices/id_by_external_key", externalKey=external_key)
    return str(rows[0]["id"]) if rows else None


async def component_ids_by_external_keys(*, db: Database, keys: list[str]) -> dict[str, str]:
    """Component ids by externalKey; keys no component carries are absent."""
    rows = await db.read("matrices/component_ids_by_external_keys", keys=keys)
    return {r["externalKey"]: r["id"] for r in rows}


async def ensure_matrices(
    *, db: Database, matrices: Sequence[Mapping[str, Any]], max_components: int
) -> str:
    """Create the matrices of a model file that are not there yet (matched by externalKey).

    Each entry has `externalKey`, `name`, optional `description`, `scenario` and `timeSlice`,
    and `components` as component externalKeys in row order. Returns a one-line summary.
    """
    created = present = 0
    for entry in matrices:
        key = entry["externalKey"]
        if await matrix_id_by_external_key(db=db, external_key=key) is not None:
            present += 1
            continue
        keys = list(entry["components"])
        ids = await component_ids_by_external_keys(db=db, keys=keys)
        missing = [k for k in keys if k not in ids]
        if missing:
            raise NotFound(f"matrix {key!r} names unknown components: {', '.join(missing[:10])}")
        data = {name: entry.get(name) for name in ("name", "description", "scenario", "timeSlice")}
        await create_matrix(
            db=db,
            data={**data, "externalKey": key},
            component_ids=[ids[k] for k in keys],
            max_components=max_components,
        )
        created += 1
    return f"{created + present} matrices ({created} created, {present} already present)"


# -- layout ----------------------------------------------------------------------------------


class CellDelivery(NamedTuple):
    """What a cell shows of one delivery."""

    kind: str
    delivery_type: str
    weight: float
    description: str | None


def cell_description(deliveries: Iterable[CellDelivery]) -> str | None:
    """The deliveries' descriptions joined with "; ", or None when none has one."""
    texts = [d.description.strip() for d in deliveries if d.description and d.description.strip()]
    return CELL_SEPARATOR.join(texts) if texts else None


def _number(value: float) -> str:
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


def cell_text(deliveries: Iterable[CellDelivery]) -> str:
    """A cell as text, e.g. `FUNDS(MONEY,0.8); GOVERNS(RULE,1)`."""
    return CELL_SEPARATOR.join(
        f"{d.kind}({d.delivery_type},{_number(d.weight)})" for d in deliveries
    )


def matrix_csv(
    labels: Sequence[str], cells: Mapping[tuple[int, int], Sequence[CellDelivery]]
) -> str:
    """The square matrix as CSV: a header of labels, then one row per component.

    Every cell goes through `neutralise`, so a label or text cannot become a spreadsheet formula.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["", *(neutralise(label) for label in labels)])
    for i, label in enumerate(labels):
        writer.writerow(
            [neutralise(label)]
            + [neutralise(cell_text(cells.get((i, j), ()))) for j in range(len(labels))]
        )
    return out.getvalue()
