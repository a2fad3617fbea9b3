"""Document validation, cached per process, with graphql-core's suggestions hidden on request.

Strawberry's ValidationCache validates with suggestions on: "Did you mean 'first'?" for an
argument, a type or an enum value tells a caller the schema that disabled introspection hides.
graphql-core can leave them out (`hide_suggestions`); this cache passes that on.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from graphql import ASTValidationRule, DocumentNode, GraphQLError, GraphQLSchema, validate
from strawberry.extensions import SchemaExtension
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

# Bounded, so unique documents sent to a public endpoint cannot grow memory without limit.
CACHE_SIZE = 1024


@lru_cache(maxsize=CACHE_SIZE)
def _validate(
    schema: GraphQLSchema,
    document: DocumentNode,
    rules: tuple[type[ASTValidationRule], ...],
    hide_suggestions: bool,
) -> tuple[GraphQLError, ...]:
    # The rules Strawberry adds to every validation (strawberry.schema.schema.validate_document).
    every_rule = (*rules, MaybeNullValidationRule, OneOfInputValidationRule)
    return tuple(validate(schema, document, every_rule, hide_suggestions=hide_suggestions))


def validate_document(
    schema: GraphQLSchema,
    document: DocumentNode,
    rules: tuple[type[ASTValidationRule], ...],
    *,
    hide_suggestions: bool,
) -> list[GraphQLError]:
    """The validation errors of `document`; a repeated document is validated once."""
    return list(_validate(schema, document, tuple(rules), hide_suggestions))


class CachedValidation(SchemaExtension):
    """Validates before the later extensions (the limits assume a valid document)."""

    def __init__(self, *, hide_suggestions: bool) -> None:
        super().__init__()
        self.hide_suggestions = hide_suggestions

    def on_validate(self) -> Iterator[None]:
        ctx = self.execution_context
        if ctx.graphql_document is not None and ctx.pre_execution_errors is None:
            ctx.pre_execution_errors = validate_document(
                ctx.schema._schema,
                ctx.graphql_document,
                tuple(ctx.validation_rules),
                hide_suggestions=self.hide_suggestions,
            )
        yield
