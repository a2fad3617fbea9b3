"""The demo file through the bulk import's validation: it must import into an empty graph."""

from __future__ import annotations

from sfm_graphql.demo.loader import read_demo
from sfm_graphql.services.bulk_plan import plan_import


def test_demo_deliveries_name_their_endpoints_as_source_and_target_keys() -> None:
    demo = read_demo()

    assert all("source" not in d and "target" not in d for d in demo.deliveries)
    assert all(d["sourceKey"] and d["targetKey"] for d in demo.deliveries)
    assert len(demo.matrices) == 2  # left for the matrices step


def test_the_demo_imports_into_an_empty_graph_without_a_single_problem() -> None:
    demo = read_demo()

    plan = plan_import(demo.components, demo.deliveries, stored_components={}, stored_deliveries={})

    assert plan.errors == []
    assert plan.components.created == len(demo.components)
    assert plan.deliveries.created == len(demo.deliveries)
