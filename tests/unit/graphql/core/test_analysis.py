"""Static limits are computed with fragments expanded, so moving fields into fragments dodges nothing."""

from __future__ import annotations

import pytest
from graphql import parse
from graphql.execution.values import VariableValues

from sfm_graphql.graphql.core.analysis import (
    MUTATION_WEIGHT,
    Analysis,
    CostModel,
    analyze,
    coerce_variables,
)
from sfm_graphql.graphql.core.walker import select_operation
from sfm_graphql.graphql.schema import build_schema

SCHEMA = build_schema()._schema


def _analyze(
    document: str, variables: dict | None = None, model: CostModel | None = None
) -> Analysis:
    parsed = parse(document)
    operation = select_operation(parsed, None)
    assert operation is not None
    coerced = coerce_variables(SCHEMA, operation, variables, hide_suggestions=True)
    assert isinstance(coerced, VariableValues), coerced
    return analyze(SCHEMA, parsed, operation, coerced, model=model or CostModel())


def test_aliases_inside_fragments_and_nested_fragments_are_counted() -> None:
    direct = _analyze("{ components { edges { node { a: label b: label c: label } } } }")
    through_fragments = _analyze(
        """
        fragment Inner on Component { b: label c: label }
        fragment Outer on Component { a: label ...Inner }
        { components { edges { node { ...Outer } } } }"""
    )
    assert direct.aliases == through_fragments.aliases == 3


def test_a_fragment_spread_twice_counts_twice() -> None:
    once = _analyze(
        "fragment F on Component { x: label } { components { edges { node { ...F } } } }"
    )
    twice = _analyze(
        "fragment F on Component { x: label } { components { edges { node { ...F ... on Actor { ...F } } } } }"
    )
    assert twice.aliases == 2 * once.aliases


def test_depth_counts_through_inline_fragments() -> None:
    shallow = _analyze("{ components { edges { node { label } } } }")
    deep = _analyze(
        "{ components { edges { node { ... on Policy { outgoing { edges { node { target { label } } } } } } } } }"
    )
    assert deep.depth > shallow.depth


def test_cost_multiplies_by_page_sizes_from_arguments_and_variables() -> None:
    small = _analyze(
        "{ components(first: 5) { edges { node { outgoing(first: 2) { edges { node { kind target { label } } } } } } } }"
    )
    big = _analyze(
        "query($n: Int) { components(first: $n) { edges { node { outgoing(first: 100) { edges { node { kind target { label } } } } } } } }",
        {"n": 100},
    )
    assert small.cost < 100
    assert big.cost > 10_000


def test_default_page_size_applies_without_first() -> None:
    implicit = _analyze(
        "{ components { edges { node { outgoing { edges { node { target { label } } } } } } } }"
    )
    explicit = _analyze(
        "{ components(first: 20) { edges { node { outgoing(first: 20) { edges { node { target { label } } } } } } } }"
    )
    assert implicit.cost == explicit.cost


def test_root_fields_count_aliased_copies() -> None:
    result = _analyze(
        "{ a: components { totalCount } b: components { totalCount } c: deliveryKinds { kind } }"
    )
    assert result.root_fields == 3
    assert result.aliases == 3


@pytest.mark.parametrize("ids", [1, 50])
def test_nodes_cost_grows_with_the_ids(ids: int) -> None:
    result = _analyze(
        "query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Component { label } } }",
        {"ids": ["x"] * ids},
    )
    assert result.cost >= ids


def test_mutations_carry_a_base_weight() -> None:
    mutation = _analyze('mutation { deleteDelivery(id: "x") { deletedId } }')
    assert mutation.cost >= MUTATION_WEIGHT


def test_variables_are_coerced_with_their_defaults_and_floats_read_as_ints() -> None:
    literal = _analyze("{ components(first: 100) { edges { node { id } } } }")
    defaulted = _analyze("query($n: Int = 100) { components(first: $n) { edges { node { id } } } }")
    as_float = _analyze(
        "query($n: Int) { components(first: $n) { edges { node { id } } } }", {"n": 100.0}
    )
    assert literal.cost == defaulted.cost == as_float.cost


def test_a_wrongly_typed_variable_is_reported_not_counted() -> None:
    parsed = parse("query($n: Int) { components(first: $n) { edges { node { id } } } }")
    operation = select_operation(parsed, None)
    assert operation is not None
    errors = coerce_variables(SCHEMA, operation, {"n": "many"}, hide_suggestions=True)
    assert isinstance(errors, list)
    assert errors[0].message.startswith("Variable '$n'")


def test_page_info_and_counts_are_paid_once_per_connection() -> None:
    small = _analyze("{ components(first: 1) { totalCount pageInfo { hasNextPage } } }")
    large = _analyze("{ components(first: 100) { totalCount pageInfo { hasNextPage } } }")
    assert small.cost == large.cost


def test_matrix_deliveries_share_one_bound_per_matrix() -> None:
    model = CostModel(matrix_components=10, matrix_deliveries=50)
    one = _analyze(
        'query { matrix(id: "x") { rows { cells { deliveries { kind } } } } }', model=model
    )
    # The matrix; 10 rows of 10 cells each (1 point, plus the deliveries field); 50 deliveries
    # shared among the 100 cells: one each.
    assert one.cost == 1 + (1 + 10 * (1 + 1 + 10 * (1 + 1 + 1 * 1)))
    two = _analyze(
        "query($ids: [ID!]!) { nodes(ids: $ids) { ... on Matrix { cells(nonEmptyOnly: false) "
        "{ deliveries { kind } } } } }",
        {"ids": ["a", "b"]},
        model=model,
    )
    # Each matrix of the two has its own bound: 100 cells and 50 deliveries, twice.
    assert two.cost == 1 + 2 * (1 + 1 + 100 * (1 + 1 + 1 * 1))


def test_sizes_past_the_maximum_count_as_the_maximum_the_server_allows() -> None:
    model = CostModel(max_page_size=100)
    over = _analyze("{ components(first: 5000) { edges { node { id } } } }", model=model)
    at = _analyze("{ components(first: 100) { edges { node { id } } } }", model=model)
    assert over.cost == at.cost


def test_exports_are_counted_through_aliases_and_fragments() -> None:
    result = _analyze(
        "fragment E on Query { exportGraph(format: JSON) { format } } "
        "{ ...E x: exportGraph(format: CSV) { format } }"
    )
    assert result.exports == 2
