"""A node's labels name its component type; a node that has none was deleted meanwhile."""

import pytest

from sfm_graphql.domain.enums import ComponentType
from sfm_graphql.errors import Conflict, ErrorCode


def test_the_type_label_among_the_labels_names_the_type() -> None:
    assert ComponentType.from_labels(["Component", "BeliefSystem"]) is ComponentType.BELIEF_SYSTEM


def test_a_node_deleted_while_it_was_read_is_a_conflict_to_read_again() -> None:
    # Neo4j reads committed data: a node deleted by a transaction that committed while the
    # reading one ran comes back with no labels and no properties.
    with pytest.raises(Conflict) as refused:
        ComponentType.from_labels([])
    assert refused.value.code is ErrorCode.CONFLICT
    assert "read again" in refused.value.message


def test_labels_without_a_type_are_a_bug_not_a_conflict() -> None:
    with pytest.raises(ValueError, match="carry no component type"):
        ComponentType.from_labels(["Component"])
