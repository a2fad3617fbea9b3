"""Nested fields resolve directly through graphql-core; root fields keep Strawberry's wrapper
(permissions) and every schema extension's `resolve` hook (audit, resolver spans)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import strawberry
from graphql import GraphQLObjectType, GraphQLSchema
from strawberry.extensions import SchemaExtension

from sfm_graphql.graphql.core import direct
from sfm_graphql.graphql.schema import SfmSchema, build_schema

SEEN: list[str] = []


class RecordResolved(SchemaExtension):
    def resolve(
        self, _next: Callable[..., Any], root: Any, info: Any, *args: Any, **kw: Any
    ) -> Any:
        SEEN.append(f"{info.parent_type.name}.{info.field_name}")
        return _next(root, info, *args, **kw)


def _doubled(root: Item, info: strawberry.Info) -> int:
    return root.value * 2


@strawberry.type
class Item:
    value: int
    doubled: int = strawberry.field(resolver=_doubled, metadata=direct.direct(_doubled))

    @strawberry.field
    def tripled(self) -> int:
        return self.value * 3


@strawberry.type
class Query:
    @strawberry.field
    def items(self) -> list[Item]:
        return [Item(value=1), Item(value=2)]


def _fields(schema: GraphQLSchema, type_name: str) -> dict[str, Any]:
    graphql_type = schema.get_type(type_name)
    assert isinstance(graphql_type, GraphQLObjectType)
    return graphql_type.fields


def _is_direct(resolve: Any) -> bool:
    return bool(getattr(resolve, "_sfm_direct", False))


async def test_direct_fields_skip_the_extension_hooks_and_answer_the_same() -> None:
    SEEN.clear()
    schema = SfmSchema(query=Query, extensions=[RecordResolved])
    result = await schema.execute("{ items { value doubled tripled } }")
    assert result.errors is None
    assert result.data == {
        "items": [
            {"value": 1, "doubled": 2, "tripled": 3},
            {"value": 2, "doubled": 4, "tripled": 6},
        ]
    }
    # The root field and the field with a plain Strawberry resolver pass the hooks; the
    # attribute and the direct field do not.
    assert sorted(set(SEEN)) == ["Item.tripled", "Query.items"]


def test_a_direct_root_field_is_refused() -> None:
    @strawberry.type
    class BadQuery:
        answer: int = strawberry.field(
            resolver=lambda: 42, metadata=direct.direct(lambda root, info: 42)
        )

    with pytest.raises(ValueError, match="root fields keep their wrapper"):
        SfmSchema(query=BadQuery)


def test_the_service_schema_keeps_every_root_field_wrapped() -> None:
    schema = build_schema()._schema
    for root in (schema.query_type, schema.mutation_type, schema.subscription_type):
        assert root is not None
        for name, field in root.fields.items():
            assert not _is_direct(field.resolve), f"{root.name}.{name}"


def test_the_graph_types_read_their_prefetched_data_directly() -> None:
    schema = build_schema()._schema
    actor = _fields(schema, "Actor")
    for name in ("label", "outgoing", "incoming", "metadata", "id"):
        assert _is_direct(actor[name].resolve), name
    delivery = _fields(schema, "Delivery")
    for name in ("kind", "source", "target", "ceremonialTendency", "kindInfo"):
        assert _is_direct(delivery[name].resolve), name
    for edge in ("ComponentEdge", "DeliveryEdge"):
        assert _is_direct(_fields(schema, edge)["cursor"].resolve)
    # A field whose resolver does work keeps Strawberry's wrapper (arguments, spans).
    assert not _is_direct(_fields(schema, "Matrix")["cells"].resolve)
