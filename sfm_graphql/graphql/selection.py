"""GraphQL selection sets to plans, so one Cypher statement answers a whole root field.

The planner walks the operation's AST itself (fragments expanded, `@skip`/`@include` honoured)
and reads nested arguments with graphql-core's own coercion, so nested fields get exactly the
typed values a resolver would. Variables come from the resolver's info, already coerced (defaults
applied): graphql-core's argument readers take them wrapped in its `VariableValues`, while
Strawberry's info carries the plain dict. Type conditions are ignored: the planned fields live on
the `Component` interface, so fetching them for every type costs nothing extra.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLIncludeDirective,
    GraphQLInterfaceType,
    GraphQLSkipDirective,
    InlineFragmentNode,
    SelectionSetNode,
)
from graphql.execution.values import VariableValues, get_argument_values, get_directive_values
from strawberry.types.arguments import convert_arguments
from strawberry.types.base import get_object_definition

from sfm_graphql.db.plan import (
    COMPONENT_PROPERTIES,
    DELIVERY_PROPERTIES,
    ComponentPlan,
    ConnectionPlan,
    DeliveryPlan,
)
from sfm_graphql.errors import LimitExceeded
from sfm_graphql.graphql import convert
from sfm_graphql.graphql.types.components import Component

if TYPE_CHECKING:
    from sfm_graphql.graphql.context import Info

MAX_PLAN_DEPTH = 12
_CONNECTIONS = {"outgoing": "OUTGOING", "incoming": "INCOMING"}


def _variable_values(values: Any) -> VariableValues:
    """graphql-core's container around the coerced variables of the operation."""
    if isinstance(values, VariableValues):
        return values
    # `sources` only matters for fragment variables, which the service does not enable.
    return VariableValues(sources={}, coerced=dict(values or {}))


class Planner:
    def __init__(self, info: Info) -> None:
        raw = info._raw_info
        self._fragments = raw.fragments
        self._variables = _variable_values(raw.variable_values)
        self._settings = info.context.settings
        component = raw.schema.get_type("Component")
        assert isinstance(component, GraphQLInterfaceType)
        self._component_fields = component.fields
        self.root_nodes: list[FieldNode] = list(raw.field_nodes)
        self._info = info
        self._scalars = info.schema.schema_converter.scalar_registry
        self._config = info.schema.config
        definition = get_object_definition(Component, strict=True)
        self._strawberry_args = {
            name: definition.get_field(name).arguments  # type: ignore[union-attr]
            for name in _CONNECTIONS
        }

    # -- AST walking -----------------------------------------------------------------------------

    def _included(self, node: Any) -> bool:
        skip = get_directive_values(GraphQLSkipDirective, node, self._variables)
        if skip and skip.get("if") is True:
            return False
        include = get_directive_values(GraphQLIncludeDirective, node, self._variables)
        return not (include and include.get("if") is False)

    def _collect(
        self, selection_set: SelectionSetNode | None, out: dict[str, list[FieldNode]]
    ) -> None:
        if selection_set is None:
            return
        for selection in selection_set.selections:
            if not self._included(selection):
                continue
            if isinstance(selection, FieldNode):
                key = (selection.alias or selection.name).value
                out.setdefault(key, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                self._collect(selection.selection_set, out)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self._fragments.get(selection.name.value)
                if fragment is not None:
                    self._collect(fragment.selection_set, out)

    def children(self, nodes: list[FieldNode]) -> dict[str, list[FieldNode]]:
        """Sub-fields of all `nodes` merged, by response key."""
        out: dict[str, list[FieldNode]] = {}
        for node in nodes:
            self._collect(node.selection_set, out)
        return out

    def descend(self, nodes: list[FieldNode], *path: str) -> list[FieldNode]:
        """The field nodes reached by following field names (not aliases) from `nodes`."""
        for name in path:
            nodes = [
                n for group in self.children(nodes).values() for n in group if n.name.value == name
            ]
        return nodes

    def selects(self, nodes: list[FieldNode], name: str) -> bool:
        return any(n.name.value == name for group in self.children(nodes).values() for n in group)

    # -- plans -----------------------------------------------------------------------------------

    def component_plan(self, nodes: list[FieldNode], depth: int = 0) -> ComponentPlan:
        if depth > MAX_PLAN_DEPTH:
            raise LimitExceeded(f"Selections may nest at most {MAX_PLAN_DEPTH} connections deep")
        connections: dict[str, ConnectionPlan] = {}
        fields: set[str] = set()
        for key, group in self.children(nodes).items():
            name = group[0].name.value
            if name in _CONNECTIONS:
                connections[key] = self.connection_plan(name, group, depth + 1)
            elif name in COMPONENT_PROPERTIES:
                # GraphQL field names are the property names (fields such as `type` or
                # `__typename` read what every component carries anyway).
                fields.add(name)
        return ComponentPlan(connections=connections, fields=frozenset(fields))

    def connection_plan(self, name: str, group: list[FieldNode], depth: int = 0) -> ConnectionPlan:
        """The plan of one `outgoing`/`incoming` field (all nodes of one response key)."""
        # graphql-core coerces the values; Strawberry turns them into the same typed inputs
        # a resolver receives.
        coerced = get_argument_values(self._component_fields[name], group[0], self._variables)
        args = convert_arguments(
            coerced, self._strawberry_args[name], self._scalars, self._config, self._info
        )
        return ConnectionPlan(
            direction="OUTGOING" if name == "outgoing" else "INCOMING",
            page=convert.delivery_page(self._settings, args),
            filter=convert.delivery_filter(args.get("filter")),
            total=self.selects(group, "totalCount"),
            delivery=self.delivery_plan(self.descend(group, "edges", "node"), depth),
        )

    def delivery_plan(self, nodes: list[FieldNode], depth: int = 0) -> DeliveryPlan:
        source = self.descend(nodes, "source")
        target = self.descend(nodes, "target")
        selected = {n.name.value for group in self.children(nodes).values() for n in group}
        return DeliveryPlan(
            source=self.component_plan(source, depth) if source else None,
            target=self.component_plan(target, depth) if target else None,
            fields=frozenset(selected & DELIVERY_PROPERTIES),
        )
