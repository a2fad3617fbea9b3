"""Plans to Cypher: each fragment comes from this module and every value travels as a parameter.

Labels come from `ComponentType.label`, sort keys from the sort enums, property names from the
domain models (`plan.COMPONENT_PROPERTIES`), depths are validated integers; no user string is ever
placed in the query text. Each statement returns the properties its plan names plus what
hydration needs, and comes with the shape of its rows (`db/shape.py`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sfm_graphql.db.plan import (
    COMPONENT_PROPERTIES,
    DELIVERY_PROPERTIES,
    ComponentFilter,
    ComponentPlan,
    ConnectionPlan,
    DeliveryFilter,
    DeliveryPlan,
    DirectionName,
    Page,
)
from sfm_graphql.db.shape import (
    NO_CONNECTIONS,
    ComponentShape,
    ConnectionShape,
    DeliveryShape,
)
from sfm_graphql.domain.enums import (
    COMPONENT_LABEL,
    ComponentSortField,
    ComponentType,
    DeliverySortField,
)
from sfm_graphql.domain.models import JSON_PROPERTIES

_SORT_KEYS = {f.value for f in ComponentSortField} | {f.value for f in DeliverySortField}
# Always returned, whatever the selection: what hydration builds every object from.
COMPONENT_HYDRATION = ("id", "label", "version")
DELIVERY_HYDRATION = ("id", "kind", "version")

S = TypeVar("S")


@dataclass(frozen=True, slots=True)
class ComposedQuery(Generic[S]):
    """One statement, its parameters and the shape of its rows (what hydration walks)."""

    name: str
    text: str
    params: dict[str, Any]
    shape: S


def type_labels(types: tuple[ComponentType, ...]) -> str:
    """A label expression such as `Actor|Policy`, from enum members only."""
    return "|".join(t.label for t in types)


class Composer:
    def __init__(self) -> None:
        self.params: dict[str, Any] = {}
        self._vars = 0

    def param(self, value: Any) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f"${name}"

    def var(self, prefix: str) -> str:
        self._vars += 1
        return f"{prefix}{self._vars}"

    # -- projections -------------------------------------------------------------------------

    @staticmethod
    def properties(
        fields: frozenset[str] | None,
        always: Iterable[str],
        known: frozenset[str],
    ) -> list[str]:
        """Map-projection entries for `fields` plus `always` (stored names); None means all."""
        if fields is None:
            return [".*"]
        names = {*fields, *always}
        unknown = names - known
        if unknown:
            raise ValueError(f"unknown properties {sorted(unknown)!r}")
        return [f".{JSON_PROPERTIES.get(n, n)}" for n in sorted(names)]

    def component_map(
        self, var: str, plan: ComponentPlan | None, sort: str | None = None
    ) -> tuple[str, ComponentShape]:
        """The map of one component (and its nested connections); `sort` is the page's key."""
        if plan is None:
            return f"{var} {{.*, __labels: labels({var})}}", NO_CONNECTIONS
        always = COMPONENT_HYDRATION if sort is None else (*COMPONENT_HYDRATION, sort)
        parts = [*self.properties(plan.fields, always, COMPONENT_PROPERTIES)]
        parts.append(f"__labels: labels({var})")
        shapes: dict[str, ConnectionShape] = {}
        for response_key, conn in plan.connections.items():
            key = self.var("c")
            text, delivery = self.connection(var, conn)
            parts.append(f"{key}: {text}")
            total_key = None
            if conn.total:
                total_key = f"{key}_total"
                parts.append(f"{total_key}: {self.connection_count(var, conn)}")
            shapes[response_key] = ConnectionShape(conn, key, total_key, delivery)
        return f"{var} {{{', '.join(parts)}}}", ComponentShape(shapes)

    def delivery_map(
        self, d: str, s: str, t: str, plan: DeliveryPlan | None, sort: str | None = None
    ) -> tuple[str, DeliveryShape]:
        """The map of one delivery: `d` its properties, `sid`/`tid`, `s`/`t` when planned."""
        fields = None if plan is None else plan.fields
        always = DELIVERY_HYDRATION if sort is None else (*DELIVERY_HYDRATION, sort)
        props = ", ".join(self.properties(fields, always, DELIVERY_PROPERTIES))
        parts = [f"d: {d} {{{props}}}", f"sid: {s}.id", f"tid: {t}.id"]
        source = target = None
        if plan is not None and plan.source is not None:
            text, source = self.component_map(s, plan.source)
            parts.append(f"s: {text}")
        if plan is not None and plan.target is not None:
            text, target = self.component_map(t, plan.target)
            parts.append(f"t: {text}")
        return "{" + ", ".join(parts) + "}", DeliveryShape(source, target)

    def _pattern(self, parent: str, d: str, other: str, direction: DirectionName) -> str:
        if direction == "OUTGOING":
            return f"({parent})-[{d}:DELIVERS]->({other}:{COMPONENT_LABEL})"
        return f"({parent})<-[{d}:DELIVERS]-({other}:{COMPONENT_LABEL})"

    def connection(self, parent: str, conn: ConnectionPlan) -> tuple[str, DeliveryShape]:
        d, other = self.var("d"), self.var("o")
        conditions = self.delivery_where(d, conn.filter)
        keyset = self.keyset(d, conn.page)
        if keyset:
            conditions.append(keyset)
        source, target = (parent, other) if conn.direction == "OUTGOING" else (other, parent)
        head = (
            f"COLLECT {{ MATCH {self._pattern(parent, d, other, conn.direction)}"
            f"{self.where(conditions)} WITH {parent}, {d}, {other}"
            f" ORDER BY {self.order_by(d, conn.page)} LIMIT {self.param(conn.page.size + 1)}"
        )
        # The sort key orders the page in Cypher; it is returned only to build cursors.
        sort = conn.page.sort if conn.cursors else None
        item, shape = self.delivery_map(d, source, target, conn.delivery, sort)
        return f"{head} RETURN {item} }}", shape

    def connection_count(self, parent: str, conn: ConnectionPlan) -> str:
        d, other = self.var("d"), self.var("o")
        conditions = self.delivery_where(d, conn.filter)
        return (
            f"COUNT {{ MATCH {self._pattern(parent, d, other, conn.direction)}"
            f"{self.where(conditions)} }}"
        )

    # -- conditions ----------------------------------------------------------------------------

    @staticmethod
    def where(conditions: list[str]) -> str:
        return f" WHERE {' AND '.join(conditions)}" if conditions else ""

    def delivery_where(self, d: str, f: DeliveryFilter) -> list[str]:
        c: list[str] = []
        if f.kinds:
            c.append(f"{d}.kind IN {self.param([k.value for k in f.kinds])}")
        if f.delivery_types:
            c.append(f"{d}.deliveryType IN {self.param(list(f.delivery_types))}")
        for prop, value in (
            ("scenario", f.scenario),
            ("timeSlice", f.time_slice),
            ("spatialUnit", f.spatial_unit),
        ):
            if value is not None:
                c.append(f"{d}.{prop} = {self.param(value)}")
        if f.valid_at is not None:
            at = self.param(f.valid_at)
            c.append(
                f"({d}.validFrom IS NULL OR {d}.validFrom <= {at})"
                f" AND ({d}.validTo IS NULL OR {d}.validTo >= {at})"
            )
        if f.min_weight is not None:
            c.append(f"{d}.weight >= {self.param(f.min_weight)}")
        if f.max_weight is not None:
            c.append(f"{d}.weight <= {self.param(f.max_weight)}")
        c.extend(self._time_ranges(d, f))
        if f.source_id is not None:
            c.append(f"startNode({d}).id = {self.param(f.source_id)}")
        if f.target_id is not None:
            c.append(f"endNode({d}).id = {self.param(f.target_id)}")
        return c

    def component_where(self, n: str, f: ComponentFilter) -> list[str]:
        c: list[str] = []
        if f.types:
            c.append(f"{n}:{type_labels(f.types)}")
        if f.text:
            text = self.param(f.text.lower())
            c.append(
                f"(toLower({n}.label) CONTAINS {text}"
                f" OR toLower(coalesce({n}.description, '')) CONTAINS {text})"
            )
        for prop, value in (
            ("sector", f.sector),
            ("layer", f.layer),
            ("externalKey", f.external_key),
        ):
            if value is not None:
                c.append(f"{n}.{prop} = {self.param(value)}")
        if f.deliveries.has_dimensions or f.deliveries.kinds:
            d = self.var("d")
            inner = self.delivery_where(d, f.deliveries)
            c.append(f"EXISTS {{ MATCH ({n})-[{d}:DELIVERS]-(){self.where(inner)} }}")
        c.extend(self._time_ranges(n, f))
        return c

    def _time_ranges(self, var: str, f: DeliveryFilter | ComponentFilter) -> list[str]:
        c = []
        for prop, op, value in (
            ("createdAt", ">=", f.created_after),
            ("createdAt", "<", f.created_before),
            ("updatedAt", ">=", f.updated_after),
            ("updatedAt", "<", f.updated_before),
        ):
            if value is not None:
                c.append(f"{var}.{prop} {op} {self.param(value)}")
        return c

    # -- keyset pagination -----------------------------------------------------------------------

    @staticmethod
    def _descending(page: Page) -> bool:
        # Walking backwards reads the reverse order; the caller flips the rows back.
        return page.descending != page.backward

    def order_by(self, var: str, page: Page) -> str:
        if page.sort not in _SORT_KEYS:
            raise ValueError(f"unknown sort key {page.sort!r}")
        direction = " DESC" if self._descending(page) else ""
        if page.sort == "id":
            return f"{var}.id{direction}"
        return f"{var}.{page.sort}{direction}, {var}.id{direction}"

    def keyset(self, var: str, page: Page) -> str | None:
        if page.cursor is None:
            return None
        op = "<" if self._descending(page) else ">"
        cursor_id = self.param(page.cursor.id)
        if page.sort == "id":
            return f"{var}.id {op} {cursor_id}"
        value = self.param(page.cursor.value)
        # The leading range term lets the planner seek the sort index in order; the OR form
        # alone made it scan every entry past the cursor (measured in docs/benchmarks.md).
        return (
            f"{var}.{page.sort} {op}= {value}"
            f" AND ({var}.{page.sort} {op} {value} OR {var}.id {op} {cursor_id})"
        )
