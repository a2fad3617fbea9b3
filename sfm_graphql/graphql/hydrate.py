"""Rows of composed queries to GraphQL objects, with nested connections already filled."""

from __future__ import annotations

from typing import Any

from sfm_graphql.db.plan import ComponentPlan, DeliveryPlan, Page
from sfm_graphql.domain.models import from_properties
from sfm_graphql.graphql.cursors import encode_cursor
from sfm_graphql.graphql.types.components import Component, component_from_props
from sfm_graphql.graphql.types.connections import (
    ComponentConnection,
    ComponentEdge,
    DeliveryConnection,
    DeliveryEdge,
    PageInfo,
)
from sfm_graphql.graphql.types.deliveries import Delivery, delivery_from_props


def component(item: dict[str, Any], plan: ComponentPlan | None) -> Component:
    props = from_properties(item)
    prefetched: dict[str, Any] = {}
    for response_key, conn in plan.connections.items() if plan else ():
        rows = props.pop(conn.key, None) or []
        total = props.pop(f"{conn.key}_total", None)
        prefetched[response_key] = delivery_connection(rows, conn.page, conn.delivery, total)
    return component_from_props(props, prefetched)


def delivery(row: dict[str, Any], plan: DeliveryPlan | None) -> Delivery:
    prefetched: dict[str, Any] = {}
    if plan is not None and plan.source is not None and "s" in row:
        prefetched["source"] = component(row["s"], plan.source)
    if plan is not None and plan.target is not None and "t" in row:
        prefetched["target"] = component(row["t"], plan.target)
    return delivery_from_props(from_properties(row["d"]), row["sid"], row["tid"], prefetched)


def _window(rows: list[Any], page: Page) -> tuple[list[Any], bool, bool]:
    """Trim the look-ahead row and restore reading order; returns (rows, next, previous)."""
    more = len(rows) > page.size
    rows = rows[: page.size]
    if page.backward:
        rows.reverse()
        return rows, page.cursor is not None, more
    # An `after` cursor names an item that precedes this page, so a previous page exists.
    return rows, more, page.cursor is not None


def delivery_connection(
    rows: list[dict[str, Any]], page: Page, plan: DeliveryPlan | None, total: int | None
) -> DeliveryConnection:
    rows, has_next, has_previous = _window(rows, page)
    edges = [
        DeliveryEdge(cursor=encode_cursor(page.sort, r["d"]), node=delivery(r, plan)) for r in rows
    ]
    return DeliveryConnection(
        edges=edges, page_info=_page_info(edges, has_next, has_previous), total=total
    )


def component_connection(
    items: list[dict[str, Any]], page: Page, plan: ComponentPlan, total: int | None
) -> ComponentConnection:
    items, has_next, has_previous = _window(items, page)
    edges = [
        ComponentEdge(cursor=encode_cursor(page.sort, i), node=component(i, plan)) for i in items
    ]
    return ComponentConnection(
        edges=edges, page_info=_page_info(edges, has_next, has_previous), total=total
    )


def _page_info(edges: list[Any], has_next: bool, has_previous: bool) -> PageInfo:
    return PageInfo(
        has_next_page=has_next,
        has_previous_page=has_previous,
        start_cursor=edges[0].cursor if edges else None,
        end_cursor=edges[-1].cursor if edges else None,
    )
