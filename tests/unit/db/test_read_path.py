"""The read path: immutable plans, statements that carry their result shape, hydration by shape,
and reads that reach the database only through the read service."""

import dataclasses
import re
from pathlib import Path

import pytest

import sfm_graphql
from sfm_graphql.db import compose_graph, compose_matrix
from sfm_graphql.db.plan import (
    ComponentFilter,
    ComponentPlan,
    ConnectionPlan,
    DeliveryFilter,
    DeliveryPlan,
    Page,
)
from sfm_graphql.graphql.graph import hydrate
from sfm_graphql.graphql.graph.types import DeliveryConnection
from sfm_graphql.graphql.matrices.resolvers import position_shapes


def _outgoing(target: ComponentPlan | None = None, total: bool = False) -> ConnectionPlan:
    return ConnectionPlan(
        direction="OUTGOING",
        page=Page(size=2),
        filter=DeliveryFilter(),
        total=total,
        delivery=DeliveryPlan(target=target),
    )


def test_plans_cannot_be_changed_after_they_are_made() -> None:
    plan = ComponentPlan(connections={"outgoing": _outgoing()})
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.fields = frozenset({"label"})  # type: ignore[misc]  # frozen: the point of the test
    with pytest.raises(TypeError):
        plan.connections["incoming"] = _outgoing()  # type: ignore[index]  # read-only mapping
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.connections["outgoing"].total = True  # type: ignore[misc]  # frozen, as above


def test_a_plan_passed_in_as_a_dict_is_not_changed_through_that_dict() -> None:
    given = {"outgoing": _outgoing()}
    plan = ComponentPlan(connections=given)
    given["incoming"] = _outgoing()
    assert list(plan.connections) == ["outgoing"]


def test_the_shape_names_the_map_key_of_each_planned_connection() -> None:
    inner = ComponentPlan(connections={"incoming": _outgoing()})
    plan = ComponentPlan(connections={"out": _outgoing(target=inner, total=True)})
    q = compose_graph.components_page(plan, ComponentFilter(), Page(size=3), total=False)
    out = q.shape.connections["out"]
    assert out.plan is plan.connections["out"]
    assert f"{out.key}: COLLECT {{" in q.text
    assert out.total_key is not None and f"{out.total_key}: COUNT {{" in q.text
    assert out.delivery.source is None and out.delivery.target is not None
    nested = out.delivery.target.connections["incoming"]
    assert f"{nested.key}: COLLECT {{" in q.text and nested.key != out.key
    assert nested.total_key is None


def test_one_plan_composed_twice_gives_two_shapes_and_stays_as_it_was() -> None:
    shared = _outgoing(target=ComponentPlan())
    plan = ComponentPlan(connections={"a": shared, "b": shared})
    before = dataclasses.replace(plan)
    first = compose_graph.components_by_ids(plan, ["x"])
    second = compose_graph.components_page(plan, ComponentFilter(), Page(size=1), total=False)
    assert plan == before
    keys = {first.shape.connections[k].key for k in "ab"}
    assert len(keys) == 2
    assert first.shape.connections["a"].plan is second.shape.connections["a"].plan is shared


def _actor(**extra: object) -> dict[str, object]:
    return {"id": "a1", "label": "A", "version": 1, "__labels": ["Component", "Actor"], **extra}


def test_hydration_reads_connections_where_the_shape_says() -> None:
    plan = ComponentPlan(connections={"out": _outgoing(target=ComponentPlan())})
    shape = compose_graph.components_by_ids(plan, ["a1"]).shape
    key = shape.connections["out"].key
    delivery = {
        "d": {"id": "d1", "kind": "FUNDS", "version": 3},
        "sid": "a1",
        "tid": "b1",
        "t": {"id": "b1", "label": "B", "version": 1, "__labels": ["Component", "Policy"]},
    }
    component = hydrate.component(_actor(**{key: [delivery]}), shape)
    connection = component.prefetched["out"]
    assert isinstance(connection, DeliveryConnection)
    [edge] = connection.edges
    assert edge.node.uuid == "d1"
    assert edge.node.prefetched["target"].label == "B"
    assert connection.page_info.has_next_page is False


def test_a_property_the_item_lacks_reads_as_absent_so_defaults_apply() -> None:
    # An explicit projection returns null for a property the node does not have; `{.*}` left it
    # out. Hydration reads both the same way, so the model's defaults still apply.
    shape = compose_graph.components_by_ids(ComponentPlan(), ["a1"]).shape
    component = hydrate.component(_actor(certainty=None, metadataJson=None), shape)
    assert component.certainty == 1.0
    assert component.stored_metadata is None


def test_no_module_outside_services_and_db_runs_composed_statements() -> None:
    package = Path(sfm_graphql.__file__).parent
    callers = sorted(
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if re.search(r"\brun_composed\b", path.read_text())
        and path.relative_to(package).parts[0] not in {"services", "db"}
    )
    assert callers == []


def test_each_matrix_position_gets_back_its_own_connections_from_the_members_shape() -> None:
    shared = _outgoing()
    members = ComponentPlan(connections={"components:outgoing": shared, "cells.source:out": shared})
    q = compose_matrix.matrices_by_ids(
        compose_matrix.MatrixProjection(members=members), ["m"], max_deliveries=10
    )
    positions = position_shapes(q.shape)
    assert set(positions) == {("components",), ("cells", "source")}
    assert list(positions[("components",)].connections) == ["outgoing"]
    assert list(positions[("cells", "source")].connections) == ["out"]
    keys = {positions[("components",)].connections["outgoing"].key}
    keys.add(positions[("cells", "source")].connections["out"].key)
    assert len(keys) == 2 and all(f"{k}: COLLECT {{" in q.text for k in keys)
