"""Matrix root fields: plan the selection, run one composed statement, call the service."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import strawberry

from sfm_graphql.db.compose_matrix import MatrixProjection
from sfm_graphql.db.plan import ComponentPlan, ConnectionPlan
from sfm_graphql.db.shape import ComponentShape, ConnectionShape
from sfm_graphql.errors import BadUserInput, LimitExceeded, NotFound
from sfm_graphql.graphql.core.context import Info
from sfm_graphql.graphql.core.cursors import encode_cursor
from sfm_graphql.graphql.core.ids import COMPONENT_TYPE_NAMES, expect_global_id
from sfm_graphql.graphql.graph.mutation_types import provided_fields
from sfm_graphql.graphql.graph.types import PageInfo
from sfm_graphql.graphql.matrices.types import (
    CreateMatrixInput,
    DeleteMatrixPayload,
    Matrix,
    MatrixConnection,
    MatrixData,
    MatrixEdge,
    MatrixPayload,
    Path,
    UpdateMatrixInput,
    matrix_from_props,
)
from sfm_graphql.graphql.planner import convert
from sfm_graphql.graphql.planner.selection import Planner
from sfm_graphql.services import matrices as matrix_service
from sfm_graphql.services import reads
from sfm_graphql.settings import Settings

MATRIX = frozenset({"Matrix"})
_SORT = "name"
# Every place a matrix's components appear in the schema, by field names from the matrix.
_CELL_ENDS: tuple[Path, ...] = (
    ("source",),
    ("target",),
    ("deliveries", "source"),
    ("deliveries", "target"),
)
POSITIONS: tuple[Path, ...] = (
    ("components",),
    *(("cells", *end) for end in _CELL_ENDS),
    ("rows", "component"),
    *(("rows", "cells", *end) for end in _CELL_ENDS),
)


# Each position's nested connections join the members' one plan under `<path>:<response key>`.
_POSITION = ":"
FULL = MatrixProjection(members=ComponentPlan(), deliveries=True)


def plan_matrix(planner: Planner, nodes: list[Any]) -> MatrixProjection:
    """What the selection under `nodes` (matrix fields) needs, as one projection.

    Each position's nested connections join one component projection under distinct keys, so
    every member is fetched once however many positions the selection uses.
    """
    connections: dict[str, ConnectionPlan] = {}
    fields: set[str] = set()
    for path in POSITIONS:
        found = planner.descend(nodes, *path)
        if found:
            plan = planner.component_plan(found)
            fields |= plan.fields or set()
            for key, conn in plan.connections.items():
                connections[f"{'.'.join(path)}{_POSITION}{key}"] = conn
    wants_cells = any(planner.selects(nodes, name) for name in ("cells", "rows", "csv"))
    wants_members = wants_cells or planner.selects(nodes, "components")
    members = ComponentPlan(connections=connections, fields=frozenset(fields))
    return MatrixProjection(members=members if wants_members else None, deliveries=wants_cells)


def position_shapes(members: ComponentShape | None) -> dict[Path, ComponentShape]:
    """The members' shape split back into one shape per position of the selection."""
    grouped: dict[Path, dict[str, ConnectionShape]] = {}
    for joined, conn in (members.connections if members else {}).items():
        path, _, key = joined.rpartition(_POSITION)
        grouped.setdefault(tuple(path.split(".")), {})[key] = conn
    return {path: ComponentShape(connections) for path, connections in grouped.items()}


def _matrix(
    row: Mapping[str, Any],
    projection: MatrixProjection,
    positions: dict[Path, ComponentShape],
    settings: Settings,
) -> Matrix:
    props, deliveries = row["matrix"], row["deliveries"]
    if len(deliveries) > settings.max_matrix_deliveries:
        raise LimitExceeded(
            f"The matrix {props['name']!r} has more than {settings.max_matrix_deliveries} "
            "deliveries in its scenario and time slice; set a timeSlice or use fewer components"
        )
    data = None
    if projection.members is not None:
        data = MatrixData(row["members"], deliveries, positions)
    return matrix_from_props(props, data)


async def load_matrices(
    info: Info, ids: list[str], projection: MatrixProjection
) -> dict[str, Matrix]:
    settings = info.context.settings
    found = await reads.matrices_by_ids(
        db=info.context.db,
        projection=projection,
        ids=ids,
        max_deliveries=settings.max_matrix_deliveries,
    )
    positions = position_shapes(found.shape)
    matrices = [_matrix(r, projection, positions, settings) for r in found.rows]
    return {m.uuid: m for m in matrices}


async def _planned(info: Info, matrix_id: str, *path: str) -> Matrix:
    planner = Planner(info)
    projection = plan_matrix(planner, planner.descend(planner.root_nodes, *path))
    found = await load_matrices(info, [matrix_id], projection)
    if matrix_id not in found:
        raise NotFound("The matrix no longer exists")
    return found[matrix_id]


# -- queries ---------------------------------------------------------------------------------


async def matrix(info: Info, id: strawberry.ID) -> Matrix | None:  # noqa: A002 (GraphQL name)
    matrix_id = expect_global_id(id, MATRIX)
    planner = Planner(info)
    found = await load_matrices(info, [matrix_id], plan_matrix(planner, planner.root_nodes))
    return found.get(matrix_id)


async def matrices(
    info: Info, first: int | None = None, after: str | None = None
) -> MatrixConnection:
    settings = info.context.settings
    page = convert.forward_page(settings, first=first, after=after, sort=_SORT, descending=False)
    planner = Planner(info)
    projection = plan_matrix(planner, planner.descend(planner.root_nodes, "edges", "node"))
    found = await reads.matrices_page(
        db=info.context.db,
        projection=projection,
        size=page.size,
        after=page.cursor,
        total=planner.selects(planner.root_nodes, "totalCount"),
        max_deliveries=settings.max_matrix_deliveries,
    )
    positions = position_shapes(found.shape)
    items = sorted(found.items, key=lambda i: (i["matrix"]["name"], i["matrix"]["id"]))
    kept = items[: page.size]
    edges = [
        MatrixEdge(
            cursor=encode_cursor(_SORT, i["matrix"]),
            node=_matrix(i, projection, positions, settings),
        )
        for i in kept
    ]
    return MatrixConnection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=len(items) > page.size,
            has_previous_page=page.cursor is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        total=found.total,
    )


# -- mutations -------------------------------------------------------------------------------


def _component_ids(settings: Settings, ids: list[strawberry.ID]) -> list[str]:
    matrix_service.check_component_count(len(ids), max_components=settings.max_matrix_components)
    return [
        expect_global_id(g, COMPONENT_TYPE_NAMES, field=f"input.componentIds[{i}]")
        for i, g in enumerate(ids)
    ]


async def create_matrix(info: Info, input: CreateMatrixInput) -> MatrixPayload:  # noqa: A002
    settings = info.context.settings
    fields = provided_fields(input)
    fields.pop("componentIds")
    matrix_id = await matrix_service.create_matrix(
        db=info.context.db,
        data=fields,
        component_ids=_component_ids(settings, input.component_ids),
        max_components=settings.max_matrix_components,
    )
    return MatrixPayload(matrix=await _planned(info, matrix_id, "matrix"))


async def update_matrix(info: Info, input: UpdateMatrixInput) -> MatrixPayload:  # noqa: A002
    settings = info.context.settings
    matrix_id = expect_global_id(input.id, MATRIX, field="input.id")
    changes = provided_fields(input)
    component_ids = None
    if "componentIds" in changes:
        given = changes.pop("componentIds")
        if given is None:
            raise BadUserInput(
                "componentIds cannot be null; omit it to keep the components",
                field="input.componentIds",
            )
        component_ids = _component_ids(settings, given)
    await matrix_service.update_matrix(
        db=info.context.db,
        matrix_id=matrix_id,
        version=input.version,
        changes=changes,
        component_ids=component_ids,
        max_components=settings.max_matrix_components,
    )
    return MatrixPayload(matrix=await _planned(info, matrix_id, "matrix"))


async def delete_matrix(
    info: Info,
    id: strawberry.ID,  # noqa: A002
    version: int,
) -> DeleteMatrixPayload:
    matrix_id = expect_global_id(id, MATRIX)
    await matrix_service.delete_matrix(db=info.context.db, matrix_id=matrix_id, version=version)
    return DeleteMatrixPayload(deleted_id=id)
