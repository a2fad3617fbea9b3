"""Selection-driven statements for matrices and scenario comparisons, built like `compose`.

A matrix read is one statement: the matrix, its components in row order (with whatever nested
connections the selection asks of them) and every delivery among them in the matrix's scenario
and time slice. Values travel as parameters; the only text spliced in comes from `Composer`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sfm_graphql.db.compose import ComposedQuery, Composer
from sfm_graphql.db.plan import ComponentPlan, Cursor
from sfm_graphql.db.shape import ComparisonShape, ComponentShape
from sfm_graphql.domain.enums import COMPONENT_LABEL

MATRIX_LABEL = "Matrix"


@dataclass(frozen=True, slots=True)
class MatrixProjection:
    """What to fetch with each matrix: its members (with nested connections) and deliveries."""

    members: ComponentPlan | None = None
    deliveries: bool = False


def _matrix_calls(
    q: Composer, m: str, projection: MatrixProjection, max_deliveries: int
) -> tuple[str, ComponentShape | None]:
    """Subqueries binding `members` and `deliveries` for the matrix bound to `m`, and the
    shape of the members (None when they are not fetched)."""
    calls = []
    shape = None
    if projection.members is not None:
        n = q.var("n")
        member, shape = q.component_map(n, projection.members)
        calls.append(
            f"CALL ({m}) {{ MATCH ({m})-[i:INCLUDES]->({n}:{COMPONENT_LABEL})"
            f" WITH i, {n} ORDER BY i.position"
            f" RETURN collect({member}) AS members }}"
        )
    if projection.deliveries:
        # The target's membership is an EXISTS, not a second INCLUDES in the pattern: a pattern
        # may not use one relationship twice, which would drop deliveries from a component to
        # itself (the matrix diagonal).
        calls.append(
            f"CALL ({m}) {{ MATCH ({m})-[:INCLUDES]->(a:{COMPONENT_LABEL})"
            f"-[d:DELIVERS]->(b:{COMPONENT_LABEL})"
            f" WHERE EXISTS {{ ({m})-[:INCLUDES]->(b) }} AND d.scenario = {m}.scenario"
            f" AND ({m}.timeSlice IS NULL OR d.timeSlice = {m}.timeSlice)"
            f" WITH a, d, b ORDER BY d.createdAt, d.id LIMIT {q.param(max_deliveries + 1)}"
            f" RETURN collect({{d: d {{.*}}, sid: a.id, tid: b.id}}) AS deliveries }}"
        )
    members = "members" if projection.members is not None else "[] AS members"
    deliveries = "deliveries" if projection.deliveries else "[] AS deliveries"
    return " ".join([*calls, f"WITH {m}, {members}, {deliveries}"]), shape


def matrices_by_ids(
    projection: MatrixProjection, ids: list[str], *, max_deliveries: int
) -> ComposedQuery[ComponentShape | None]:
    q = Composer()
    wanted = q.param(ids)
    calls, shape = _matrix_calls(q, "m", projection, max_deliveries)
    text = (
        f"UNWIND {wanted} AS wanted MATCH (m:{MATRIX_LABEL} {{id: wanted}})"
        f" {calls} RETURN m {{.*}} AS matrix, members, deliveries"
    )
    return ComposedQuery("compose/matrices_by_ids", text, q.params, shape)


def matrices_page(
    projection: MatrixProjection,
    *,
    size: int,
    after: Cursor | None,
    total: bool,
    max_deliveries: int,
) -> ComposedQuery[ComponentShape | None]:
    """Matrices sorted by name then id, `size + 1` of them (the extra one says a page follows)."""
    q = Composer()
    keyset = ""
    if after is not None:
        name, after_id = q.param(after.value), q.param(after.id)
        keyset = f" WHERE m.name > {name} OR (m.name = {name} AND m.id > {after_id})"
    count = f"CALL () {{ MATCH (m:{MATRIX_LABEL}) RETURN count(m) AS total }} " if total else ""
    limit = q.param(size + 1)
    calls, shape = _matrix_calls(q, "m", projection, max_deliveries)
    text = (
        f"{count}CALL () {{ MATCH (m:{MATRIX_LABEL}){keyset}"
        f" WITH m ORDER BY m.name, m.id LIMIT {limit} {calls}"
        " RETURN collect({matrix: m {.*}, members: members, deliveries: deliveries}) AS items }"
        f" RETURN items, {'total' if total else 'null AS total'}"
    )
    return ComposedQuery("compose/matrices_page", text, q.params, shape)


def compare_scenarios(
    *,
    source_plan: ComponentPlan,
    target_plan: ComponentPlan,
    base: str,
    other: str,
    limit: int,
) -> ComposedQuery[ComparisonShape]:
    """Deliveries of two scenarios matched by (source, target, kind), grouped by outcome.

    Returns one row: whether each scenario is known (declared or used) and, per outcome
    (`onlyInBase`, `onlyInOther`, `changed`, `unchanged`), the number of matches and the first
    `limit` of them (none for `unchanged`), ordered by source label, target label and kind.
    """
    q = Composer()
    b, o = q.param(base), q.param(other)
    kept_limit = q.param(limit)
    source, source_shape = q.component_map("s", source_plan)
    target, target_shape = q.component_map("t", target_plan)
    known = (
        "EXISTS {{ MATCH (:Scenario {{name: {0}}}) }}"
        " OR EXISTS {{ MATCH ()-[x:DELIVERS]->() WHERE x.scenario = {0} }}"
    )
    text = (
        f"CALL () {{ MATCH (s:{COMPONENT_LABEL})-[d:DELIVERS]->(t:{COMPONENT_LABEL})"
        f" WHERE d.scenario IN [{b}, {o}]"
        " WITH s, t, d.kind AS kind, collect(d) AS ds"
        f" WITH s, t, kind, [x IN ds WHERE x.scenario = {b}] AS inBase,"
        f" [x IN ds WHERE x.scenario = {o}] AS inOther"
        " WITH s, t, kind, inBase, inOther,"
        " reduce(w = 0.0, x IN inBase | w + x.weight) AS baseWeight,"
        " reduce(w = 0.0, x IN inOther | w + x.weight) AS otherWeight"
        " WITH s, t, kind, inBase, inOther, baseWeight, otherWeight,"
        " CASE WHEN size(inOther) = 0 THEN 'onlyInBase' WHEN size(inBase) = 0 THEN 'onlyInOther'"
        " WHEN abs(baseWeight - otherWeight) > 1e-9 THEN 'changed' ELSE 'unchanged' END AS outcome"
        " ORDER BY s.label, t.label, kind, s.id, t.id"
        " WITH outcome, collect({s: s, t: t, kind: kind, inBase: inBase, inOther: inOther,"
        " baseWeight: baseWeight, otherWeight: otherWeight}) AS matches"
        " WITH outcome, size(matches) AS total,"
        f" CASE outcome WHEN 'unchanged' THEN [] ELSE matches[0..{kept_limit}] END AS kept"
        " CALL (kept) { UNWIND kept AS r WITH r, r.s AS s, r.t AS t"
        f" RETURN collect({{source: {source}, target: {target}, kind: r.kind,"
        " base: [x IN r.inBase | x {.*}], other: [x IN r.inOther | x {.*}],"
        " baseWeight: r.baseWeight, otherWeight: r.otherWeight}) AS rows }"
        " RETURN collect({outcome: outcome, total: total, rows: rows}) AS groups }"
        f" RETURN {known.format(b)} AS baseKnown, {known.format(o)} AS otherKnown, groups"
    )
    shape = ComparisonShape(source_shape, target_shape)
    return ComposedQuery("compose/compare_scenarios", text, q.params, shape)
