"""GraphQL arguments to plan values, validated; the one place both root and nested fields use."""

from __future__ import annotations

from typing import Any

from sfm_graphql.db import plan
from sfm_graphql.domain.enums import SortDirection
from sfm_graphql.errors import BadUserInput
from sfm_graphql.graphql.core.cursors import make_page
from sfm_graphql.graphql.core.ids import COMPONENT_TYPE_NAMES, expect_global_id
from sfm_graphql.graphql.core.inputs import (
    ComponentFilter,
    ComponentOrder,
    DeliveryFilter,
    DeliveryOrder,
)
from sfm_graphql.settings import Settings

MAX_FILTER_TEXT = 200
MAX_FILTER_LIST = 100


def _text(value: str | None, field: str) -> str | None:
    if value is not None and len(value) > MAX_FILTER_TEXT:
        raise BadUserInput(f"{field} must be at most {MAX_FILTER_TEXT} characters", field=field)
    return value


def _list(values: list[Any] | None, field: str) -> tuple[Any, ...]:
    if values is not None and len(values) > MAX_FILTER_LIST:
        raise BadUserInput(f"{field} takes at most {MAX_FILTER_LIST} values", field=field)
    return tuple(dict.fromkeys(values or ()))


def delivery_filter(f: DeliveryFilter | None) -> plan.DeliveryFilter:
    if f is None:
        return plan.DeliveryFilter()
    return plan.DeliveryFilter(
        kinds=_list(f.kinds, "filter.kinds"),
        delivery_types=tuple(t.value for t in _list(f.delivery_types, "filter.deliveryTypes")),
        scenario=_text(f.scenario, "filter.scenario"),
        time_slice=_text(f.time_slice, "filter.timeSlice"),
        spatial_unit=_text(f.spatial_unit, "filter.spatialUnit"),
        valid_at=f.valid_at,
        min_weight=f.min_weight,
        max_weight=f.max_weight,
        created_after=f.created_after,
        created_before=f.created_before,
        updated_after=f.updated_after,
        updated_before=f.updated_before,
        source_id=None
        if f.source is None
        else expect_global_id(f.source, COMPONENT_TYPE_NAMES, field="filter.source"),
        target_id=None
        if f.target is None
        else expect_global_id(f.target, COMPONENT_TYPE_NAMES, field="filter.target"),
    )


def component_filter(f: ComponentFilter | None) -> plan.ComponentFilter:
    if f is None:
        return plan.ComponentFilter()
    return plan.ComponentFilter(
        types=_list(f.types, "filter.types"),
        text=_text(f.text, "filter.text"),
        sector=_text(f.sector, "filter.sector"),
        layer=None if f.layer is None else f.layer.value,
        external_key=_text(f.external_key, "filter.externalKey"),
        deliveries=plan.DeliveryFilter(
            scenario=_text(f.scenario, "filter.scenario"),
            time_slice=_text(f.time_slice, "filter.timeSlice"),
            spatial_unit=_text(f.spatial_unit, "filter.spatialUnit"),
            valid_at=f.valid_at,
        ),
        created_after=f.created_after,
        created_before=f.created_before,
        updated_after=f.updated_after,
        updated_before=f.updated_before,
    )


def _page(
    settings: Settings, args: dict[str, Any], order: ComponentOrder | DeliveryOrder
) -> plan.Page:
    # The sort enums' values are the property names, so the order's field names the sort key.
    return make_page(
        first=args.get("first"),
        after=args.get("after"),
        last=args.get("last"),
        before=args.get("before"),
        sort=order.field.value,
        descending=order.direction == SortDirection.DESC,
        default_size=settings.default_page_size,
        max_size=settings.max_page_size,
    )


def forward_page(
    settings: Settings, *, first: int | None, after: str | None, sort: str, descending: bool
) -> plan.Page:
    """A page of a connection that only pages forward (`first`/`after`) in one fixed order."""
    return make_page(
        first=first,
        after=after,
        last=None,
        before=None,
        sort=sort,
        descending=descending,
        default_size=settings.default_page_size,
        max_size=settings.max_page_size,
    )


def component_page(settings: Settings, args: dict[str, Any]) -> plan.Page:
    return _page(settings, args, args.get("order_by") or ComponentOrder())


def delivery_page(settings: Settings, args: dict[str, Any]) -> plan.Page:
    return _page(settings, args, args.get("order_by") or DeliveryOrder())
