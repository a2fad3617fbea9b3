"""Static analysis of an operation before it runs: depth, aliases, root fields and cost.

Fragments are expanded (a limit must not be dodged by moving fields into a fragment, as
Strawberry's alias limiter once allowed), `@skip`/`@include` are ignored (the worst case counts),
and every fragment spread counts again wherever it is used.

Cost follows GitHub's model: each object field costs its weight; a list or connection multiplies
the cost of what it contains by its size — the `first`/`last` argument, or the default page size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    value_from_ast_untyped,
)

# Root fields whose work is not captured by the size of what they return.
FIELD_WEIGHTS: dict[str, int] = {
    "Query.search": 10,
    "Query.neighborhood": 25,
    "Query.exportGraph": 500,
    "Mutation.bulkImport": 100,
    "Mutation.bulkImportFile": 100,
    "Query.compareScenarios": 50,
}
# Lists without a size argument whose typical length is known better than the default.
LIST_SIZES: dict[str, int] = {
    "Matrix.components": 20,
    "Matrix.rows": 20,
    "MatrixRow.cells": 20,
    "Matrix.cells": 400,
    "MatrixCell.deliveries": 5,
    "Query.deliveryKinds": 60,
}
MUTATION_WEIGHT = 10
# Lists without a size argument: an upper estimate of their length.
DEFAULT_LIST_SIZE = 10
NEIGHBORHOOD_LIST_SIZE = 50
MAX_FRAGMENT_EXPANSIONS = 1000


@dataclass(frozen=True, slots=True)
class Analysis:
    depth: int
    aliases: int
    root_fields: int
    cost: int


class _TooComplex(Exception):
    pass


class _Walker:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        variables: dict[str, Any],
        default_page_size: int,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.default_page_size = default_page_size
        self.aliases = 0
        self.max_depth = 0
        self.expansions = 0

    def _arg(self, node: FieldNode, name: str) -> Any:
        for argument in node.arguments or ():
            if argument.name.value == name:
                return value_from_ast_untyped(argument.value, self.variables)
        return None

    def _fields(
        self, selection_set: SelectionSetNode | None, parent: Any
    ) -> list[tuple[FieldNode, Any]]:
        """(field node, parent type) pairs with fragments expanded."""
        out: list[tuple[FieldNode, Any]] = []
        if selection_set is None:
            return out
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                out.append((selection, parent))
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent
                out += self._fields(selection.selection_set, target or parent)
            elif isinstance(selection, FragmentSpreadNode):
                self.expansions += 1
                if self.expansions > MAX_FRAGMENT_EXPANSIONS:
                    raise _TooComplex
                fragment = self.fragments.get(selection.name.value)
                if fragment is not None:
                    target = self.schema.get_type(fragment.type_condition.name.value)
                    out += self._fields(fragment.selection_set, target or parent)
        return out

    def cost(self, selection_set: SelectionSetNode | None, parent: Any, depth: int) -> int:
        self.max_depth = max(self.max_depth, depth)
        total = 0
        for node, parent_type in self._fields(selection_set, parent):
            if node.alias is not None:
                self.aliases += 1
            total += self._field_cost(node, parent_type, depth)
        return total

    def _field_cost(self, node: FieldNode, parent_type: Any, depth: int) -> int:
        name = node.name.value
        if name.startswith("__"):
            return 1 if node.selection_set else 0
        field = None
        if isinstance(parent_type, (GraphQLObjectType, GraphQLInterfaceType)):
            field = parent_type.fields.get(name)
        field_type: Any = field.type if field else None
        is_list = False
        while isinstance(field_type, (GraphQLNonNull, GraphQLList)):
            is_list = is_list or isinstance(field_type, GraphQLList)
            field_type = field_type.of_type
        if node.selection_set is None:
            return 0
        parent_name = getattr(parent_type, "name", "") or ""
        inner = self.cost(node.selection_set, field_type, depth + 1)
        if parent_name.endswith("Connection") and name in ("edges", "nodes"):
            return inner  # the connection field already multiplied by its page size
        weight = FIELD_WEIGHTS.get(f"{parent_name}.{name}", 1)
        type_name = getattr(field_type, "name", "") or ""
        if type_name.endswith("Connection"):
            size = self._arg(node, "first") or self._arg(node, "last") or self.default_page_size
            return weight + max(int(size), 1) * inner
        if isinstance(field_type, GraphQLUnionType) or is_list:
            # Each listed object counts one, as each connection edge's node does.
            return weight + self._list_size(node, parent_type) * (1 + inner)
        return weight + inner

    def _list_size(self, node: FieldNode, parent_type: Any) -> int:
        for argument in ("first", "limit"):
            value = self._arg(node, argument)
            if isinstance(value, int) and value > 0:
                return value
        ids = self._arg(node, "ids")
        if isinstance(ids, list):
            return max(len(ids), 1)
        parent_name = getattr(parent_type, "name", "")
        if parent_name == "Neighborhood":
            return NEIGHBORHOOD_LIST_SIZE
        return LIST_SIZES.get(f"{parent_name}.{node.name.value}", DEFAULT_LIST_SIZE)


def analyze(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: dict[str, Any] | None,
    *,
    default_page_size: int,
) -> Analysis | None:
    """Measures of the operation that will run, or None when none can be chosen."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    if operation_name is not None:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    if len(operations) != 1:
        return None
    operation = operations[0]
    root = schema.get_root_type(operation.operation)
    walker = _Walker(schema, fragments, variables or {}, default_page_size)
    try:
        root_fields = walker._fields(operation.selection_set, root)
        cost = walker.cost(operation.selection_set, root, 1)
    except (_TooComplex, RecursionError):
        return Analysis(depth=10**6, aliases=10**6, root_fields=10**6, cost=10**9)
    if operation.operation.value == "mutation":
        cost += MUTATION_WEIGHT * len(root_fields)
    return Analysis(
        depth=walker.max_depth, aliases=walker.aliases, root_fields=len(root_fields), cost=cost
    )
