"""Static limits are computed with fragments expanded, so moving fields into fragments dodges nothing."""

from __future__ import annotations

import pytest
from graphql import parse
from graphql.execution.values import VariableValues

from sfm_graphql.graphql.analysis import (
    MUTATION_WEIGHT,
    Analysis,
    CostModel,
    analyze,
    coerce_variables,
    select_operation,
)
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
