"""Relay connections with keyset cursors."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from sfm_graphql.errors import SfmError

if TYPE_CHECKING:
    from sfm_graphql.graphql.types.components import Component
    from sfm_graphql.graphql.types.deliveries import Delivery


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


def _total(value: int | None) -> int:
    if value is None:  # the planner counts whenever totalCount is selected
        raise SfmError("totalCount was not computed")
    return value


@strawberry.type
class ComponentEdge:
    cursor: str
    node: Annotated[Component, strawberry.lazy("sfm_graphql.graphql.types.components")]


@strawberry.type
class ComponentConnection:
    edges: list[ComponentEdge]
    page_info: PageInfo
    total: strawberry.Private[int | None]

    @strawberry.field(description="Number of items matching the filter (counted only when asked).")
    def total_count(self) -> int:
        return _total(self.total)


@strawberry.type
class DeliveryEdge:
    cursor: str
    node: Annotated[Delivery, strawberry.lazy("sfm_graphql.graphql.types.deliveries")]


@strawberry.type
class DeliveryConnection:
    edges: list[DeliveryEdge]
    page_info: PageInfo
    total: strawberry.Private[int | None]

    @strawberry.field(description="Number of items matching the filter (counted only when asked).")
    def total_count(self) -> int:
        return _total(self.total)
