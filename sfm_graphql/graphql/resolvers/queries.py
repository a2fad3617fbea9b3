"""Root query fields."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import strawberry

from sfm_graphql.errors import BadUserInput, LimitExceeded
from sfm_graphql.graphql import convert, hydrate
from sfm_graphql.graphql.context import Info
from sfm_graphql.graphql.ids import from_global_id
from sfm_graphql.graphql.limits import budget_points, rate_limit_key
from sfm_graphql.graphql.resolvers import matrices as matrix_resolvers
from sfm_graphql.graphql.resolvers import scenarios as scenario_resolvers
from sfm_graphql.graphql.resolvers.fetch import components_by_ids, deliveries_by_ids
from sfm_graphql.graphql.selection import Planner
from sfm_graphql.graphql.types.enums import ComponentType, DeliveryKind, DeliveryKindInfo, Direction
from sfm_graphql.graphql.types.graph import (
    COMPONENT_TYPE_NAMES,
    ComponentConnection,
    DeliveryConnection,
)
from sfm_graphql.graphql.types.inputs import (
    ComponentFilter,
    ComponentOrder,
    DeliveryFilter,
    DeliveryOrder,
)
from sfm_graphql.graphql.types.node import Node
from sfm_graphql.graphql.types.rate_limit import RateLimit
from sfm_graphql.graphql.types.results import ComponentDistance, Neighborhood, SearchHit
from sfm_graphql.services import reads

MAX_SEARCH_TEXT = 200
MAX_SEARCH_RESULTS = 100


async def components(
    info: Info,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    filter: ComponentFilter | None = None,  # noqa: A002 (GraphQL argument name)
    order_by: ComponentOrder | None = None,
) -> ComponentConnection:
    settings = info.context.settings
    page = convert.component_page(
        settings,
        {"first": first, "after": after, "last": last, "before": before, "order_by": order_by},
    )
    planner = Planner(info)
    plan = planner.component_plan(planner.descend(planner.root_nodes, "edges", "node"))
    found = await reads.components_page(
        db=info.context.db,
        plan=plan,
        where=convert.component_filter(filter),
        page=page,
        total=planner.selects(planner.root_nodes, "totalCount"),
    )
    return hydrate.component_connection(found.items, page, found.shape, found.total)


async def deliveries(
    info: Info,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    filter: DeliveryFilter | None = None,  # noqa: A002
    order_by: DeliveryOrder | None = None,
) -> DeliveryConnection:
    settings = info.context.settings
    page = convert.delivery_page(
        settings,
        {"first": first, "after": after, "last": last, "before": before, "order_by": order_by},
    )
    planner = Planner(info)
    plan = planner.delivery_plan(planner.descend(planner.root_nodes, "edges", "node"))
    found = await reads.deliveries_page(
        db=info.context.db,
        plan=plan,
        where=convert.delivery_filter(filter),
        page=page,
        total=planner.selects(planner.root_nodes, "totalCount"),
    )
    return hydrate.delivery_connection(found.items, page, found.shape, found.total)


async def node(info: Info, id: strawberry.ID) -> Node | None:  # noqa: A002
    return (await nodes(info, [id]))[0]


async def nodes(info: Info, ids: list[strawberry.ID]) -> list[Node | None]:
    if len(ids) > info.context.settings.max_nodes_per_request:
        raise LimitExceeded(
            f"At most {info.context.settings.max_nodes_per_request} ids per request"
        )
    decoded = [from_global_id(i, field="ids") for i in ids]
    wanted: dict[str, list[str]] = defaultdict(list)
    # Each distinct id is fetched once, however often it is listed; the answer has one entry
    # per listed id (the cost analysis counts every listed id for that reason).
    for type_name, local_id in dict.fromkeys(decoded):
        group = "component" if type_name in COMPONENT_TYPE_NAMES else type_name
        wanted[group].append(local_id)
    planner = Planner(info)
    found: dict[str, Node] = {}
    if wanted["component"]:
        found.update(
            await components_by_ids(
                info.context.db, wanted["component"], planner.component_plan(planner.root_nodes)
            )
        )
    if wanted["Delivery"]:
        found.update(
            await deliveries_by_ids(
                info.context.db, wanted["Delivery"], planner.delivery_plan(planner.root_nodes)
            )
        )
    if wanted["Matrix"]:
        projection = matrix_resolvers.plan_matrix(planner, planner.root_nodes)
        found.update(await matrix_resolvers.load_matrices(info, wanted["Matrix"], projection))
    if wanted["Scenario"]:
        found.update(await scenario_resolvers.scenarios_by_ids(info, wanted["Scenario"]))
    # A node is returned only under the type its id names.
    return [
        n if (n := found.get(local_id)) is not None and type(n).__name__ == type_name else None
        for type_name, local_id in decoded
    ]


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


async def rate_limit(info: Info) -> RateLimit:
    context = info.context
    settings = context.settings
    points = budget_points(settings, context.principal)
    budget = context.budget
    if budget is None and context.rate_limiter is not None:
        budget = await context.rate_limiter.peek(
            rate_limit_key(context.principal, context.client_ip), points=points
        )
    remaining = budget.remaining if budget else points
    reset = budget.reset_at if budget else dt.datetime.now(dt.UTC).timestamp()
    return RateLimit(
        limit=points,
        cost=context.cost,
        remaining=remaining,
        reset_at=dt.datetime.fromtimestamp(reset, dt.UTC),
        window_seconds=settings.rate_limit_window_s,
    )
