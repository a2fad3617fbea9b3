"""Every third-party import in sfm_graphql/ is a declared runtime dependency.

The image installs `[project.dependencies]` only (no dev group), so an import served by a dev
dependency, or by a package that merely happens to be pulled in by another one, works in the
test environment and dies with ModuleNotFoundError in production. Every module is read as an
AST, function-level imports included; an optional extra (`[project.optional-dependencies]`) may
be imported only inside `try: ... except ImportError`.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from dataclasses import dataclass
from importlib import metadata

import pytest

from tests.paths import ROOT

PACKAGE = ROOT / "sfm_graphql"
IMPORT_ERRORS = {"ImportError", "ModuleNotFoundError"}


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(requirement: str) -> str:
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    assert match, f"unreadable requirement {requirement!r}"
    return _normalise(match.group(1))


def _declared() -> tuple[set[str], set[str]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime = {_requirement_name(r) for r in project["dependencies"]}
    extras = {
        _requirement_name(r)
        for requirements in project.get("optional-dependencies", {}).values()
        for r in requirements
    }
    return runtime, extras - runtime


@dataclass(frozen=True)
class ImportSite:
    module: str  # the full dotted name imported
    where: str  # file:line
    guarded: bool  # inside a try whose handlers catch ImportError


class _ImportCollector(ast.NodeVisitor):
    def __init__(self, where: str) -> None:
        self.where = where
        self.sites: list[ImportSite] = []
        self._guard_depth = 0

    def visit_Try(self, node: ast.Try) -> None:
        catches = any(_catches_import_error(h) for h in node.handlers)
        self._guard_depth += catches
        for statement in node.body:
            self.visit(statement)
        self._guard_depth -= catches
        for part in (*node.handlers, *node.orelse, *node.finalbody):
            self.visit(part)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(alias.name, node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level == 0 and node.module:  # relative imports are our own
            # `from opentelemetry import trace` imports the submodule opentelemetry.trace, which
            # in a namespace package is what names the distribution.
            for alias in node.names:
                self._add(f"{node.module}.{alias.name}", node)

    def _add(self, module: str, node: ast.stmt) -> None:
        self.sites.append(
            ImportSite(module, f"{self.where}:{node.lineno}", guarded=self._guard_depth > 0)
        )


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    names = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(isinstance(n, ast.Name) and n.id in IMPORT_ERRORS for n in names)


def _third_party_imports() -> list[ImportSite]:
    sites: list[ImportSite] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        collector = _ImportCollector(str(path.relative_to(ROOT)))
        collector.visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        sites.extend(collector.sites)
    top_level = {site.module.partition(".")[0] for site in sites}
    assert "strawberry" in top_level, "the walk found none of the known imports"
    return [
        s
        for s in sites
        if (top := s.module.partition(".")[0]) not in sys.stdlib_module_names
        and top not in {"sfm_graphql", "__future__"}
    ]


def _distribution_of(module: str) -> str | None:
    """The installed distribution providing `module` (namespace packages resolved by file)."""
    candidates = metadata.packages_distributions().get(module.partition(".")[0], [])
    if len(set(candidates)) <= 1:
        return _normalise(candidates[0]) if candidates else None
    # A namespace package (opentelemetry.*): the longest dotted prefix some distribution holds.
    # (`from a.b import name` was recorded as a.b.name; a name that is no module falls back to a.b.)
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        stem = "/".join(parts[:end])
        owners = {
            _normalise(name)
            for name in set(candidates)
            if any(
                str(f) in (f"{stem}.py", f"{stem}/__init__.py") or str(f).startswith(f"{stem}/")
                for f in metadata.distribution(name).files or []
            )
        }
        if len(owners) == 1:
            return owners.pop()
    return None


def test_every_third_party_import_is_a_declared_runtime_dependency() -> None:
    runtime, extras = _declared()
    problems = []
    for site in _third_party_imports():
        distribution = _distribution_of(site.module)
        if distribution is None:
            problems.append(f"{site.where}: {site.module} comes from no installed distribution")
        elif distribution in runtime or (distribution in extras and site.guarded):
            continue
        elif distribution in extras:
            problems.append(
                f"{site.where}: {site.module} is the optional extra {distribution}; "
                "import it inside try/except ImportError"
            )
        else:
            problems.append(
                f"{site.where}: {site.module} comes from {distribution}, "
                "not a [project.dependencies] entry"
            )
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("source", "guarded"),
    [
        ("import sentry_sdk", False),
        ("def f():\n    import sentry_sdk", False),
        ("try:\n    import sentry_sdk\nexcept ImportError:\n    pass", True),
        ("try:\n    import sentry_sdk\nexcept (ValueError, ModuleNotFoundError):\n    pass", True),
        ("try:\n    import sentry_sdk\nexcept ValueError:\n    pass", False),
        ("try:\n    pass\nexcept ImportError:\n    import sentry_sdk", False),
        ("try:\n    from sentry_sdk import init\nexcept ImportError:\n    pass", True),
    ],
)
def test_guarded_import_detection(source: str, guarded: bool) -> None:
    collector = _ImportCollector("x.py")
    collector.visit(ast.parse(source))
    assert [s.guarded for s in collector.sites] == [guarded]


def test_namespace_packages_resolve_to_their_own_distribution() -> None:
    assert _distribution_of("opentelemetry.trace") == "opentelemetry-api"
    assert _distribution_of("opentelemetry.sdk.trace") == "opentelemetry-sdk"
    assert _distribution_of("opentelemetry.instrumentation.asgi") == (
        "opentelemetry-instrumentation-asgi"
    )
    # A dev-only distribution is seen as such, not as a runtime one.
    runtime, _ = _declared()
    assert _distribution_of("hypothesis") == "hypothesis"
    assert "hypothesis" not in runtime
