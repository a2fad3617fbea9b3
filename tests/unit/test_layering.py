"""The import graph of sfm_graphql follows its layers (docs/architecture.md, Layers).

Every module is read as an AST, function-level imports and imports under `TYPE_CHECKING`
included: an import that only runs later still ties the two modules together. The graph has no
circle; the lower layers never import a higher one; every module stays small enough to read.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.paths import ROOT

PACKAGE = ROOT / "sfm_graphql"
MAX_LINES = 400

# A layer on the left imports nothing from the layers on the right.
FORBIDDEN = {
    "db": ("graphql", "http", "observability"),
    "security": ("graphql", "http", "observability"),
    "observability": ("http",),
}
# Inside graphql/, each domain folder imports only the folders listed for it (docs/architecture.md,
# "The GraphQL layer"): core <- planner <- graph <- the other domains; the modules at the top of
# graphql/ (the schema, node resolution, the role matrix) may import every folder.
GRAPHQL_FOLDERS: dict[str, frozenset[str]] = {
    "core": frozenset(),
    "planner": frozenset({"core"}),
    "graph": frozenset({"core", "planner"}),
    "access": frozenset({"core", "planner", "graph"}),
    "bulk": frozenset({"core", "planner", "graph"}),
    "matrices": frozenset({"core", "planner", "graph"}),
    "analytics": frozenset({"core", "planner", "graph"}),
    "scenarios": frozenset({"core", "planner", "graph", "analytics"}),
}
# Every circle fails (issue 10, knot 3 removed the last ones).
KNOWN_CIRCLES: list[list[str]] = []


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


MODULES = _modules()


def _resolve(name: str) -> str | None:
    """The sfm_graphql module an imported name lives in (a package's `__init__` for a package)."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def _imported(module: str, path: Path) -> Iterator[str]:
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # `from pkg import module` imports the module; `from module import name` the module.
            names = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for name in names:
            target = _resolve(name)
            if target is not None and target != module:
                yield target


def import_graph() -> dict[str, set[str]]:
    """Each sfm_graphql module and the sfm_graphql modules it imports."""
    graph = {module: set(_imported(module, path)) for module, path in MODULES.items()}
    # `from pkg import module` also names pkg/__init__.py, which is no real dependency edge
    # when the package's __init__ holds no code.
    for module, targets in graph.items():
        graph[module] = {t for t in targets if not _is_empty_package(t)}
    return graph


def _is_empty_package(module: str) -> bool:
    path = MODULES[module]
    if path.name != "__init__.py":
        return False
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return all(isinstance(node, ast.Expr) for node in tree.body)  # a docstring at most


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def find_circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return circles


def test_the_import_graph_has_no_circle() -> None:
    circles = find_circles(import_graph())
    assert [circle for circle in circles if circle not in KNOWN_CIRCLES] == []


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_a_lower_layer_imports_no_higher_one(layer: str) -> None:
    wrong = sorted(
        f"{module} imports {target}"
        for module, targets in import_graph().items()
        if _layer(module) == layer
        for target in targets
        if _layer(target) in FORBIDDEN[layer]
    )
    assert wrong == []


def _graphql_folder(module: str) -> str | None:
    parts = module.split(".")
    if parts[:2] != ["sfm_graphql", "graphql"] or len(parts) < 4:
        return None  # outside graphql/, or a module at its top
    return parts[2]


def test_the_graphql_folders_are_known() -> None:
    folders = {path.name for path in (PACKAGE / "graphql").iterdir() if path.is_dir()}
    assert folders - {"__pycache__"} == set(GRAPHQL_FOLDERS)


@pytest.mark.parametrize("folder", sorted(GRAPHQL_FOLDERS))
def test_a_graphql_folder_imports_only_the_folders_below_it(folder: str) -> None:
    wrong = sorted(
        f"{module} imports {target}"
        for module, targets in import_graph().items()
        if _graphql_folder(module) == folder
        for target in targets
        if target.startswith("sfm_graphql.graphql")
        and (found := _graphql_folder(target)) != folder
        and found not in GRAPHQL_FOLDERS[folder]
    )
    assert wrong == []


def test_every_module_is_short() -> None:
    long = {
        module: lines
        for module, path in MODULES.items()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def test_the_checks_see_function_level_and_relative_imports() -> None:
    """The reader itself: a circle made only by a function-level import is still found."""
    graph = {"sfm_graphql.a.x": {"sfm_graphql.a.y"}, "sfm_graphql.a.y": {"sfm_graphql.a.x"}}
    assert find_circles(graph) == [["sfm_graphql.a.x", "sfm_graphql.a.y"]]
    assert "sfm_graphql.graphql.schema" in import_graph()["sfm_graphql.app"]
