"""Objects below a planned root field completed in one pass, not field by field.

graphql-core completes every field of every object on its own: it builds a resolve info,
coerces arguments, calls the resolver, then walks the field's type (non-null, list, leaf or
object) with the error bookkeeping each step needs. Below a planned root field the values are
already there: hydration built them from the root's one statement, and the nested fields only
read attributes or call a direct resolver (core/direct.py). On the largest page (100 rows)
that was some 300 field executions per request, most of the service's own time.

`ShapingExecutor` completes such an object with a *shape*: the object type's collected fields
for one field group (graphql-core's own collection, so aliases, fragments, `@include` and
`@skip` with their variables are as the spec says), each with its way of reading the value and
of completing it (leaf coercion, list, nested object, abstract type by its runtime type). A
shape is made once per request and field group, and serves every row of a list.

Anything a shape does not handle exactly as graphql-core would is left to graphql-core:
- at planning time, a field that is not an attribute read or a direct resolver (anything with
  a Strawberry resolver, an extension or a permission), a directive other than `@include` and
  `@skip` on a field, or a deferred fragment: that object type and field group get no shape;
- at run time, anything unusual (a null where the type says non-null, a value a leaf cannot
  coerce, a resolver that raises, a runtime type without a shape): the object is completed
  again by graphql-core, which reports the error at its path. Attribute reads and direct
  resolvers have no side effects (core/direct.py), so the second completion sees what the
  first did.
"""

from __future__ import annotations

import inspect
import weakref
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

from graphql import (
    GraphQLAbstractType,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfoHelpers,
    is_abstract_type,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
)
from graphql.pyutils import Path, Undefined
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from sfm_graphql.graphql.core.direct import direct_reader

INCLUSION_DIRECTIVES = frozenset({"include", "skip"})

Complete = Callable[["ShapingExecutor", Any, Path], Any]


class Unshaped(Exception):
    """This value is graphql-core's to complete."""


class LightInfo:
    """What a direct resolver may read of its resolve info: the field, its path, the context."""

    __slots__ = ("context", "field_name", "path")

    def __init__(self, field_name: str, path: Path, context: Any) -> None:
        self.field_name = field_name
        self.path = path
        self.context = context


class Shape:
    """How to complete objects of one type for one field group: (response key, completion)."""

    __slots__ = ("fields", "is_type_of", "type_name")

    def __init__(self, object_type: GraphQLObjectType, fields: list[tuple[str, Complete]]) -> None:
        self.type_name = object_type.name
        self.is_type_of = object_type.is_type_of
        self.fields = fields

    def complete(self, executor: ShapingExecutor, value: Any, path: Path) -> dict[str, Any]:
        if self.is_type_of is not None and not _checked_type(self.is_type_of, value):
            raise Unshaped
        return {
            key: complete(executor, value, Path(path, key, self.type_name))
            for key, complete in self.fields
        }


def _weak_helpers(ref: weakref.ref[ShapingExecutor]) -> GraphQLResolveInfoHelpers:
    def executor() -> ShapingExecutor:
        alive = ref()
        if alive is None:
            raise RuntimeError("the execution these helpers belong to has ended")
        return alive

    def gather(values: Sequence[Awaitable[Any]]) -> Awaitable[list[Any]]:
        return executor().gather_async_work(values)

    def track(values: Sequence[Any]) -> None:
        executor().track_async_work(values)

    return GraphQLResolveInfoHelpers(gather=gather, track=track)


def _checked_type(is_type_of: Callable[..., Any], value: Any) -> bool:
    try:
        verdict = is_type_of(value, None)  # Strawberry's checks read the value only
    except Exception:  # noqa: BLE001 (one that needs more is graphql-core's to run)
        raise Unshaped from None
    if verdict is not True and verdict is not False:  # an awaitable verdict
        raise Unshaped
    return verdict


class ShapingExecutor(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's executor (as Strawberry configures it) completing objects by shapes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # graphql-core keeps its resolvers' helpers, bound methods of the executor, on the
        # executor: a reference cycle, so everything a request's execution held (its results,
        # shapes, context, the extensions) waited for the garbage collector instead of going
        # when the request did. Through a weak reference there is no cycle (docs/decisions.md,
        # "Per-request garbage and the collector").
        self.async_helpers = _weak_helpers(weakref.ref(self))

    def shape_of(self, object_type: GraphQLObjectType, field_group: Any) -> Shape | None:
        shapes: dict[tuple[str, int], tuple[Any, Shape | None]] = self.__dict__.setdefault(
            "_shapes", {}
        )
        key = (object_type.name, id(field_group))
        cached = shapes.get(key)
        if cached is None:
            # The group is kept alive with its shape, so its id is not reused meanwhile.
            cached = shapes[key] = (field_group, self._make_shape(object_type, field_group))
        return cached[1]

    def complete_object_value(
        self,
        return_type: GraphQLObjectType,
        field_details_list: Any,
        info: Any,
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        shape = self.shape_of(return_type, field_details_list)
        if shape is not None:
            try:
                return shape.complete(self, result, path)
            except Unshaped:
                pass
        return super().complete_object_value(
            return_type, field_details_list, info, path, result, position_context
        )

    def _make_shape(self, object_type: GraphQLObjectType, field_group: Any) -> Shape | None:
        grouped, new_defer_usages, forbidden = self.collect_subfields(object_type, field_group)
        if new_defer_usages or forbidden:
            return None
        fields: list[tuple[str, Complete]] = []
        for key, group in grouped.items():
            complete = self._field_completion(object_type, group)
            if complete is None:
                return None
            fields.append((key, complete))
        return Shape(object_type, fields)

    def _field_completion(self, parent: GraphQLObjectType, group: Any) -> Complete | None:
        node = group[0].node
        name = node.name.value
        if name == "__typename":
            type_name = parent.name
            return lambda _executor, _value, _path: type_name
        field = parent.fields.get(name)
        reader = _reader(field, group)
        if field is None or reader is None:
            return None
        value_completion = self._value_completion(field.type, group)
        if value_completion is None:
            return None
        attribute, resolver = reader

        if attribute is not None:

            def complete_attribute(executor: ShapingExecutor, value: Any, path: Path) -> Any:
                return value_completion(executor, getattr(value, attribute), path)

            return complete_attribute

        assert resolver is not None

        def complete_resolved(executor: ShapingExecutor, value: Any, path: Path) -> Any:
            try:
                found = resolver(value, LightInfo(name, path, executor.context_value))
            except Exception:  # noqa: BLE001 (graphql-core reports it at its path)
                raise Unshaped from None
            return value_completion(executor, found, path)

        return complete_resolved

    def _value_completion(self, graphql_type: GraphQLOutputType, group: Any) -> Complete | None:
        if is_non_null_type(graphql_type):
            assert isinstance(graphql_type, GraphQLNonNull)
            inner = self._value_completion(graphql_type.of_type, group)
            if inner is None:
                return None

            def non_null(executor: ShapingExecutor, value: Any, path: Path) -> Any:
                if value is None:
                    raise Unshaped
                return inner(executor, value, path)

            return non_null
        nullable = self._nullable_completion(graphql_type, group)
        if nullable is None:
            return None

        def maybe_null(executor: ShapingExecutor, value: Any, path: Path) -> Any:
            return None if value is None else nullable(executor, value, path)

        return maybe_null

    def _nullable_completion(self, graphql_type: GraphQLOutputType, group: Any) -> Complete | None:
        if is_leaf_type(graphql_type):
            assert isinstance(graphql_type, GraphQLLeafType)
            return _leaf(graphql_type)
        if is_list_type(graphql_type):
            assert isinstance(graphql_type, GraphQLList)
            item = self._value_completion(graphql_type.of_type, group)
            return None if item is None else _list(item)
        if is_object_type(graphql_type):
            assert isinstance(graphql_type, GraphQLObjectType)
            return _object(graphql_type, group)
        if is_abstract_type(graphql_type):
            return _abstract(graphql_type, group)
        return None


def _nodes(group: Iterable[Any]) -> Iterable[Any]:
    return (details.node for details in group)


def _reader(field: Any, group: Any) -> tuple[str | None, Any] | None:
    """How a field's value is read, if a shape may read it: an attribute or a synchronous
    direct resolver (core/direct.py), on field nodes with no directive but `@include`/`@skip`."""
    directives = (d.name.value for n in _nodes(group) for d in n.directives or ())
    if field is None or any(directive not in INCLUSION_DIRECTIVES for directive in directives):
        return None
    reader = direct_reader(field.resolve)
    if reader is not None and reader[1] is not None and inspect.iscoroutinefunction(reader[1]):
        return None
    return reader


def _leaf(leaf_type: GraphQLLeafType) -> Complete:
    coerce = leaf_type.coerce_output_value

    def complete_leaf(_executor: ShapingExecutor, value: Any, _path: Path) -> Any:
        if isinstance(value, Exception):
            raise Unshaped
        try:
            coerced = coerce(value)
        except Exception:  # noqa: BLE001 (graphql-core reports it at its path)
            raise Unshaped from None
        if coerced is Undefined or coerced is None:
            raise Unshaped
        return coerced

    return complete_leaf


def _list(item: Complete) -> Complete:
    def complete_list(executor: ShapingExecutor, value: Any, path: Path) -> Any:
        if not isinstance(value, list | tuple):
            raise Unshaped
        return [item(executor, entry, Path(path, index, None)) for index, entry in enumerate(value)]

    return complete_list


def _object(object_type: GraphQLObjectType, group: Any) -> Complete:
    def complete_object(executor: ShapingExecutor, value: Any, path: Path) -> Any:
        if isinstance(value, Exception):
            raise Unshaped
        shape = executor.shape_of(object_type, group)
        if shape is None:
            raise Unshaped
        return shape.complete(executor, value, path)

    return complete_object


def _abstract(abstract_type: GraphQLAbstractType, group: Any) -> Complete:
    resolve_type = abstract_type.resolve_type

    def complete_abstract(executor: ShapingExecutor, value: Any, path: Path) -> Any:
        if resolve_type is None or isinstance(value, Exception):
            raise Unshaped
        try:
            name = resolve_type(value, None, abstract_type)  # type: ignore[arg-type]  # see Shape
        except Exception:  # noqa: BLE001 (one that needs the resolve info is graphql-core's)
            raise Unshaped from None
        runtime = executor.schema.get_type(name) if isinstance(name, str) else None
        if not isinstance(runtime, GraphQLObjectType) or not executor.schema.is_sub_type(
            abstract_type, runtime
        ):
            raise Unshaped
        shape = executor.shape_of(runtime, group)
        if shape is None:
            raise Unshaped
        return shape.complete(executor, value, path)

    return complete_abstract
