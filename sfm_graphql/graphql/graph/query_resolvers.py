"""Root query fields."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

import strawberry
from graphql import FieldNode

from sfm_graphql.db.database import Database, Row
from sfm_graphql.db.plan import Page
from sfm_graphql.errors import BadUserInput
from sfm_graphql.graphql.core.context import Info
from sfm_graphql.graphql.core.enums import ComponentType, DeliveryKind, DeliveryKindInfo, Direction
from sfm_graphql.graphql.core.ids import COMPONENT_TYPE_NAMES, from_global_id
from sfm_graphql.graphql.core.inputs import (
    ComponentFilter,
    ComponentOrder,
    DeliveryFilter,
    DeliveryOrder,
)
from sfm_graphql.graphql.graph import hydrate
from sfm_graphql.graphql.graph.result_types import ComponentDistance, Neighborhood, SearchHit
from sfm_graphql.graphql.graph.types import (
    ComponentConnection,
    DeliveryConnection,
)
from sfm_graphql.graphql.planner import convert
from sfm_graphql.graphql.planner.selection import Planner
from sfm_graphql.services import reads
from sfm_graphql.settings import Settings

MAX_SEARCH_TEXT = 200
MAX_SEARCH_RESULTS = 100


_Plan_contra = TypeVar("_Plan_contra", contravariant=True)
_Where_contra = TypeVar("_Where_contra", contravariant=True)
_Shape = TypeVar("_Shape")
_Input = TypeVar("_Input")
_Connection = TypeVar("_Connection")


class _PageRead(Protocol[_Plan_contra, _Where_contra, _Shape]):
    """A read service's page of one kind (`reads.components_page`, `reads.deliveries_page`)."""

    def __call__(
        self, *, db: Database, plan: _Plan_contra, where: _Where_contra, page: Page, total: bool
    ) -> Awaitable[reads.Items[_Shape]]: ...


async def _connection(
    info: Info,
    page_args: dict[str, Any],
    filter: _Input,  # noqa: A002 (GraphQL argument name)
    *,
    page_of: Callable[[Settings, dict[str, Any]], Page],
    plan_of: Callable[[Planner, list[FieldNode]], _Plan_contra],
    where_of: Callable[[_Input], _Where_contra],
    read: _PageRead[_Plan_contra, _Where_contra, _Shape],
    connection_of: Callable[[list[Row], Page, _Shape, int | None], _Connection],
) -> _Connection:
    """A root connection: the page arguments and the selection below `edges.node` checked and
    planned, then `filter`, one statement read, its rows hydrated (in that order, so the first
    invalid argument is the one reported). The functions passed are module-level ones."""
    page = page_of(info.context.settings, page_args)
    planner = Planner(info)
    plan = plan_of(planner, planner.descend(planner.root_nodes, "edges", "node"))
    found = await read(
        db=info.context.db,
        plan=plan,
        where=where_of(filter),
        page=page,
        total=planner.selects(planner.root_nodes, "totalCount"),
    )
    return connection_of(found.items, page, found.shape, found.total)


async def components(
    info: Info,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    filter: ComponentFilter | None = None,  # noqa: A002 (GraphQL argument name)
    order_by: ComponentOrder | None = None,
) -> ComponentConnection:
    return await _connection(
        info,
        {"first": first, "after": after, "last": last, "before": before, "order_by": order_by},
        filter,
        page_of=convert.component_page,
        plan_of=Planner.component_plan,
        where_of=convert.component_filter,
        read=reads.components_page,
        connection_of=hydrate.component_connection,
    )


async def deliveries(
    info: Info,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    filter: DeliveryFilter | None = None,  # noqa: A002
    order_by: DeliveryOrder | None = None,
) -> DeliveryConnection:
    return await _connection(
        info,
        {"first": first, "after": after, "last": last, "before": before, "order_by": order_by},
        filter,
        page_of=convert.delivery_page,
        plan_of=Planner.delivery_plan,
        where_of=convert.delivery_filter,
        read=reads.deliveries_page,
        connection_of=hydrate.delivery_connection,
    )


def lucene_terms(text: str) -> str:
    """User text as literal Lucene terms: each word quoted, so no word acts as query syntax."""
    quoted = ('"' + w.replace("\\", "\\\\").replace('"', '\\"') + '"' for w in text.split())
    return " ".join(quoted)


async def search(
    info: Info, text: str, types: list[ComponentType] | None = None, first: int = 20
) -> list[SearchHit]:
    if not text.strip() or len(text) > MAX_SEARCH_TEXT:
        raise BadUserInput(f"text must be 1 to {MAX_SEARCH_TEXT} characters", field="text")
    if not 1 <= first <= MAX_SEARCH_RESULTS:
        raise BadUserInput(f"first must be between 1 and {MAX_SEARCH_RESULTS}", field="first")
    planner = Planner(info)
    plan = planner.component_plan(planner.descend(planner.root_nodes, "component"))
    scores, found = await reads.search(
        db=info.context.db,
        plan=plan,
        lucene_query=lucene_terms(text),
        types=tuple(types or ()),
        limit=first,
    )
    return [
        SearchHit(score=score, component=hydrate.component(item, found.shape))
        for score, item in zip(scores, found.items, strict=True)
    ]


async def neighborhood(
    info: Info,
    id: strawberry.ID,  # noqa: A002
    depth: int = 1,
    direction: Direction = Direction.BOTH,
    kinds: list[DeliveryKind] | None = None,
    scenario: str | None = None,
) -> Neighborhood:
    settings = info.context.settings
    if not 1 <= depth <= settings.max_neighborhood_depth:
        raise BadUserInput(
            f"depth must be between 1 and {settings.max_neighborhood_depth}", field="depth"
        )
    type_name, center_id = from_global_id(id)
    if type_name not in COMPONENT_TYPE_NAMES:
        raise BadUserInput("id must be the id of a component", field="id")
    planner = Planner(info)
    root = planner.root_nodes
    member_nodes = planner.descend(root, "components")
    center_plan = planner.component_plan(planner.descend(root, "center") + member_nodes)
    member_plan = planner.component_plan(member_nodes)
    delivery_nodes = planner.descend(root, "deliveries")
    delivery_plan = planner.delivery_plan(delivery_nodes) if delivery_nodes else None
    found = await reads.neighborhood(
        db=info.context.db,
        center_plan=center_plan,
        component_plan=member_plan,
        delivery_plan=delivery_plan,
        center_id=center_id,
        depth=depth,
        direction=Direction(direction).value,
        where=convert.delivery_filter(DeliveryFilter(kinds=kinds, scenario=scenario)),
        max_nodes=settings.max_neighborhood_nodes,
    )
    shape = found.shape
    center = hydrate.component(found.center, shape.center)
    members = [hydrate.component(item, shape.components) for _, item in found.members]
    return Neighborhood(
        center=center,
        components=[center, *members],
        distances=[ComponentDistance(component_id=center.id, hops=0)]
        + [
            ComponentDistance(component_id=c.id, hops=hops)
            for c, (hops, _) in zip(members, found.members, strict=True)
        ],
        deliveries=[hydrate.delivery(d, shape.deliveries) for d in found.deliveries],
        depth=depth,
        truncated=found.truncated,
    )


def delivery_kinds() -> list[DeliveryKindInfo]:
    return [DeliveryKindInfo.of(k) for k in DeliveryKind]
