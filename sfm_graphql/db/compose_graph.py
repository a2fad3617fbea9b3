"""The statements of the graph's root fields: component and delivery pages and lookups by id,
full-text search and the neighbourhood of a component, each one statement built by `Composer`.
"""

from __future__ import annotations

from sfm_graphql.db.compose import ComposedQuery, Composer, type_labels
from sfm_graphql.db.plan import (
    ComponentFilter,
    ComponentPlan,
    DeliveryFilter,
    DeliveryPlan,
    DirectionName,
    Page,
)
from sfm_graphql.db.shape import ComponentShape, DeliveryShape, NeighborhoodShape
from sfm_graphql.domain.enums import COMPONENT_LABEL, ComponentType


def _page(
    q: Composer,
    *,
    match: str,
    var: str,
    carried: str,
    conditions: list[str],
    page: Page,
    total: bool,
    item: str,
) -> str:
    """A keyset page of `item` maps over `match`, `page.size + 1` of them, counted if asked."""
    count = (
        f"CALL {{ MATCH {match}{q.where(conditions)} RETURN count({var}) AS total }} "
        if total
        else ""
    )
    keyset = q.keyset(var, page)
    page_conditions = [*conditions, keyset] if keyset else conditions
    return (
        f"{count}CALL {{ MATCH {match}{q.where(page_conditions)}"
        f" WITH {carried} ORDER BY {q.order_by(var, page)} LIMIT {q.param(page.size + 1)}"
        f" RETURN collect({item}) AS items }}"
        f" RETURN items, {'total' if total else 'null AS total'}"
    )


def components_page(
    plan: ComponentPlan, f: ComponentFilter, page: Page, *, total: bool
) -> ComposedQuery[ComponentShape]:
    q = Composer()
    conditions = q.component_where("n", f)
    item, shape = q.component_map("n", plan, page.sort)
    text = _page(
        q,
        match=f"(n:{COMPONENT_LABEL})",
        var="n",
        carried="n",
        conditions=conditions,
        page=page,
        total=total,
        item=item,
    )
    return ComposedQuery("compose/components_page", text, q.params, shape)


def components_by_ids(plan: ComponentPlan, ids: list[str]) -> ComposedQuery[ComponentShape]:
    q = Composer()
    wanted = q.param(ids)
    item, shape = q.component_map("n", plan)
    text = (
        f"UNWIND {wanted} AS wanted MATCH (n:{COMPONENT_LABEL} {{id: wanted}})"
        f" RETURN {item} AS item"
    )
    return ComposedQuery("compose/components_by_ids", text, q.params, shape)


def deliveries_page(
    plan: DeliveryPlan, f: DeliveryFilter, page: Page, *, total: bool
) -> ComposedQuery[DeliveryShape]:
    q = Composer()
    conditions = q.delivery_where("d", f)
    item, shape = q.delivery_map("d", "s", "t", plan, page.sort)
    text = _page(
        q,
        match=f"(s:{COMPONENT_LABEL})-[d:DELIVERS]->(t:{COMPONENT_LABEL})",
        var="d",
        carried="s, d, t",
        conditions=conditions,
        page=page,
        total=total,
        item=item,
    )
    return ComposedQuery("compose/deliveries_page", text, q.params, shape)


def deliveries_by_ids(plan: DeliveryPlan, ids: list[str]) -> ComposedQuery[DeliveryShape]:
    q = Composer()
    wanted = q.param(ids)
    item, shape = q.delivery_map("d", "s", "t", plan)
    text = (
        f"UNWIND {wanted} AS wanted"
        f" MATCH (s:{COMPONENT_LABEL})-[d:DELIVERS {{id: wanted}}]->(t:{COMPONENT_LABEL})"
        f" RETURN {item} AS item"
    )
    return ComposedQuery("compose/deliveries_by_ids", text, q.params, shape)


def search(
    plan: ComponentPlan, lucene_query: str, types: tuple[ComponentType, ...], limit: int
) -> ComposedQuery[ComponentShape]:
    q = Composer()
    type_filter = f" WHERE n:{type_labels(types)}" if types else ""
    head = (
        f"CALL db.index.fulltext.queryNodes('component_text', {q.param(lucene_query)})"
        f" YIELD node AS n, score{type_filter}"
        f" WITH n, score ORDER BY score DESC, n.id LIMIT {q.param(limit)}"
    )
    item, shape = q.component_map("n", plan)
    return ComposedQuery("compose/search", f"{head} RETURN score, {item} AS item", q.params, shape)


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
) -> ComposedQuery[NeighborhoodShape]:
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
    delivery_shape = None
    if delivery_plan is not None:
        delivery_map, delivery_shape = q.delivery_map("e", "a", "b", delivery_plan)
        delivery_call = (
            " CALL (members) { UNWIND members AS a MATCH (a)-[e:DELIVERS]->(b)"
            f" WHERE b IN members{edge_where} WITH a, e, b ORDER BY e.id"
            f" RETURN collect({delivery_map}) AS deliveries }}"
        )
        deliveries = "deliveries"
    member_map, member_shape = q.component_map("x", component_plan)
    center_map, center_shape = q.component_map("c", center_plan)
    text = (
        f"MATCH (c:{COMPONENT_LABEL} {{id: {q.param(center_id)}}})"
        f" CALL (c) {{ MATCH p = ANY SHORTEST (c)(()"
        f"{left}[r:DELIVERS{hop_where}]{right}()){{1,{int(depth)}}}(x:{COMPONENT_LABEL})"
        f" WHERE x <> c WITH x, min(length(p)) AS hops ORDER BY hops, x.id"
        f" LIMIT {max_param} + 1 RETURN collect({{hops: hops, x: x}}) AS reached }}"
        f" WITH c, reached[0..{max_param}] AS found, size(reached) > {max_param} AS truncated"
        f" WITH c, found, truncated, [c] + [f IN found | f.x] AS members"
        f" CALL (found) {{ UNWIND found AS f WITH f.hops AS hops, f.x AS x"
        f" RETURN collect({{hops: hops, item: {member_map}}}) AS components }}"
        f"{delivery_call}"
        f" RETURN {center_map} AS center, components, {deliveries}, truncated"
    )
    shape = NeighborhoodShape(center_shape, member_shape, delivery_shape)
    return ComposedQuery("compose/neighborhood", text, q.params, shape)
