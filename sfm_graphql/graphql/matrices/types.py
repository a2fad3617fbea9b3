"""The `Matrix` type: an ordered selection of components whose cells are the deliveries among them.

A matrix object carries the rows of its one root statement (`MatrixData`); cells, rows and CSV
are laid out from them in memory. Components are hydrated once per position of the selection
(`components`, `cells.source`, `rows.cells.deliveries.target` ...), each with the nested
connections planned for that position, so nested selections cost no further round trips.
"""

from __future__ import annotations

import datetime as dt
from functools import cached_property
from typing import Annotated, Any

import strawberry

from sfm_graphql.db.shape import NO_CONNECTIONS, ComponentShape
from sfm_graphql.domain.models import DEFAULT_SCENARIO, from_properties
from sfm_graphql.errors import NotPlanned, SfmError
from sfm_graphql.graphql.core.context import Info
from sfm_graphql.graphql.core.ids import to_global_id
from sfm_graphql.graphql.core.node import Node
from sfm_graphql.graphql.graph import hydrate
from sfm_graphql.graphql.graph.types import Component, Delivery, PageInfo, delivery_from_props
from sfm_graphql.services.matrices import CellDelivery, cell_description, matrix_csv

Path = tuple[str, ...]
UNSET: Any = strawberry.UNSET


class MatrixData:
    """The members (in row order) and deliveries of one matrix, as the root statement returned."""

    def __init__(
        self,
        members: list[dict[str, Any]],
        deliveries: list[dict[str, Any]],
        positions: dict[Path, ComponentShape],
    ) -> None:
        self._members = members
        self._positions = positions
        self._hydrated: dict[Path, list[Component]] = {}
        index = {m["id"]: i for i, m in enumerate(members)}
        self.cells: dict[tuple[int, int], list[dict[str, Any]]] = {}
        for row in deliveries:
            i, j = index.get(row["sid"]), index.get(row["tid"])
            if i is not None and j is not None:
                self.cells.setdefault((i, j), []).append(row)

    @property
    def size(self) -> int:
        return len(self._members)

    def components_at(self, path: Path) -> list[Component]:
        """The members as objects for one position, with that position's nested connections."""
        if path not in self._hydrated:
            shape = self._positions.get(path, NO_CONNECTIONS)
            self._hydrated[path] = [hydrate.component(m, shape) for m in self._members]
        return self._hydrated[path]

    def cell(self, prefix: Path, i: int, j: int) -> MatrixCell:
        sources = self.components_at((*prefix, "deliveries", "source"))
        targets = self.components_at((*prefix, "deliveries", "target"))
        rows = self.cells.get((i, j), [])
        deliveries = [
            delivery_from_props(
                from_properties(r["d"]),
                r["sid"],
                r["tid"],
                {"source": sources[i], "target": targets[j]},
            )
            for r in rows
        ]
        return MatrixCell(
            row=i,
            column=j,
            source=self.components_at((*prefix, "source"))[i],
            target=self.components_at((*prefix, "target"))[j],
            deliveries=deliveries,
            shown=[_cell_delivery(r["d"]) for r in rows],
        )

    @cached_property
    def csv(self) -> str:
        labels = [m["label"] for m in self._members]
        shown = {key: [_cell_delivery(r["d"]) for r in rows] for key, rows in self.cells.items()}
        return matrix_csv(labels, shown)


def _cell_delivery(props: dict[str, Any]) -> CellDelivery:
    return CellDelivery(
        kind=props["kind"],
        delivery_type=props.get("deliveryType") or "OTHER",
        weight=props.get("weight", 1.0),
        description=props.get("description"),
    )


def _cell_description(root: MatrixCell) -> str | None:
    return cell_description(root.shown)


@strawberry.type(description="The deliveries from the component of one row to that of one column.")
class MatrixCell:
    row: int = strawberry.field(description="0-based index of the source in `Matrix.components`.")
    column: int = strawberry.field(
        description="0-based index of the target in `Matrix.components`."
    )
    source: Component
    target: Component
    deliveries: list[Delivery] = strawberry.field(
        description="Deliveries from source to target in the matrix's scenario and time slice."
    )
    shown: strawberry.Private[list[CellDelivery]]
    description: str | None = strawberry.field(
        resolver=_cell_description,
        description='The deliveries\' descriptions joined with "; "; null when none has one '
        "(Hayden requires one for every non-empty cell).",
    )


@strawberry.type(description="One row of the matrix: a component and its cell in every column.")
class MatrixRow:
    component: Component
    cells: list[MatrixCell] = strawberry.field(description="Every column, empty cells included.")


def _data(root: Matrix, info: Info) -> MatrixData:
    if root.data is None:
        # Every root field plans its matrix selection and its one statement fetched the data.
        raise NotPlanned(f"Matrix.{info.field_name} was not planned")
    return root.data


def _components(root: Matrix, info: Info) -> list[Component]:
    return _data(root, info).components_at(("components",))


def _cells(
    root: Matrix,
    info: Info,
    non_empty_only: Annotated[
        bool | None, strawberry.argument(description="Only cells with at least one delivery.")
    ] = True,
) -> list[MatrixCell]:
    data = _data(root, info)
    if non_empty_only is not False:
        return [data.cell(("cells",), i, j) for i, j in sorted(data.cells)]
    return [data.cell(("cells",), i, j) for i in range(data.size) for j in range(data.size)]


def _rows(root: Matrix, info: Info) -> list[MatrixRow]:
    data = _data(root, info)
    components = data.components_at(("rows", "component"))
    return [
        MatrixRow(
            component=components[i],
            cells=[data.cell(("rows", "cells"), i, j) for j in range(data.size)],
        )
        for i in range(data.size)
    ]


def _csv(root: Matrix, info: Info) -> str:
    return _data(root, info).csv


@strawberry.type(
    description="A named, versioned selection of components (rows = columns, in a fixed order). "
    "Cell (i, j) holds the deliveries from component i to component j in the matrix's scenario "
    "and time slice. Hayden requires a description for every non-empty cell: a cell whose "
    "`description` is null still needs one."
)
class Matrix(Node):
    uuid: str = strawberry.field(description="The stable UUID behind the global id.")
    name: str
    description: str | None
    scenario: str = strawberry.field(description="The scenario whose deliveries the cells show.")
    time_slice: str | None = strawberry.field(
        description="The time slice whose deliveries the cells show; null shows every time slice."
    )
    external_key: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int = strawberry.field(
        description="Incremented on every update; send it back to update."
    )
    data: strawberry.Private[MatrixData | None]

    components: list[Component] = strawberry.field(
        resolver=_components, description="The rows (and columns), in order."
    )
    cells: list[MatrixCell] = strawberry.field(
        resolver=_cells, description="Cells in row-major order."
    )
    rows: list[MatrixRow] = strawberry.field(
        resolver=_rows, description="The rows x columns view: every cell of every row."
    )
    csv: str = strawberry.field(
        resolver=_csv,
        description="The matrix as CSV: a header of component labels, then one row per "
        "component; a cell lists its deliveries as KIND(DELIVERY_TYPE,weight) joined with "
        '"; ". Cells that a spreadsheet would read as a formula are prefixed with \'.',
    )


def matrix_from_props(props: dict[str, Any], data: MatrixData | None) -> Matrix:
    return Matrix(
        id=strawberry.ID(to_global_id("Matrix", props["id"])),
        uuid=props["id"],
        name=props["name"],
        description=props.get("description"),
        scenario=props.get("scenario") or DEFAULT_SCENARIO,
        time_slice=props.get("timeSlice"),
        external_key=props.get("externalKey"),
        created_at=props["createdAt"],
        updated_at=props["updatedAt"],
        version=props["version"],
        data=data,
    )


def _total_count(root: MatrixConnection) -> int:
    if root.total is None:  # the resolver counts whenever totalCount is selected
        raise SfmError("totalCount was not computed")
    return root.total


@strawberry.type
class MatrixEdge:
    cursor: str
    node: Matrix


@strawberry.type
class MatrixConnection:
    edges: list[MatrixEdge]
    page_info: PageInfo
    total: strawberry.Private[int | None]
    total_count: int = strawberry.field(
        resolver=_total_count, description="Number of matrices (counted only when asked)."
    )


@strawberry.input
class CreateMatrixInput:
    name: str = strawberry.field(description="1 to 200 characters.")
    component_ids: list[strawberry.ID] = strawberry.field(
        description="The rows (and columns) in order; distinct component ids."
    )
    description: str | None = None
    scenario: str = strawberry.field(
        default=DEFAULT_SCENARIO, description="The scenario whose deliveries the cells show."
    )
    time_slice: str | None = strawberry.field(
        default=None, description="Only deliveries of this time slice; null shows all."
    )
    external_key: str | None = None


@strawberry.input(
    description="Omitted fields keep their value; null clears an optional field (a null "
    "scenario falls back to baseline). componentIds, when given, replaces the rows and columns."
)
class UpdateMatrixInput:
    id: strawberry.ID
    version: int = strawberry.field(description="The version the change is based on.")
    name: str | None = UNSET
    description: str | None = UNSET
    component_ids: list[strawberry.ID] | None = UNSET
    scenario: str | None = UNSET
    time_slice: str | None = UNSET
    external_key: str | None = UNSET


@strawberry.type
class MatrixPayload:
    matrix: Matrix


@strawberry.type
class DeleteMatrixPayload:
    deleted_id: strawberry.ID
