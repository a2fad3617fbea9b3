"""Rows of composed queries to GraphQL objects, with nested connections already filled.

Hydration walks the shape the composer returned with the statement (`db/shape.py`): it says
under which map key each planned connection sits. A statement returns only the properties the
selection reads plus those every object is built from (`compose.COMPONENT_HYDRATION`); a
projected property the item lacks comes back null, so nulls are dropped to read the row exactly as
`{.*}` would have returned it (Neo4j stores no null property). The timestamps, needed to build an
object but fetched only when selected, are None when not fetched: nothing reads them then.
"""

from __future__ import annotations

from typing import Any

from sfm_graphql.db.plan import Page
from sfm_graphql.db.shape import ComponentShape, DeliveryShape
from sfm_graphql.domain.models import from_properties
from sfm_graphql.graphql.core.cursors import encode_cursor
from sfm_graphql.graphql.graph.types import (
    Component,
    ComponentConnection,
    ComponentEdge,
    Delivery,
    DeliveryConnection,
    DeliveryEdge,
    PageInfo,
    component_from_props,
    delivery_from_props,
)

_FETCHED_WHEN_SELECTED = ("createdAt", "updatedAt")


def _properties(stored: dict[str, Any]) -> dict[str, Any]:
    props = from_properties({k: v for k, v in stored.items() if v is not None})
    for name in _FETCHED_WHEN_SELECTED:
        props.setdefault(name, None)
    return props


def component(item: dict[str, Any], shape: ComponentShape) -> Component:
    props = _properties(item)
    prefetched: dict[str, Any] = {}
    for response_key, conn in shape.connections.items():
        rows = props.pop(conn.key, None) or []
        total = None if conn.total_key is None else props.pop(conn.total_key, None)
        prefetched[response_key] = delivery_connection(
            rows, conn.plan.page, conn.delivery, total, cursors=conn.plan.cursors
        )
    return component_from_props(props, prefetched)


def delivery(row: dict[str, Any], shape: DeliveryShape | None) -> Delivery:
    prefetched: dict[str, Any] = {}
    if shape is not None and shape.source is not None and "s" in row:
        prefetched["source"] = component(row["s"], shape.source)
    if shape is not None and shape.target is not None and "t" in row:
        prefetched["target"] = component(row["t"], shape.target)
    return delivery_from_props(_properties(row["d"]), row["sid"], row["tid"], prefetched)


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
    rows: list[dict[str, Any]],
    page: Page,
    shape: DeliveryShape | None,
    total: int | None,
    *,
    cursors: bool = True,
) -> DeliveryConnection:
    """`cursors`: whether the selection reads a cursor (else the rows lack the sort key)."""
    rows, has_next, has_previous = _window(rows, page)
    edges = [DeliveryEdge(node=delivery(r, shape), sort=page.sort, item=r["d"]) for r in rows]
    page_info = _page_info(page.sort, [r["d"] for r in rows], has_next, has_previous, cursors)
    return DeliveryConnection(edges=edges, page_info=page_info, total=total)


def component_connection(
    items: list[dict[str, Any]], page: Page, shape: ComponentShape, total: int | None
) -> ComponentConnection:
    items, has_next, has_previous = _window(items, page)
    edges = [ComponentEdge(node=component(i, shape), sort=page.sort, item=i) for i in items]
    page_info = _page_info(page.sort, items, has_next, has_previous, True)
    return ComponentConnection(edges=edges, page_info=page_info, total=total)


def _page_info(
    sort: str, items: list[dict[str, Any]], has_next: bool, has_previous: bool, cursors: bool
) -> PageInfo:
    # Edge cursors are made when read (types/graph.py); the page's two are made here, when
    # the selection reads a cursor at all (the planner knows, ConnectionPlan.cursors).
    return PageInfo(
        has_next_page=has_next,
        has_previous_page=has_previous,
        start_cursor=encode_cursor(sort, items[0]) if cursors and items else None,
        end_cursor=encode_cursor(sort, items[-1]) if cursors and items else None,
    )
