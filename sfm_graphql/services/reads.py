"""Reads that follow the selection: compose the plan, run the one statement, return its rows.

Resolvers turn a selection into a plan (GraphQL concerns, `graphql/planner/selection.py`); this
service composes it (`db/compose_graph.py`, `db/compose_matrix.py`), runs it and returns plain
rows with the shape the composer gave them; the resolver hydrates them into GraphQL objects
(`graphql/graph/hydrate.py`). Reads go resolver -> service -> db like writes do, and no
Strawberry type enters this layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from sfm_graphql.db import compose_graph, compose_matrix
from sfm_graphql.db.compose import ComposedQuery
from sfm_graphql.db.compose_matrix import MatrixProjection
from sfm_graphql.db.database import Database, Row
from sfm_graphql.db.plan import (
    ComponentFilter,
    ComponentPlan,
    Cursor,
    DeliveryFilter,
    DeliveryPlan,
    DirectionName,
    Page,
)
from sfm_graphql.db.shape import ComponentShape, DeliveryShape, NeighborhoodShape
from sfm_graphql.domain.enums import ComponentType
from sfm_graphql.errors import NotFound

S = TypeVar("S")


@dataclass(frozen=True, slots=True)
class Shaped(Generic[S]):
    """The rows of one composed statement and the shape of its items."""

    rows: list[Row]
    shape: S


@dataclass(frozen=True, slots=True)
class Items(Generic[S]):
    """Items in statement order (a page has one look-ahead item more than its size)."""

    items: list[Row]
    shape: S
    total: int | None = None


@dataclass(frozen=True, slots=True)
class Neighborhood:
    center: Row
    members: list[tuple[int, Row]]  # (hops, component), nearest first
    deliveries: list[Row]
    truncated: bool
    shape: NeighborhoodShape


async def run(db: Database, query: ComposedQuery[S]) -> Shaped[S]:
    """The one way a composed statement reaches the database."""
    return Shaped(await db.run_composed(query.name, query.text, query.params), query.shape)


async def _page(db: Database, query: ComposedQuery[S]) -> Items[S]:
    result = await run(db, query)
    row = result.rows[0]
    return Items(row["items"], result.shape, row["total"])


async def _by_ids(db: Database, query: ComposedQuery[S]) -> Items[S]:
    result = await run(db, query)
    return Items([r["item"] for r in result.rows], result.shape)


async def components_page(
    *, db: Database, plan: ComponentPlan, where: ComponentFilter, page: Page, total: bool
) -> Items[ComponentShape]:
    return await _page(db, compose_graph.components_page(plan, where, page, total=total))


async def components_by_ids(
    *, db: Database, plan: ComponentPlan, ids: list[str]
) -> Items[ComponentShape]:
    if not ids:
        return Items([], compose_graph.components_by_ids(plan, []).shape)
    return await _by_ids(db, compose_graph.components_by_ids(plan, ids))


async def deliveries_page(
    *, db: Database, plan: DeliveryPlan, where: DeliveryFilter, page: Page, total: bool
) -> Items[DeliveryShape]:
    return await _page(db, compose_graph.deliveries_page(plan, where, page, total=total))


async def deliveries_by_ids(
    *, db: Database, plan: DeliveryPlan, ids: list[str]
) -> Items[DeliveryShape]:
    if not ids:
        return Items([], compose_graph.deliveries_by_ids(plan, []).shape)
    return await _by_ids(db, compose_graph.deliveries_by_ids(plan, ids))


async def search(
    *,
    db: Database,
    plan: ComponentPlan,
    lucene_query: str,
    types: tuple[ComponentType, ...],
    limit: int,
) -> tuple[list[float], Items[ComponentShape]]:
    """The scores and the components of the best `limit` matches, best first."""
    result = await run(db, compose_graph.search(plan, lucene_query, types, limit))
    return [r["score"] for r in result.rows], Items([r["item"] for r in result.rows], result.shape)


async def neighborhood(
    *,
    db: Database,
    center_plan: ComponentPlan,
    component_plan: ComponentPlan,
    delivery_plan: DeliveryPlan | None,
    center_id: str,
    depth: int,
    direction: DirectionName,
    where: DeliveryFilter,
    max_nodes: int,
) -> Neighborhood:
    query = compose_graph.neighborhood(
        center_plan=center_plan,
        component_plan=component_plan,
        delivery_plan=delivery_plan,
        center_id=center_id,
        depth=depth,
        direction=direction,
        f=where,
        max_nodes=max_nodes,
    )
    result = await run(db, query)
    if not result.rows:
        raise NotFound("No component has this id", field="id")
    row = result.rows[0]
    return Neighborhood(
        center=row["center"],
        members=[(m["hops"], m["item"]) for m in row["components"]],
        deliveries=row["deliveries"],
        truncated=row["truncated"],
        shape=result.shape,
    )


async def matrices_by_ids(
    *, db: Database, projection: MatrixProjection, ids: list[str], max_deliveries: int
) -> Shaped[ComponentShape | None]:
    """Rows of `matrix`, `members` and `deliveries`; the shape is the members'."""
    query = compose_matrix.matrices_by_ids(projection, ids, max_deliveries=max_deliveries)
    if not ids:
        return Shaped([], query.shape)
    return await run(db, query)


async def matrices_page(
    *,
    db: Database,
    projection: MatrixProjection,
    size: int,
    after: Cursor | None,
    total: bool,
    max_deliveries: int,
) -> Items[ComponentShape | None]:
    """Items of `matrix`, `members` and `deliveries`, `size + 1` of them at most."""
    query = compose_matrix.matrices_page(
        projection, size=size, after=after, total=total, max_deliveries=max_deliveries
    )
    return await _page(db, query)
