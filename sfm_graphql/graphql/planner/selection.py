"""GraphQL selection sets to plans, so one Cypher statement answers a whole root field.

The planner reads the operation's selection through the document walker (`walker.py`: fragments
expanded, `@skip`/`@include` honoured with the operation's variables) and nested arguments with
graphql-core's own coercion, so nested fields get exactly the typed values a resolver would.
Variables come from the resolver's info, already coerced (defaults applied): graphql-core's
argument readers take them wrapped in its `VariableValues`, while Strawberry's info carries the
plain dict. Type conditions are ignored: the planned fields live on
the `Component` interface, so fetching them for every type costs nothing extra.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

from graphql import FieldNode, GraphQLInterfaceType
from graphql.execution.values import VariableValues, get_argument_values
from strawberry.types.arguments import StrawberryArgument, convert_arguments

from sfm_graphql.db.plan import (
    COMPONENT_PROPERTIES,
    DELIVERY_PROPERTIES,
    ComponentPlan,
    ConnectionPlan,
    DeliveryPlan,
)
from sfm_graphql.errors import LimitExceeded
from sfm_graphql.graphql.core.walker import Walker
from sfm_graphql.graphql.planner import convert

if TYPE_CHECKING:
    from sfm_graphql.graphql.core.context import Info

MAX_PLAN_DEPTH = 12
_CONNECTIONS = {"outgoing": "OUTGOING", "incoming": "INCOMING"}


def _variable_values(values: dict[str, Any]) -> VariableValues:
    """graphql-core's container around the coerced variables of the operation."""
    # `sources` only matters for fragment variables, which the service does not enable.
    return VariableValues(sources={}, coerced=dict(values))


# Per schema: Strawberry's field lookup converts every field name of the type on each call.
_ARGUMENTS: weakref.WeakKeyDictionary[Any, dict[str, list[StrawberryArgument]]] = (
    weakref.WeakKeyDictionary()
)


def _connection_arguments(info: Info) -> dict[str, list[StrawberryArgument]]:
    """The Strawberry argument definitions of the `Component` connection fields."""
    schema = info.schema
    found = _ARGUMENTS.get(schema)
    if found is None:
        found = _ARGUMENTS[schema] = {
            name: field.arguments
            for name in _CONNECTIONS
            if (field := schema.get_field_for_type(name, "Component")) is not None
        }
    return found


class Planner:
    def __init__(self, info: Info) -> None:
        # Strawberry's Info has no public field nodes or fragments; graphql-core's resolve info
        # behind it is read here only (the Strawberry version is bounded in pyproject.toml).
        raw = info._raw_info
        self._variables = _variable_values(info.variable_values)
        self._walker = Walker(raw.fragments, variables=self._variables)
        self._settings = info.context.settings
        component = raw.schema.get_type("Component")
        assert isinstance(component, GraphQLInterfaceType)
        self._component_fields = component.fields
        self.root_nodes: list[FieldNode] = list(raw.field_nodes)
        self._info = info
        self._scalars = info.schema.schema_converter.scalar_registry
        self._config = info.schema.config
        self._strawberry_args = _connection_arguments(info)

    # -- the selection (graphql/core/walker.py expands fragments, honours @skip/@include) ----

    def children(self, nodes: list[FieldNode]) -> dict[str, list[FieldNode]]:
        """Sub-fields of all `nodes` merged, by response key."""
        return self._walker.merged(nodes)

    def descend(self, nodes: list[FieldNode], *path: str) -> list[FieldNode]:
        """The field nodes reached by following field names (not aliases) from `nodes`."""
        return self._walker.descend(nodes, *path)

    def selects(self, nodes: list[FieldNode], name: str) -> bool:
        return self._walker.selects(nodes, name)

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
            cursors=self.selects_cursors(group),
        )

    def selects_cursors(self, group: list[FieldNode]) -> bool:
        """Whether a connection's selection reads a cursor (of an edge or of its page)."""
        page_info = self.descend(group, "pageInfo")
        return self.selects(self.descend(group, "edges"), "cursor") or any(
            self.selects(page_info, name) for name in ("startCursor", "endCursor")
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
