"""Cache keys of the analyses: what changes an answer changes the key, nothing else does."""

from __future__ import annotations

import pytest

from sfm_graphql.domain.enums import ComponentType, Direction
from sfm_graphql.domain.kinds import DeliveryKind
from sfm_graphql.services.analytics.cache import cache_key
from sfm_graphql.services.analytics.keys import ANSWER_SETTINGS, analysis_arguments, plain
from sfm_graphql.services.analytics.scope import Scope
from sfm_graphql.settings import Settings

SETTINGS = Settings()
KIND_A, KIND_B = list(DeliveryKind)[:2]


def key(settings: Settings = SETTINGS, **arguments: object) -> str:
    return cache_key("reach", analysis_arguments(settings, **arguments), 7)


def test_the_order_and_repeats_of_kinds_and_types_do_not_change_the_key() -> None:
    first = Scope.of("base", [KIND_A, KIND_B], "2020", [ComponentType.POLICY, ComponentType.ACTOR])
    second = Scope.of(
        "base",
        [KIND_B, KIND_A, KIND_B],
        "2020",
        [ComponentType.ACTOR, ComponentType.POLICY, ComponentType.ACTOR],
    )
    assert key(scope=first, source="x") == key(scope=second, source="x")


def test_keyword_order_does_not_change_the_key() -> None:
    assert key(scope=Scope(), source="x", max_depth=2) == key(
        max_depth=2, source="x", scope=Scope()
    )


@pytest.mark.parametrize(
    "other",
    [
        Scope.of(scenario="other"),
        Scope.of(kinds=[KIND_A]),
        Scope.of(time_slice="2021"),
        Scope.of(types=[ComponentType.ACTOR]),
    ],
)
def test_a_different_scope_is_a_different_key(other: Scope) -> None:
    assert key(scope=Scope(), source="x") != key(scope=other, source="x")


def test_every_argument_that_changes_the_answer_changes_the_key() -> None:
    base = key(scope=Scope(), source="x", direction=Direction.OUTGOING, max_depth=None)
    for changed in (
        {"source": "y"},
        {"direction": Direction.BOTH},
        {"max_depth": 1},
    ):
        arguments = {"source": "x", "direction": Direction.OUTGOING, "max_depth": None}
        assert key(scope=Scope(), **{**arguments, **changed}) != base


@pytest.mark.parametrize("name", ANSWER_SETTINGS)
def test_the_settings_that_shape_an_answer_are_in_the_key(name: str) -> None:
    changed = SETTINGS.model_copy(update={name: getattr(SETTINGS, name) + 1})
    assert key(changed, scope=Scope()) != key(scope=Scope())


def test_the_caller_and_bounds_that_only_refuse_are_not_in_the_key() -> None:
    tighter = SETTINGS.model_copy(update={"analysis_timeout_s": 1.0, "analysis_max_nodes": 50})
    assert key(tighter, scope=Scope()) == key(scope=Scope())


def test_only_plain_data_goes_into_a_key() -> None:
    assert plain({"d": Direction.INCOMING, "s": {"b", "a"}, "t": (1, 2.5)}) == {
        "d": "INCOMING",
        "s": ["a", "b"],
        "t": [1, 2.5],
    }
    with pytest.raises(TypeError):
        plain(object())
