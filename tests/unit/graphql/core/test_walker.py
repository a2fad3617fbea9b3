"""The document walker: fragments expanded, aliases kept, directives honoured only with variables."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from graphql import FieldNode, OperationDefinitionNode, parse
from graphql.execution.values import VariableValues

from sfm_graphql.graphql.core.walker import (
    TooComplex,
    Walker,
    every_field,
    fragments_of,
    response_key,
    select_operation,
)
from sfm_graphql.graphql.schema import build_schema

SCHEMA = build_schema()._schema
PACKAGE = Path(__file__).resolve().parents[4] / "sfm_graphql"
DOCUMENT = """
query Q($hide: Boolean!, $show: Boolean = true) {
  components(first: 2) {
    totalCount
    edges { node { ...Named  first: outgoing(first: 1) { totalCount } } }
  }
  hidden: node(id: "x") @skip(if: $hide) { id }
  ... on Query { deliveryKinds { kind } }
  ... @include(if: $show) { kept: deliveryKinds { family } }
}
fragment Named on Component {
  label
  ... on Actor { sector }
  second: outgoing(first: 2) @include(if: $hide) { totalCount }
}
"""


def _walk(variables: dict[str, object] | None) -> tuple[Walker, OperationDefinitionNode]:
    document = parse(DOCUMENT)
    operation = select_operation(document, None)
    assert operation is not None
    wrapped = None if variables is None else VariableValues(sources={}, coerced=variables)
    return Walker(fragments_of(document), variables=wrapped, schema=SCHEMA), operation


def _keys(fields: list[tuple[FieldNode, object]]) -> list[str]:
    return [response_key(node) for node, _ in fields]


def test_root_fields_expand_inline_fragments_and_keep_aliases() -> None:
    walker, operation = _walk(None)
    keys = _keys(walker.fields(operation.selection_set, SCHEMA.query_type))
    assert keys == ["components", "hidden", "deliveryKinds", "kept"]


def test_directives_are_honoured_with_the_coerced_variables() -> None:
    walker, operation = _walk({"hide": True, "show": False})
    assert _keys(walker.fields(operation.selection_set)) == ["components", "deliveryKinds"]
    walker, operation = _walk({"hide": False, "show": True})
    assert _keys(walker.fields(operation.selection_set)) == [
        "components",
        "hidden",
        "deliveryKinds",
        "kept",
    ]


def test_without_variables_every_selection_counts() -> None:
    walker, operation = _walk(None)
    node = walker.descend(list(_root(walker, operation)), "edges", "node")
    assert list(walker.merged(node)) == ["label", "sector", "second", "first"]


def test_named_fragments_expand_and_name_the_type_condition() -> None:
    walker, operation = _walk({"hide": False, "show": True})
    (node,) = walker.descend(list(_root(walker, operation)), "edges", "node")
    found = {
        response_key(f): getattr(t, "name", None) for f, t in walker.fields(node.selection_set)
    }
    assert found == {"label": "Component", "sector": "Actor", "first": None}


def test_descend_follows_names_and_selects_sees_through_aliases() -> None:
    walker, operation = _walk({"hide": True, "show": True})
    root = list(_root(walker, operation))
    nodes = walker.descend(root, "edges", "node")
    assert walker.selects(nodes, "outgoing")  # as `first` and `second`
    merged = walker.merged(nodes)
    assert [n.name.value for n in merged["first"] + merged["second"]] == ["outgoing", "outgoing"]


def test_spreads_past_the_limit_are_refused() -> None:
    document = parse(
        "{ ...A ...A } fragment A on Query { ...B ...B } fragment B on Query { ...C ...C } "
        "fragment C on Query { deliveryKinds { kind } }"
    )
    operation = select_operation(document, None)
    assert operation is not None
    assert len(Walker(fragments_of(document)).fields(operation.selection_set)) == 8
    with pytest.raises(TooComplex):
        Walker(fragments_of(document), max_expansions=13).fields(operation.selection_set)


def test_the_operation_is_chosen_by_name_or_by_being_the_only_one() -> None:
    document = parse("query A { __typename } mutation B { __typename }")
    assert select_operation(document, None) is None
    chosen = select_operation(document, "B")
    assert chosen is not None and chosen.operation.value == "mutation"
    assert select_operation(document, "C") is None
    assert select_operation(None, "A") is None


def test_every_field_reaches_unused_fragments_too() -> None:
    document = parse("{ a: __typename } fragment F on Query { x: node(id: 1) { __schema: id } }")
    assert sorted(n.name.value for n in every_field(document)) == ["__typename", "id", "node"]


def _root(walker: Walker, operation: OperationDefinitionNode) -> list[FieldNode]:
    return [n for n, _ in walker.fields(operation.selection_set) if n.name.value == "components"]


def _runtime_imports(path: Path) -> set[str]:
    """Project modules `path` imports at run time, function-level imports included."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    type_checking = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and ast.unparse(block.test) == "TYPE_CHECKING"
        for stmt in block.body
        for node in ast.walk(stmt)
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in type_checking:
            continue
        if (
            isinstance(node, ast.ImportFrom)
            and node.module
            and node.module.startswith("sfm_graphql")
        ):
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("sfm_graphql"))
    return found


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_the_graphql_package_has_no_import_circle() -> None:
    paths = sorted((PACKAGE / "graphql").rglob("*.py"))
    modules = {_module(p): p for p in paths}
    graph = {
        m: {d for d in _runtime_imports(p) if d in modules and d != m} for m, p in modules.items()
    }
    state: dict[str, str] = {}

    def visit(module: str, trail: list[str]) -> None:
        state[module] = "open"
        for dep in sorted(graph[module]):
            if state.get(dep) == "open":
                raise AssertionError(" -> ".join([*trail[trail.index(dep) :], dep]))
            if dep not in state:
                visit(dep, [*trail, dep])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])


def test_the_walker_depends_on_no_project_module() -> None:
    assert _runtime_imports(PACKAGE / "graphql" / "core" / "walker.py") == set()
