"""The runbooks under docs/operations/ stay true to what they describe.

Every alert of deploy/prometheus/alerts.yml has a section in alerts.md, every check `/readyz`
reports has one in troubleshooting.md, and every `sfm-graphql <subcommand>` the runbooks tell
an operator to type is a subcommand of the real CLI. Names are read from the sources (the rules
file, the AST of http/health.py, the argparse parser), so a new alert, check or renamed command
fails here until the runbooks follow.
"""

from __future__ import annotations

import argparse
import ast
import re
from pathlib import Path

import yaml

from sfm_graphql.cli import build_parser
from tests.paths import ROOT

OPERATIONS = ROOT / "docs" / "operations"
HEADING = re.compile(r"^#{1,6}[ \t]+(.+?)[ \t]*#*[ \t]*$", re.MULTILINE)
# `sfm-graphql <word>` as a command: possibly after a path (.venv/bin/), never part of a longer
# name (sfm-graphql-secrets, sfm-sfm-graphql) nor the chart's directory (helm/sfm-graphql), and
# not the Vault path of `vault kv patch … sfm-graphql api_key_pepper=…` (a field, not a word).
COMMAND = re.compile(r"(?<![\w.-])((?:[\w.]+/)*)sfm-graphql[ \t]+([a-z][a-z-]*)(?![\w=@.])")


def headings(path: Path) -> set[str]:
    """Heading texts of a Markdown file, code spans unwrapped (## `neo4j` is `neo4j`)."""
    text = _without_fences(path.read_text(encoding="utf-8"))
    return {match.group(1).replace("`", "").strip() for match in HEADING.finditer(text)}


def alert_names() -> list[str]:
    rules = yaml.safe_load((ROOT / "deploy" / "prometheus" / "alerts.yml").read_text())
    return [
        rule["alert"] for group in rules["groups"] for rule in group["rules"] if "alert" in rule
    ]


def readyz_check_names() -> set[str]:
    """The keys of every `checks` dict literal in http/health.py's `readyz`."""
    tree = ast.parse((ROOT / "sfm_graphql" / "http" / "health.py").read_text())
    readyz = next(
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.AsyncFunctionDef) and node.name == "readyz"
    )
    return {
        key.value
        for node in ast.walk(readyz)
        if isinstance(node, ast.Dict)
        for key in node.keys
        if isinstance(key, ast.Constant) and isinstance(key.value, str)
    }


def cli_subcommands() -> set[str]:
    parser = build_parser()
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return {name for action in actions for name in action.choices}


def commands_in_runbooks() -> dict[str, set[str]]:
    """`sfm-graphql <subcommand>` in each runbook, code blocks and prose alike."""
    found: dict[str, set[str]] = {}
    for path in sorted(OPERATIONS.glob("*.md")):
        for match in COMMAND.finditer(path.read_text(encoding="utf-8")):
            if match.group(1).rstrip("/").endswith("helm"):
                continue  # the chart directory: `helm install sfm helm/sfm-graphql`
            found.setdefault(path.name, set()).add(match.group(2))
    return found


def _without_fences(text: str) -> str:
    """Drop fenced code blocks (a `# comment` in a shell block is not a heading)."""
    out: list[str] = []
    inside = False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            inside = not inside
            continue
        if not inside:
            out.append(line)
    return "\n".join(out)


def test_every_alert_has_a_section_in_alerts_md() -> None:
    names = alert_names()
    assert len(names) >= 6  # the rules file was read, not an empty list
    missing = sorted(set(names) - headings(OPERATIONS / "alerts.md"))
    assert not missing, f"alerts without a heading in docs/operations/alerts.md: {missing}"


def test_every_readyz_check_has_a_section_in_troubleshooting_md() -> None:
    names = readyz_check_names()
    assert {"neo4j", "migrations", "redis"} <= names  # the AST reading found the checks
    missing = sorted(names - headings(OPERATIONS / "troubleshooting.md"))
    assert not missing, f"/readyz checks without a heading in troubleshooting.md: {missing}"


def test_troubleshooting_covers_startupz_and_common_errors() -> None:
    titles = headings(OPERATIONS / "troubleshooting.md")
    assert {"/startupz", "SERVICE_UNAVAILABLE", "RATE_LIMITED"} <= titles


def test_runbook_commands_are_real_subcommands() -> None:
    real = cli_subcommands()
    assert {"serve", "migrate", "backup", "restore"} <= real
    found = commands_in_runbooks()
    assert found, "no `sfm-graphql <subcommand>` found in docs/operations/"
    unknown = {name: sorted(cmds - real) for name, cmds in found.items() if cmds - real}
    assert not unknown, f"runbooks name subcommands the CLI does not have: {unknown}"


def test_the_command_pattern_ignores_names_that_are_not_commands() -> None:
    text = (
        "helm install sfm helm/sfm-graphql --set x=1\n"
        "kubectl create secret generic sfm-graphql-secrets\n"
        "kubectl rollout status deployment/sfm-sfm-graphql\n"
        ".venv/bin/sfm-graphql token --role admin\n"
        "vault kv patch -mount=secret sfm-graphql api_key_pepper=x jwt_active_kid=k2\n"
        "run `sfm-graphql migrate` first\n"
    )
    hits = [m.group(2) for m in COMMAND.finditer(text) if not m.group(1).endswith("helm/")]
    assert hits == ["token", "migrate"]
