"""Static analysis of an operation before it runs: depth, aliases, root fields and cost.

The document walker (`walker.py`) expands fragments (a limit must not be dodged by moving fields
into a fragment, as Strawberry's alias limiter once allowed); `@skip`/`@include` are ignored (the
worst case counts), and every fragment spread counts again wherever it is used.

Arguments are read exactly as execution will read them: graphql-core coerces each field's
arguments against the operation's coerced variables, so a variable left to its default or an Int
sent as `100.0` counts as the value that runs. Reading the raw request variables instead let a
viewer pass a 2.4-million-row query as 48,021 points (docs/security.md, Operation limits).

Cost follows GitHub's model: each object field costs its weight; a list or connection multiplies
the cost of what it contains by its size: the `first`/`last`/`limit` argument, the number of
`ids`, the worst case the settings allow for lists the server sizes (matrices, neighbourhoods),
and the maximum page size for any other list.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLEnumType,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    OperationDefinitionNode,
    SelectionSetNode,
)
from graphql.execution.values import VariableValues, get_argument_values, get_variable_values

from sfm_graphql.graphql.core.analytics_costs import ANALYTICS_FIELD_WEIGHTS, analytics_list_size
from sfm_graphql.graphql.core.traversal_costs import (
    TRAVERSAL_FIELD_WEIGHTS,
    traversal_list_size,
)
from sfm_graphql.graphql.core.walker import TooComplex, Walker, fragments_of

if TYPE_CHECKING:
    from sfm_graphql.settings import Settings

# Fields whose work is not captured by the size of what they return.
FIELD_WEIGHTS: dict[str, int] = {
    "Query.search": 10,
    "Query.neighborhood": 25,
    "Query.exportGraph": 500,
    "Mutation.bulkImport": 100,
    "Mutation.bulkImportFile": 100,
    "Query.compareScenarios": 50,
    # Every delivery is read to find the scenarios deliveries use.
    "Query.scenarios": 1000,
    **ANALYTICS_FIELD_WEIGHTS,
    **TRAVERSAL_FIELD_WEIGHTS,
}
MUTATION_WEIGHT = 10
# A count reads every matching item without returning them.
TOTAL_COUNT_WEIGHT = 10
# Lists kept on their parent (no read of their own) or few by nature: parallel deliveries of one
# kind between one pair of components. An estimate, where the server bounds nothing.
SMALL_LISTS = frozenset({"powerResources", "thresholds", "baseDeliveries", "otherDeliveries"})
SMALL_LIST_SIZE = 10
MAX_FRAGMENT_EXPANSIONS = 1000
# The ScenarioComparison lists hold at most the `limit` of their compareScenarios field.
_COMPARISON_LISTS = frozenset({"onlyInBase", "onlyInOther", "changed"})


@dataclass(frozen=True, slots=True)
class CostModel:
    """The sizes the cost model assumes, taken from the settings that bound them at run time."""

    default_page_size: int = 20
    max_page_size: int = 100
    matrix_components: int = 200
    matrix_deliveries: int = 20_000
    neighborhood_nodes: int = 2000
    comparison_rows: int = 1000
    max_nodes: int = 500
    export_rows: int = 200_000
    analysis_results: int = 1000
    analysis_path_length: int = 12

    @classmethod
    def of(cls, settings: Settings) -> CostModel:
        return cls(
            default_page_size=settings.default_page_size,
            max_page_size=settings.max_page_size,
            matrix_components=settings.max_matrix_components,
            matrix_deliveries=settings.max_matrix_deliveries,
            neighborhood_nodes=settings.max_neighborhood_nodes,
            comparison_rows=settings.max_comparison_rows,
            max_nodes=settings.max_nodes_per_request,
            export_rows=settings.max_export_deliveries,
            analysis_results=settings.analysis_max_results,
            analysis_path_length=settings.analysis_max_path_length,
        )

    def scalar_weight(self, parent: str, name: str) -> int:
        """Scalars that take real work to produce: a count, a rendered document."""
        if name == "totalCount" and parent.endswith("Connection"):
            return TOTAL_COUNT_WEIGHT
        if parent == "Matrix" and name == "csv":
            return self.matrix_components + self.matrix_deliveries // 10
        return 0

    def field_weight(self, key: str) -> int:
        if key == "Query.exportGraph":
            # The whole document is built whether `content` is selected or not.
            return FIELD_WEIGHTS[key] + self.export_rows // 10
        return FIELD_WEIGHTS.get(key, 1)


@dataclass(frozen=True, slots=True)
class Analysis:
    depth: int
    aliases: int
    root_fields: int
    cost: int
    exports: int = 0


def _unwrap(field_type: Any) -> tuple[Any, bool]:
    is_list = False
    while isinstance(field_type, (GraphQLNonNull, GraphQLList)):
        is_list = is_list or isinstance(field_type, GraphQLList)
        field_type = field_type.of_type
    return field_type, is_list


class _Cost:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        variables: VariableValues,
        model: CostModel,
    ) -> None:
        self.schema = schema
        # Directives are not evaluated (the worst case counts); every spread counts again.
        self.walker = Walker(fragments, schema=schema, max_expansions=MAX_FRAGMENT_EXPANSIONS)
        self.variables = variables
        self.model = model
        self.aliases = 0
        self.max_depth = 0
        self.exports = 0
        self.comparison_limit: int | None = None
        # The arguments of the enclosing analytics root field: its nested lists are as long as
        # its `top` / `limit` say (analytics/costs.py).
        self.analytics_args: dict[str, Any] | None = None
        # The root field being costed and its arguments: traversal lists are sized from them.
        self.root: tuple[str, dict[str, Any] | None] = ("", None)

    def _args(self, field: GraphQLField | None, node: FieldNode) -> dict[str, Any] | None:
        """The field's arguments as execution coerces them; None when they cannot be read."""
        if field is None:
            return None
        try:
            return get_argument_values(field, node, self.variables)
        except GraphQLError:
            return None  # execution reports it; the cost assumes the worst meanwhile

    def cost(
        self,
        selection_set: SelectionSetNode | None,
        parent: Any,
        depth: int,
        instances: int = 1,
        page: int = 0,
    ) -> int:
        """Cost of one instance of `parent`; `instances` is how many there are within the
        enclosing matrix (what the matrix-wide delivery bound is shared among). For a connection,
        `page` multiplies its edges and nodes; its count and page info are paid once."""
        self.max_depth = max(self.max_depth, depth)
        total = 0
        for node, parent_type in self.walker.fields(selection_set, parent):
            if node.alias is not None:
                self.aliases += 1
            if depth == 1:
                self._enter_root(node, parent_type)
            if page and node.name.value in ("edges", "nodes"):
                total += page * self._field_cost(node, parent_type, depth, instances * page)
            else:
                total += self._field_cost(node, parent_type, depth, instances)
        return total

    def _enter_root(self, node: FieldNode, root: Any) -> None:
        field = root.fields.get(node.name.value) if isinstance(root, GraphQLObjectType) else None
        self.root = (f"{getattr(root, 'name', '')}.{node.name.value}", self._args(field, node))

    def _field_cost(self, node: FieldNode, parent_type: Any, depth: int, instances: int) -> int:
        name = node.name.value
        if name.startswith("__"):
            return 1 if node.selection_set else 0
        field = None
        if isinstance(parent_type, (GraphQLObjectType, GraphQLInterfaceType)):
            field = parent_type.fields.get(name)
        field_type, is_list = _unwrap(field.type if field else None)
        parent_name = getattr(parent_type, "name", "") or ""
        key = f"{parent_name}.{name}"
        if key == "Query.exportGraph":
            self.exports += 1
        if node.selection_set is None:
            return self.model.scalar_weight(parent_name, name) + (
                self.model.field_weight(key) if key in FIELD_WEIGHTS else 0
            )
        if parent_name == "Matrix":
            instances = 1  # a new matrix: its own delivery bound
        args = self._args(field, node)
        if parent_name == "Query" and key in ANALYTICS_FIELD_WEIGHTS:
            outer, self.analytics_args = self.analytics_args, args
            try:
                return self._walk_field(node, key, field_type, is_list, args, depth, instances)
            finally:
                self.analytics_args = outer
        return self._walk_field(node, key, field_type, is_list, args, depth, instances)

    def _walk_field(
        self,
        node: FieldNode,
        key: str,
        field_type: Any,
        is_list: bool,
        args: dict[str, Any] | None,
        depth: int,
        instances: int,
    ) -> int:
        parent_name, _, name = key.partition(".")
        weight = self.model.field_weight(key)
        type_name = getattr(field_type, "name", "") or ""
        if type_name.endswith("Connection"):
            size = self._page_size(args)
            return weight + self.cost(node.selection_set, field_type, depth + 1, instances, size)
        if parent_name.endswith("Connection") and name in ("edges", "nodes"):
            # The connection field already multiplied by its page size.
            return self.cost(node.selection_set, field_type, depth + 1, instances)
        if isinstance(field_type, GraphQLUnionType) or is_list:
            # Each listed object counts one, as each connection edge's node does.
            size = self._list_size(key, args, instances)
            inner = self._inner(node, field_type, depth, instances * size, args)
            return weight + size * (1 + inner)
        return weight + self._inner(node, field_type, depth, instances, args)

    def _inner(
        self,
        node: FieldNode,
        field_type: Any,
        depth: int,
        instances: int,
        args: dict[str, Any] | None,
    ) -> int:
        if field_type is None or getattr(field_type, "name", "") != "ScenarioComparison":
            return self.cost(node.selection_set, field_type, depth + 1, instances)
        outer, self.comparison_limit = self.comparison_limit, _positive(args, "limit")
        try:
            return self.cost(node.selection_set, field_type, depth + 1, instances)
        finally:
            self.comparison_limit = outer

    def _page_size(self, args: dict[str, Any] | None) -> int:
        if args is None:
            return self.model.max_page_size
        for argument in ("first", "last"):
            value = args.get(argument)
            if value is not None:
                # A larger page is refused when it runs (BAD_USER_INPUT), so it costs no more.
                return max(min(int(value), self.model.max_page_size), 1)
        return self.model.default_page_size  # what make_page uses when neither is given

    def _list_size(  # noqa: PLR0911 (one return per kind of list)
        self, key: str, args: dict[str, Any] | None, instances: int
    ) -> int:
        m = self.model
        if args is not None:
            ids = args.get("ids")
            if isinstance(ids, list):
                # Every listed id is an entry of the response, duplicates too; more ids than
                # the maximum are refused when they run.
                return max(min(len(ids), m.max_nodes), 1)
            first = _positive(args, "first")
            if first is not None:
                return first
        traversal = traversal_list_size(key, self.root, m, instances)
        if traversal is not None:
            return traversal
        analytics = analytics_list_size(key, args or self.analytics_args)
        if analytics is not None:
            return analytics
        parent, _, name = key.partition(".")
        if key in ("Matrix.components", "Matrix.rows", "MatrixRow.cells"):
            return m.matrix_components
        if key == "Matrix.cells":
            every = m.matrix_components**2
            empty_too = args is not None and args.get("nonEmptyOnly") is False
            return every if empty_too else min(every, m.matrix_deliveries)
        if key == "MatrixCell.deliveries":
            # A matrix holds at most matrix_deliveries in all its cells together.
            return max(1, math.ceil(m.matrix_deliveries / max(instances, 1)))
        if parent == "Neighborhood":
            # The center and every reached component; deliveries among them, estimated at two
            # per component (the neighbourhood bounds its components, not their deliveries).
            reached = m.neighborhood_nodes + 1
            return 2 * reached if name == "deliveries" else reached
        if parent == "ScenarioComparison" and name in _COMPARISON_LISTS:
            # compareScenarios refuses a limit over the maximum when it runs.
            return min(self.comparison_limit or m.comparison_rows, m.comparison_rows)
        if name in SMALL_LISTS:
            return SMALL_LIST_SIZE
        if key == "Query.deliveryKinds":
            kinds = self.schema.get_type("DeliveryKind")
            return len(kinds.values) if isinstance(kinds, GraphQLEnumType) else m.max_page_size
        return m.max_page_size  # any other list: as long as the longest page


def _positive(args: dict[str, Any] | None, name: str) -> int | None:
    value = (args or {}).get(name)
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return None


def coerce_variables(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    variables: dict[str, Any] | None,
    *,
    hide_suggestions: bool,
) -> VariableValues | list[GraphQLError]:
    """The operation's variables as execution will see them (defaults applied), or the errors
    graphql-core reports for values of the wrong type."""
    return get_variable_values(
        schema,
        operation.variable_definitions or (),
        variables or {},
        max_errors=20,
        hide_suggestions=hide_suggestions,
    )


def analyze(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: VariableValues,
    *,
    model: CostModel,
) -> Analysis:
    """Measures of `operation` (one of `document`'s) with its coerced `variables`."""
    root = schema.get_root_type(operation.operation)
    walker = _Cost(schema, fragments_of(document), variables, model)
    try:
        root_fields = walker.walker.fields(operation.selection_set, root)
        cost = walker.cost(operation.selection_set, root, 1)
    except (TooComplex, RecursionError):
        return Analysis(depth=10**6, aliases=10**6, root_fields=10**6, cost=10**9, exports=10**6)
    if operation.operation.value == "mutation":
        cost += MUTATION_WEIGHT * len(root_fields)
    return Analysis(
        depth=walker.max_depth,
        aliases=walker.aliases,
        root_fields=len(root_fields),
        cost=cost,
        exports=walker.exports,
    )
