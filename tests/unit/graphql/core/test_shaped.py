"""Shapes (graphql/core/shaped.py) on a small schema: the answers, errors and paths of
graphql-core's own completion, whether a shape completes an object or gives it back."""

from __future__ import annotations

import asyncio
import gc
import weakref
from typing import Any

import pytest
import strawberry

from sfm_graphql.graphql.core import direct
from sfm_graphql.graphql.core.shaped import Shape, ShapingExecutor


def _explode(root: Any, info: strawberry.Info) -> int:
    raise ValueError("boom")


def _doubled(root: Any, info: strawberry.Info) -> int:
    return int(root.score * 2) if root.score is not None else 0


@strawberry.type
class Leaf:
    name: str
    score: float | None
    doubled: int = strawberry.field(resolver=_doubled, metadata=direct.direct(_doubled))


@strawberry.type
class Box:
    leaves: list[Leaf]
    maybe: list[Leaf | None] | None
    broken: int = strawberry.field(resolver=_explode, metadata=direct.direct(_explode))


LEAVES = [Leaf(name="a", score=1.5), Leaf(name="b", score=None)]
NULL_NAME = [Leaf(name="a", score=1.0), Leaf(name=None, score=2.0)]  # type: ignore[arg-type]  # the point


@strawberry.type
class Query:
    @strawberry.field
    def box(self, bad: bool = False) -> Box:
        return Box(leaves=NULL_NAME if bad else LEAVES, maybe=[None, LEAVES[0]])


def _schema(shaped: bool) -> strawberry.Schema:
    schema = strawberry.Schema(
        query=Query, execution_context_class=ShapingExecutor if shaped else None
    )
    direct.install(schema._schema)
    return schema


def _answer(schema: strawberry.Schema, query: str, variables: dict[str, Any] | None) -> Any:
    result = schema.execute_sync(query, variable_values=variables)
    errors = [(e.message, e.path) for e in result.errors or []]
    return result.data, errors


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ("{ box { leaves { __typename name score doubled } maybe { name } } }", None),
        ("query($s: Boolean!) { box { leaves { n: name s: score @skip(if: $s) } } }", {"s": True}),
        ("{ box { ...B } } fragment B on Box { leaves { ... on Leaf { name } } }", None),
        ("{ box(bad: true) { leaves { name score } } }", None),  # null in a non-null field
        ("{ box { leaves { name } broken } }", None),  # a direct resolver that raises
    ],
)
def test_shaped_answers_are_graphql_cores(query: str, variables: dict[str, Any] | None) -> None:
    assert _answer(_schema(True), query, variables) == _answer(_schema(False), query, variables)


def test_a_shape_completes_the_objects_of_a_plain_selection(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    completed: list[str] = []
    complete = Shape.complete

    def counted(self: Shape, executor: Any, value: Any, path: Any) -> Any:
        result = complete(self, executor, value, path)
        completed.append(self.type_name)
        return result

    monkeypatch.setattr(Shape, "complete", counted)
    data, errors = _answer(_schema(True), "{ box { leaves { name doubled } } }", None)
    assert not errors
    assert data == {"box": {"leaves": [{"name": "a", "doubled": 3}, {"name": "b", "doubled": 0}]}}
    assert completed == ["Leaf", "Leaf", "Box"]  # both leaves inside the box's shape, one pass


def test_an_object_with_a_failing_field_is_given_back(monkeypatch: pytest.MonkeyPatch) -> None:
    data, errors = _answer(_schema(True), "{ box { leaves { name } broken } }", None)
    assert data is None  # `broken` is non-null: the error nulls the box, and the box is `box: Box!`
    assert errors == [("boom", ["box", "broken"])]


@strawberry.type
class AsyncQuery:
    @strawberry.field
    async def total(self, info: strawberry.Info) -> int:
        async def one(value: int) -> int:
            return value

        helpers = info._raw_info.async_helpers
        KEPT.append(helpers)
        return sum(await helpers.gather([one(1), one(2)]))


KEPT: list[Any] = []


def test_an_execution_is_freed_without_the_collector(monkeypatch: pytest.MonkeyPatch) -> None:
    executors: list[weakref.ref[ShapingExecutor]] = []
    init = ShapingExecutor.__init__

    def recording(self: ShapingExecutor, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        executors.append(weakref.ref(self))

    monkeypatch.setattr(ShapingExecutor, "__init__", recording)
    schema = _schema(True)
    gc.disable()
    try:
        assert schema.execute_sync("{ box { leaves { name } } }").data is not None
        assert executors and executors[-1]() is None  # gone with its last reference: no cycle
    finally:
        gc.enable()


def test_the_resolvers_helpers_work_during_the_execution_only() -> None:
    schema = strawberry.Schema(query=AsyncQuery, execution_context_class=ShapingExecutor)
    KEPT.clear()
    result = asyncio.run(schema.execute("{ total }"))
    assert result.errors is None and result.data == {"total": 3}
    with pytest.raises(RuntimeError, match="has ended"):
        KEPT[0].track([])
