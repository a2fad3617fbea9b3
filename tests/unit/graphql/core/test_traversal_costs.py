"""The cost of the traversal fields follows their own arguments, as execution coerces them."""

from __future__ import annotations

from graphql import parse
from graphql.execution.values import VariableValues

from sfm_graphql.graphql.core.analysis import CostModel, analyze, coerce_variables
from sfm_graphql.graphql.core.traversal_costs import DELIVERIES_PER_HOP
from sfm_graphql.graphql.core.walker import select_operation
from sfm_graphql.graphql.schema import build_schema

SCHEMA = build_schema()._schema
ID = '"QWN0b3I6MDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAw"'
PATHS = "paths(from: $a, to: $a, maxLength: $m, limit: $l) { paths { components { id } deliveries { id } } }"


def cost(document: str, variables: dict | None = None, model: CostModel | None = None) -> int:
    parsed = parse(document)
    operation = select_operation(parsed, None)
    assert operation is not None
    coerced = coerce_variables(SCHEMA, operation, variables, hide_suggestions=True)
    assert isinstance(coerced, VariableValues), coerced
    return analyze(SCHEMA, parsed, operation, coerced, model=model or CostModel()).cost


def paths_cost(limit: int, max_length: int) -> int:
    document = f"query($a: ID!, $m: Int!, $l: Int!) {{ {PATHS} }}"
    return cost(document, {"a": "x", "m": max_length, "l": limit})


def test_paths_cost_grows_with_limit_and_length_up_to_their_bounds() -> None:
    # Each object or list field costs one, and each listed object one more (graphql/core/analysis.py).
    per_path = 1 + (1 + 5 + 1) + (1 + 5 * DELIVERIES_PER_HOP)
    assert paths_cost(10, 5) == 200 + 1 + 10 * per_path
    assert paths_cost(20, 5) - paths_cost(10, 5) == 10 * per_path
    # Values over the bounds are refused when they run, so they cost the bound.
    assert paths_cost(10**6, 5) == paths_cost(1000, 5)
    assert paths_cost(10, 99) == paths_cost(10, 12)


def test_defaults_and_aliases_count_as_what_runs() -> None:
    defaulted = cost(
        "query($a: ID!) { paths(from: $a, to: $a, maxLength: 3) { paths { length } } }",
        {"a": "x"},
    )
    assert defaulted == 200 + 1 + 100  # limit defaults to 100
    one = "feedbackLoops(maxLength: 4) { loops { components { id } } }"
    assert cost(f"{{ a: {one} b: {one} }}") == 2 * cost(f"{{ {one} }}")
    in_fragment = f"fragment F on Query {{ a: {one} }} {{ ...F ...F }}"
    assert cost(in_fragment) == 2 * cost(f"{{ {one} }}")


def test_lists_the_service_sizes_cost_their_settings_bound() -> None:
    small = CostModel(analysis_results=10, analysis_path_length=3)
    reach = f"{{ reach(from: {ID}) {{ components {{ distance }} }} }}"
    assert cost(reach, model=small) == 100 + 1 + 10
    rounds = f"{{ simulateRemoval(ids: [{ID}], cascade: true) {{ rounds {{ failed {{ id }} }} }} }}"
    # All rounds together list at most `analysis_max_results` components.
    assert cost(rounds, model=small) == 200 + 1 + 10 * (1 + 1 + 1)
    shortest = f"{{ shortestPath(from: {ID}, to: {ID}) {{ components {{ id }} }} }}"
    assert cost(shortest, model=small) == 100 + 1 + 3 + 1
