"""Plans to Cypher: each fragment comes from this module and every value travels as a parameter.

Labels come from `ComponentType.label`, sort keys from the sort enums, depths are validated
integers; no user string is ever placed in the query text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sfm_graphql.db.plan import (
    ComponentFilter,
    ComponentPlan,
    ConnectionPlan,
    DeliveryFilter,
    DeliveryPlan,
    DirectionName,
    Page,
)
from sfm_graphql.domain.enums import (
    COMPONENT_LABEL,
    ComponentSortField,
    ComponentType,
    DeliverySortField,
)

_SORT_KEYS = {f.value for f in ComponentSortField} | {f.value for f in DeliverySortField}


@dataclass(frozen=True, slots=True)
class ComposedQuery:
    name: str
    text: str
    params: dict[str, Any]


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

    def component_map(self, var: str, plan: ComponentPlan | None) -> str:
        parts = [".*", f"__labels: labels({var})"]
        for conn in plan.connections.values() if plan else ():
            conn.key = self.var("c")
            parts.append(f"{conn.key}: {self.connection(var, conn)}")
            if conn.total:
                parts.append(f"{conn.key}_total: {self.connection_count(var, conn)}")
        return f"{var} {{{', '.join(parts)}}}"

    def delivery_map(self, d: str, s: str, t: str, plan: DeliveryPlan) -> str:
        parts = [f"d: {d} {{.*}}", f"sid: {s}.id", f"tid: {t}.id"]
        if plan.source is not None:
            parts.append(f"s: {self.component_map(s, plan.source)}")
        if plan.target is not None:
            parts.append(f"t: {self.component_map(t, plan.target)}")
        return "{" + ", ".join(parts) + "}"

    def _pattern(self, parent: str, d: str, other: str, direction: DirectionName) -> str:
        if direction == "OUTGOING":
            return f"({parent})-[{d}:DELIVERS]->({other}:{COMPONENT_LABEL})"
        return f"({parent})<-[{d}:DELIVERS]-({other}:{COMPONENT_LABEL})"

    def connection(self, parent: str, conn: ConnectionPlan) -> str:
        d, other = self.var("d"), self.var("o")
        conditions = self.delivery_where(d, conn.filter)
        keyset = self.keyset(d, conn.page)
        if keyset:
            conditions.append(keyset)
        source, target = (parent, other) if conn.direction == "OUTGOING" else (other, parent)
        return (
            f"COLLECT {{ MATCH {self._pattern(parent, d, other, conn.direction)}"
            f"{self.where(conditions)} WITH {parent}, {d}, {other}"
            f" ORDER BY {self.order_by(d, conn.page)} LIMIT {self.param(conn.page.size + 1)}"
            f" RETURN {self.delivery_map(d, source, target, conn.delivery)} }}"
        )

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


# -- root statements ---------------------------------------------------------------------------


def components_page(
    plan: ComponentPlan, f: ComponentFilter, page: Page, *, total: bool
) -> ComposedQuery:
    q = Composer()
    conditions = q.component_where("n", f)
    count = (
        f"CALL {{ MATCH (n:{COMPONENT_LABEL}){q.where(conditions)} RETURN count(n) AS total }} "
        if total
        else ""
    )
    keyset = q.keyset("n", page)
    page_conditions = [*conditions, keyset] if keyset else conditions
    text = (
        f"{count}CALL {{ MATCH (n:{COMPONENT_LABEL}){q.where(page_conditions)}"
        f" WITH n ORDER BY {q.order_by('n', page)} LIMIT {q.param(page.size + 1)}"
        f" RETURN collect({q.component_map('n', plan)}) AS items }}"
        f" RETURN items, {'total' if total else 'null AS total'}"
    )
    return ComposedQuery("compose/components_page", text, q.params)


def components_by_ids(plan: ComponentPlan, ids: list[str]) -> ComposedQuery:
    q = Composer()
    text = (
        f"UNWIND {q.param(ids)} AS wanted MATCH (n:{COMPONENT_LABEL} {{id: wanted}})"
        f" RETURN {q.component_map('n', plan)} AS item"
    )
    return ComposedQuery("compose/components_by_ids", text, q.params)


def deliveries_page(
    plan: DeliveryPlan, f: DeliveryFilter, page: Page, *, total: bool
) -> ComposedQuery:
    q = Composer()
    pattern = f"(s:{COMPONENT_LABEL})-[d:DELIVERS]->(t:{COMPONENT_LABEL})"
    conditions = q.delivery_where("d", f)
    count = (
        f"CALL {{ MATCH {pattern}{q.where(conditions)} RETURN count(d) AS total }} "
        if total
        else ""
    )
    keyset = q.keyset("d", page)
    page_conditions = [*conditions, keyset] if keyset else conditions
    text = (
        f"{count}CALL {{ MATCH {pattern}{q.where(page_conditions)}"
        f" WITH s, d, t ORDER BY {q.order_by('d', page)} LIMIT {q.param(page.size + 1)}"
        f" RETURN collect({q.delivery_map('d', 's', 't', plan)}) AS items }}"
        f" RETURN items, {'total' if total else 'null AS total'}"
    )
    return ComposedQuery("compose/deliveries_page", text, q.params)


def deliveries_by_ids(plan: DeliveryPlan, ids: list[str]) -> ComposedQuery:
    q = Composer()
    text = (
        f"UNWIND {q.param(ids)} AS wanted"
        f" MATCH (s:{COMPONENT_LABEL})-[d:DELIVERS {{id: wanted}}]->(t:{COMPONENT_LABEL})"
        f" RETURN {q.delivery_map('d', 's', 't', plan)} AS item"
    )
    return ComposedQuery("compose/deliveries_by_ids", text, q.params)


def search(
    plan: ComponentPlan, lucene_query: str, types: tuple[ComponentType, ...], limit: int
) -> ComposedQuery:
    q = Composer()
    type_filter = f" WHERE n:{type_labels(types)}" if types else ""
    text = (
        f"CALL db.index.fulltext.queryNodes('component_text', {q.param(lucene_query)})"
        f" YIELD node AS n, score{type_filter}"
        f" WITH n, score ORDER BY score DESC, n.id LIMIT {q.param(limit)}"
        f" RETURN score, {q.component_map('n', plan)} AS item"
    )
    return ComposedQuery("compose/search", text, q.params)


def neighborhood(
    *,
    center_plan: ComponentPlan | None,
    component_plan: ComponentPlan | None,
    delivery_plan: DeliveryPlan | None,
    center_id: str,
    depth: int,
    direction: DirectionName,
    f: DeliveryFilter,
    max_nodes: int,
) -> ComposedQuery:
    """Components within `depth` hops (shortest-path distance) and the deliveries among them.

    `ANY SHORTEST` keeps one shortest path per reached component, so the traversal is a
    breadth-first search rather than an enumeration of every path.
    """
    if not 1 <= depth <= 10:
        raise ValueError("depth out of range")
    q = Composer()
    hop_where = q.where(q.delivery_where("r", f))
    left, right = {"OUTGOING": ("-", "->"), "INCOMING": ("<-", "-"), "BOTH": ("-", "-")}[direction]
    max_param = q.param(max_nodes)
    edge_where = "".join(f" AND {cond}" for cond in q.delivery_where("e", f))
    deliveries = "[] AS deliveries"
    delivery_call = ""
    if delivery_plan is not None:
        delivery_call = (
            " CALL (members) { UNWIND members AS a MATCH (a)-[e:DELIVERS]->(b)"
            f" WHERE b IN members{edge_where} WITH a, e, b ORDER BY e.id"
            f" RETURN collect({q.delivery_map('e', 'a', 'b', delivery_plan)}) AS deliveries }}"
        )
        deliveries = "deliveries"
    text = (
        f"MATCH (c:{COMPONENT_LABEL} {{id: {q.param(center_id)}}})"
        f" CALL (c) {{ MATCH p = ANY SHORTEST (c)(()"
        f"{left}[r:DELIVERS{hop_where}]{right}()){{1,{int(depth)}}}(x:{COMPONENT_LABEL})"
        f" WHERE x <> c WITH x, min(length(p)) AS hops ORDER BY hops, x.id"
        f" LIMIT {max_param} + 1 RETURN collect({{hops: hops, x: x}}) AS reached }}"
        f" WITH c, reached[0..{max_param}] AS found, size(reached) > {max_param} AS truncated"
        f" WITH c, found, truncated, [c] + [f IN found | f.x] AS members"
        f" CALL (found) {{ UNWIND found AS f WITH f.hops AS hops, f.x AS x"
        f" RETURN collect({{hops: hops, item: {q.component_map('x', component_plan)}}})"
        " AS components }"
        f"{delivery_call}"
        f" RETURN {q.component_map('c', center_plan)} AS center, components, {deliveries},"
        " truncated"
    )
    return ComposedQuery("compose/neighborhood", text, q.params)
