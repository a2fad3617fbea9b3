"""Fields that graphql-core resolves directly, without Strawberry's per-field machinery.

Strawberry runs every field with a resolver through its wrapper (an `Info` object, argument
conversion into Python types, the field extensions) and every field of every object through
each schema extension's `resolve` hook (Strawberry issue #3544). Below a planned root field
none of that does anything: the root's one statement fetched the whole selection, hydration
built the objects, and the nested fields only read them. On a page of 20 components with 5
deliveries each that is ~300 field resolutions per request.

So, once the schema is built:

- a field whose Strawberry declaration names a direct resolver (`metadata=direct(fn)`) gets
  `fn(source, info)` as its graphql-core resolver: no `Info` wrapper, no argument conversion
  (the planner read the arguments already). `fn` must accept graphql-core's info as well as
  Strawberry's: both have `path`, `field_name` and `context`, and that is all it may read
  (core/shaped.py passes just those). It must have no side effects: a shaped completion that
  meets something unusual is done again by graphql-core, calling it again;
- a field without a resolver reads its attribute with a plain `getattr`;
- `DirectMiddleware` hands both kinds to graphql-core unwrapped by the schema extensions'
  `resolve` hooks. Those hooks act on root fields (audit) and on root or async fields
  (resolver spans); neither kind is ever one (`install` refuses a direct root field).

The public schema is unchanged: arguments, types and descriptions still come from Strawberry.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import GraphQLObjectType, GraphQLSchema, MiddlewareManager

RESOLVER_KEY = "sfm.direct_resolver"
_DIRECT = "_sfm_direct"  # set on the resolvers installed here: the middleware leaves them alone
_READS = "_sfm_reads"  # on them too: (attribute, None) or (None, direct resolver)
DEFINITION_KEY = "strawberry-definition"

DirectResolver = Callable[[Any, Any], Any]


def direct(resolver: DirectResolver) -> dict[str, Any]:
    """The field metadata naming `resolver` as the field's direct resolver."""
    return {RESOLVER_KEY: resolver}


def _wrapped(resolver: DirectResolver) -> Callable[..., Any]:
    def resolve(source: Any, info: Any, **_arguments: Any) -> Any:
        return resolver(source, info)

    setattr(resolve, _DIRECT, True)
    setattr(resolve, _READS, (None, resolver))
    return resolve


def _attribute(name: str) -> Callable[..., Any]:
    def resolve(source: Any, _info: Any) -> Any:
        return getattr(source, name)

    setattr(resolve, _DIRECT, True)
    setattr(resolve, _READS, (name, None))
    return resolve


def direct_reader(resolve: Any) -> tuple[str | None, DirectResolver | None] | None:
    """How a field installed here reads its value: (attribute, None) or (None, resolver); None
    for every other field (core/shaped.py completes only these)."""
    reads: tuple[str | None, DirectResolver | None] | None = getattr(resolve, _READS, None)
    return reads


def install(schema: GraphQLSchema) -> int:
    """Give the nested fields their direct resolvers; returns how many fields were changed."""
    roots = {schema.query_type, schema.mutation_type, schema.subscription_type}
    changed = 0
    for graphql_type in schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType) or graphql_type.name.startswith("__"):
            continue
        for name, field in graphql_type.fields.items():
            definition = (field.extensions or {}).get(DEFINITION_KEY)
            if definition is None:
                continue
            resolver = (definition.metadata or {}).get(RESOLVER_KEY)
            if resolver is not None:
                if graphql_type in roots:
                    raise ValueError(f"{graphql_type.name}.{name}: root fields keep their wrapper")
                field.resolve = _wrapped(resolver)
                changed += 1
            elif _reads_attribute(field.resolve, definition) and graphql_type not in roots:
                field.resolve = _attribute(definition.python_name)
                changed += 1
    return changed


def _reads_attribute(resolve: Any, definition: Any) -> bool:
    # Only where Strawberry itself chose its plain attribute read: a field with no resolver and
    # no extensions (its `is_basic_field`), no exception handler, and getattr as the reader.
    return (
        getattr(resolve, "_is_default", False)
        and bool(definition.is_basic_field)
        and definition.default_resolver is getattr
    )


class DirectMiddleware(MiddlewareManager):
    """The schema extensions' `resolve` hooks around every field but the direct ones."""

    def get_field_resolver(self, field_resolver: Callable[..., Any]) -> Callable[..., Any]:
        if getattr(field_resolver, _DIRECT, False):
            return field_resolver
        return super().get_field_resolver(field_resolver)
