"""The scope of an analysis: validation and canonical parameters."""

from __future__ import annotations

import pytest

from sfm_graphql.domain.enums import ComponentType
from sfm_graphql.domain.kinds import DeliveryKind
from sfm_graphql.errors import BadUserInput
from sfm_graphql.services.analytics.scope import Scope


def test_empty_scope_means_everything() -> None:
    assert Scope.of().params() == {"scenario": None, "kinds": [], "timeSlice": None, "labels": []}


def test_scope_is_canonical_whatever_the_order_and_duplicates() -> None:
    kinds = list(DeliveryKind)[:3]
    a = Scope.of(kinds=kinds, types=[ComponentType.POLICY, ComponentType.ACTOR])
    b = Scope.of(
        kinds=[*reversed(kinds), kinds[0]],
        types=[ComponentType.ACTOR, ComponentType.POLICY, ComponentType.ACTOR],
    )
    assert a == b
    assert a.key() == b.key()
    assert a.params()["labels"] == ["Actor", "Policy"]


@pytest.mark.parametrize(("scenario", "time_slice"), [("", None), ("x" * 65, None), (None, "-a")])
def test_bad_dimensions_are_refused_naming_the_field(
    scenario: str | None, time_slice: str | None
) -> None:
    with pytest.raises(BadUserInput) as raised:
        Scope.of(scenario=scenario, time_slice=time_slice)
    assert raised.value.details["field"] == ("scenario" if scenario is not None else "timeSlice")
