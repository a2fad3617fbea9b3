"""tools/audit_deps.py, the dependency vulnerability scan of `make lint`: fails on a known
vulnerability outside the allow-list, never passes an expired exception, and says so plainly
when the service could not be asked (docs/security.md, Dependency vulnerabilities)."""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from tests.paths import ROOT

TODAY = dt.date(2026, 12, 2)


def _tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("audit_deps", ROOT / "tools" / "audit_deps.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["audit_deps"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


audit = _tool()

VULN = {
    "id": "GHSA-aaaa-bbbb-cccc",
    "aliases": ["CVE-2026-0001"],
    "fix_versions": ["2.0.1"],
    "description": "request smuggling",
}


def report(*deps: dict[str, Any]) -> dict[str, Any]:
    return {"dependencies": list(deps), "fixes": []}


def allow(text: str) -> list[Any]:
    entries, problems = audit.read_allowlist(text, TODAY)
    assert problems == []
    return list(entries)


ENTRY = """
[[allow]]
id = "CVE-2026-0001"
package = "Starlette"
reason = "the vulnerable parser is not used"
expires = 2027-01-31
"""


def test_a_vulnerability_fails_the_check() -> None:
    verdict = audit.judge(
        report(
            {"name": "starlette", "version": "2.0.0", "vulns": [VULN]},
            {"name": "redis", "version": "8.1.0", "vulns": []},
        ),
        "",
        [],
    )
    assert verdict.code == 1
    assert any(
        "VULNERABLE: starlette 2.0.0 GHSA-aaaa-bbbb-cccc (fixed in 2.0.1)" in line
        for line in verdict.lines
    )


def test_an_allow_listed_vulnerability_passes_by_any_alias() -> None:
    verdict = audit.judge(
        report({"name": "starlette", "version": "2.0.0", "vulns": [VULN]}), "", allow(ENTRY)
    )
    assert verdict.code == 0
    assert any("allowed until 2027-01-31" in line for line in verdict.lines)


def test_an_exception_for_another_package_does_not_cover_it() -> None:
    other = ENTRY.replace('"Starlette"', '"uvicorn"')
    verdict = audit.judge(
        report({"name": "starlette", "version": "2.0.0", "vulns": [VULN]}), "", allow(other)
    )
    assert verdict.code == 1


def test_expired_unexplained_or_endless_exceptions_are_refused() -> None:
    text = (
        ENTRY.replace("2027-01-31", "2026-11-30")
        + '[[allow]]\nid = "PYSEC-1"\npackage = "x"\nexpires = 2027-01-01\n'
        + '[[allow]]\nid = "PYSEC-2"\npackage = "x"\nreason = "r"\nexpires = 2029-01-01\n'
        + '[[allow]]\nid = "PYSEC-3"\npackage = "x"\nreason = "r"\nexpires = "soon"\n'
    )
    entries, problems = audit.read_allowlist(text, TODAY)
    assert entries == []
    assert [p.split(": ", 1)[1] for p in problems] == [
        "expired on 2026-11-30; fix the dependency or renew it",
        "needs reason",
        "expires more than a year ahead (2029-01-01)",
        "expires must be a date such as 2027-01-31",
    ]


def test_nothing_looked_up_is_not_reported_as_clean() -> None:
    skipped = {
        "name": "redis",
        "skip_reason": "Dependency not found on PyPI and could not be audited",
    }
    verdict = audit.judge(report(skipped, dict(skipped, name="neo4j")), "", [])
    assert verdict.code == audit.NOT_RUN
    assert verdict.lines[0].startswith("NOT RUN: the vulnerability service answered for none of 2")
    assert audit.judge(None, "ConnectionError", []).code == audit.NOT_RUN


def test_the_shipped_allowlist_is_valid() -> None:
    text = (ROOT / "tools" / "pip-audit-allowlist.toml").read_text(encoding="utf-8")
    _, problems = audit.read_allowlist(text, dt.date.today())
    assert problems == []


def run_tool(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("idna==3.10\n", encoding="utf-8")
    return subprocess.run(
        [
            sys.executable,
            str(ROOT / "tools" / "audit_deps.py"),
            "--requirements",
            str(requirements),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        env={**os.environ, **env},
    )


def test_an_unreachable_service_is_said_and_fails_only_when_required(tmp_path: Path) -> None:
    # A proxy on a closed loopback port: every lookup fails to connect, deterministically.
    unreachable = {"HTTPS_PROXY": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9"}
    done = run_tool(tmp_path, unreachable)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "NOT RUN: pip-audit could not query the service" in done.stdout
    assert "the dependency scan did not run" in done.stdout
    required = run_tool(tmp_path, {**unreachable, "SFM_AUDIT_REQUIRED": "1"})
    assert required.returncode == audit.NOT_RUN
