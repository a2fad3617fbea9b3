"""Scan the locked runtime dependencies for known vulnerabilities (pip-audit, PyPI's service).

The runtime requirements come from uv.lock (`uv export --frozen --no-dev`, extras included: the
image's set plus the optional sentry-sdk). pip-audit looks each pinned version up in PyPI's
vulnerability data. Outcomes (docs/security.md, "Dependency vulnerabilities"):

- exit 1: a vulnerability not in the allow-list, or an allow-list entry that is expired,
  malformed or longer than a year;
- exit 0 with "NOT RUN": the service could not be reached or answered for no package. pip-audit
  itself then says "No known vulnerabilities found", which would be a lie; this says it could not
  check. With SFM_AUDIT_REQUIRED=1 (a CI that reaches the service) that exits 3 instead;
- exit 0: every package was looked up and nothing unallowed was found (packages the service
  does not know are listed).

usage: python tools/audit_deps.py [--allowlist FILE] [--requirements FILE]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
ALLOWLIST = ROOT / "tools" / "pip-audit-allowlist.toml"
MAX_EXCEPTION_DAYS = 366
NOT_RUN, FOUND = 3, 1


@dataclass(frozen=True)
class AllowedVuln:
    id: str
    package: str
    reason: str
    expires: dt.date


@dataclass
class Verdict:
    code: int
    lines: list[str]


def read_allowlist(text: str, today: dt.date) -> tuple[list[AllowedVuln], list[str]]:
    """The valid entries, and a problem for each entry that is not."""
    entries, problems = [], []
    for n, raw in enumerate(tomllib.loads(text).get("allow", []), start=1):
        where = f"allow-list entry {n} ({raw.get('id', '?')})"
        missing = [k for k in ("id", "package", "reason", "expires") if not raw.get(k)]
        if missing:
            problems.append(f"{where}: needs {', '.join(missing)}")
            continue
        expires = raw["expires"]
        if not isinstance(expires, dt.date):
            problems.append(f"{where}: expires must be a date such as 2027-01-31")
        elif expires < today:
            problems.append(f"{where}: expired on {expires}; fix the dependency or renew it")
        elif (expires - today).days > MAX_EXCEPTION_DAYS:
            problems.append(f"{where}: expires more than a year ahead ({expires})")
        else:
            entries.append(AllowedVuln(raw["id"], raw["package"].lower(), raw["reason"], expires))
    return entries, problems


def judge(report: dict[str, Any] | None, error: str, allowed: list[AllowedVuln]) -> Verdict:
    """What pip-audit's JSON report (None when it produced none) means for the build."""
    if report is None:
        return Verdict(NOT_RUN, [f"NOT RUN: pip-audit could not query the service: {error}"])
    deps = report.get("dependencies", [])
    audited = [d for d in deps if "skip_reason" not in d]
    skipped = [d for d in deps if "skip_reason" in d]
    if not audited:
        sample = skipped[0]["skip_reason"] if skipped else "no dependencies"
        return Verdict(
            NOT_RUN,
            [
                f"NOT RUN: the vulnerability service answered for none of {len(deps)} "
                f"packages (e.g. {sample}); nothing was checked"
            ],
        )
    lines = [f"audited {len(audited)} of {len(deps)} locked runtime packages"]
    lines += [f"  not audited: {d['name']}: {d['skip_reason']}" for d in skipped]
    found = 0
    for dep in audited:
        for vuln in dep.get("vulns", []):
            ids = {vuln["id"], *vuln.get("aliases", [])}
            match = next(
                (e for e in allowed if e.id in ids and e.package == dep["name"].lower()), None
            )
            fixed = ", ".join(vuln.get("fix_versions", [])) or "none yet"
            if match:
                lines.append(
                    f"  allowed until {match.expires}: {dep['name']} {dep['version']} "
                    f"{vuln['id']}: {match.reason}"
                )
            else:
                found += 1
                lines.append(
                    f"  VULNERABLE: {dep['name']} {dep['version']} {vuln['id']} "
                    f"(fixed in {fixed}): {vuln.get('description', '')[:200]}"
                )
    lines.append(f"{found} vulnerabilit{'y' if found == 1 else 'ies'} not in the allow-list")
    return Verdict(FOUND if found else 0, lines)


def export_requirements(target: Path) -> None:
    uv = shutil.which("uv")
    command = [uv] if uv else [sys.executable, "-m", "uv"]
    command += ["export", "--frozen", "--no-dev", "--all-extras", "--no-hashes"]
    command += ["--no-emit-project", "--quiet", "--output-file", str(target)]
    subprocess.run(command, cwd=ROOT, check=True, timeout=120)  # noqa: S603


def run_pip_audit(requirements: Path) -> tuple[dict[str, Any] | None, str]:
    pip_audit = Path(sys.executable).with_name("pip-audit")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        command = [str(pip_audit), "--requirement", str(requirements), "--no-deps"]
        command += ["--disable-pip", "--vulnerability-service", "pypi", "--format", "json"]
        command += ["--output", str(out), "--progress-spinner", "off", "--timeout", "20"]
        done = subprocess.run(  # noqa: S603 (our own venv's pip-audit)
            command,
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )
        if out.exists() and out.stat().st_size:
            report: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
            return report, ""
    last = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
    return None, last[:300]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--allowlist", type=Path, default=ALLOWLIST)
    parser.add_argument("--requirements", type=Path, help="default: exported from uv.lock")
    args = parser.parse_args(argv)
    allowed, problems = read_allowlist(args.allowlist.read_text(encoding="utf-8"), dt.date.today())
    for problem in problems:
        print(f"ERROR {args.allowlist.name}: {problem}")
    with tempfile.TemporaryDirectory() as tmp:
        requirements = args.requirements or Path(tmp) / "requirements.txt"
        if args.requirements is None:
            export_requirements(requirements)
        verdict = judge(*run_pip_audit(requirements), allowed)
    print("\n".join(verdict.lines))
    if problems:
        return FOUND
    if verdict.code == NOT_RUN:
        required = os.environ.get("SFM_AUDIT_REQUIRED") == "1"
        print("the dependency scan did not run" + (" and SFM_AUDIT_REQUIRED=1" if required else ""))
        return NOT_RUN if required else 0
    return verdict.code


if __name__ == "__main__":
    sys.exit(main())
