"""The one walker over a GraphQL document: which operation runs and which fields it selects.

Every reader of a document goes through here: the static limits and cost (`analysis.py`,
`limits.py`), the planner (`selection.py`) and tracing (`observability/graphql_tracing.py`).
The walker expands named and inline fragments, keeps aliases (fields are grouped by response
key, as execution groups them), and names the type each field is selected on when it has the
schema. Directives: given the operation's coerced variables, `@skip`/`@include` are honoured as
execution honours them (the planner fetches what will be resolved); without variables every
selection counts, the worst case that a limit must assume.

It reads graphql-core's AST only, so any layer may use it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from graphql import (
    DocumentNode,
    ExecutableDefinitionNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLIncludeDirective,
    GraphQLSchema,
    GraphQLSkipDirective,
    InlineFragmentNode,
    NamedTypeNode,
    OperationDefinitionNode,
    SelectionNode,
    SelectionSetNode,
)
from graphql.execution.values import VariableValues, get_directive_values


class TooComplex(Exception):
    """More fragment spreads expanded than the walker allows."""


def fragments_of(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    """The document's fragment definitions by name."""
    return {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}


def select_operation(
    document: DocumentNode | None, operation_name: str | None
) -> OperationDefinitionNode | None:
    """The operation that will run, or None when none can be chosen (validation says why)."""
    if document is None:
        return None
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    return operations[0] if len(operations) == 1 else None


def response_key(node: FieldNode) -> str:
    """The key of the field in the response: its alias, else its name."""
    return (node.alias or node.name).value


def every_field(document: DocumentNode) -> Iterator[FieldNode]:
    """Every field of every operation and fragment, at any depth, whether used or not.

    Spreads are not followed (each fragment is visited as a definition of its own) and
    directives are not evaluated: this is what the document could ask for, cheaply.
    """
    pending = [
        d.selection_set for d in document.definitions if isinstance(d, ExecutableDefinitionNode)
    ]
    while pending:
        for selection in pending.pop().selections:
            if isinstance(selection, FieldNode):
                yield selection
            nested = getattr(selection, "selection_set", None)
            if nested is not None:
                pending.append(nested)


class Walker:
    """Fields of selection sets of one document, fragments expanded."""

    def __init__(
        self,
        fragments: Mapping[str, FragmentDefinitionNode],
        *,
        variables: VariableValues | None = None,
        schema: GraphQLSchema | None = None,
        max_expansions: int | None = None,
    ) -> None:
        self._fragments = fragments
        self._variables = variables
        self._schema = schema
        self._max_expansions = max_expansions
        self.expansions = 0  # fragment spreads expanded so far

    def included(self, node: SelectionNode) -> bool:
        """Whether `@skip`/`@include` keep the selection (always, without variables)."""
        if self._variables is None:
            return True
        skip = get_directive_values(GraphQLSkipDirective, node, self._variables)
        if skip and skip.get("if") is True:
            return False
        include = get_directive_values(GraphQLIncludeDirective, node, self._variables)
        return not (include and include.get("if") is False)

    def fields(
        self, selection_set: SelectionSetNode | None, parent: Any = None
    ) -> list[tuple[FieldNode, Any]]:
        """(field, type it is selected on) pairs of a selection set, in document order.

        The type is the fragment's type condition when the walker has the schema, else `parent`.
        """
        out: list[tuple[FieldNode, Any]] = []
        if selection_set is None:
            return out
        for selection in selection_set.selections:
            if not self.included(selection):
                continue
            if isinstance(selection, FieldNode):
                out.append((selection, parent))
            elif isinstance(selection, InlineFragmentNode):
                target = self._condition(selection.type_condition, parent)
                out += self.fields(selection.selection_set, target)
            elif isinstance(selection, FragmentSpreadNode):
                self._expanded()
                fragment = self._fragments.get(selection.name.value)
                if fragment is not None:
                    target = self._condition(fragment.type_condition, parent)
                    out += self.fields(fragment.selection_set, target)
        return out

    def merged(self, nodes: Iterable[FieldNode]) -> dict[str, list[FieldNode]]:
        """Sub-fields of all `nodes` merged by response key, as execution merges them."""
        out: dict[str, list[FieldNode]] = {}
        for node in nodes:
            for field, _ in self.fields(node.selection_set):
                out.setdefault(response_key(field), []).append(field)
        return out

    def descend(self, nodes: list[FieldNode], *path: str) -> list[FieldNode]:
        """The field nodes reached by following field names (not aliases) from `nodes`."""
        for name in path:
            nodes = [
                n for group in self.merged(nodes).values() for n in group if n.name.value == name
            ]
        return nodes

    def selects(self, nodes: list[FieldNode], name: str) -> bool:
        """Whether any of `nodes` selects a field called `name` (under any alias)."""
        return any(n.name.value == name for group in self.merged(nodes).values() for n in group)

    def _condition(self, condition: NamedTypeNode | None, parent: Any) -> Any:
        if self._schema is None or condition is None:
            return parent
        return self._schema.get_type(condition.name.value) or parent

    def _expanded(self) -> None:
        self.expansions += 1
        if self._max_expansions is not None and self.expansions > self._max_expansions:
            raise TooComplex
