"""Validate rendered Kubernetes manifests offline; fail on anything that cannot be validated.

Built-in kinds go through kubernetes-validate (strict: an unknown field fails). The Prometheus
Operator's kinds (PrometheusRule, ServiceMonitor) are custom resources whose schemas
kubernetes-validate does not have: they are validated against the schemas in tools/k8s-schemas/,
and a PrometheusRule's rules are checked by `promtool check rules` as well. A kind with no schema
here fails the check instead of passing with a warning.

usage: python tools/validate_manifests.py --kube-version 1.30.0 FILE_OR_DIR...
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate.utils as kv
import yaml

SCHEMAS = Path(__file__).resolve().parent / "k8s-schemas"
CUSTOM_KINDS = {
    ("monitoring.coreos.com/v1", "PrometheusRule"): "prometheusrule-monitoring-v1.json",
    ("monitoring.coreos.com/v1", "ServiceMonitor"): "servicemonitor-monitoring-v1.json",
}


def documents(paths: list[Path]) -> list[tuple[Path, dict[str, Any]]]:
    found = []
    for path in paths:
        files = sorted(path.rglob("*.yaml")) if path.is_dir() else [path]
        for file in files:
            found += [(file, d) for d in yaml.safe_load_all(file.read_text(encoding="utf-8")) if d]
    return found


def check_custom(doc: dict[str, Any], schema_file: str) -> list[str]:
    schema = json.loads((SCHEMAS / schema_file).read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    problems = [
        f"{'.'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
        for e in validator.iter_errors(doc)
    ]
    if not problems and doc["kind"] == "PrometheusRule":
        problems += promtool_check(doc["spec"])
    return problems


def promtool_check(spec: dict[str, Any]) -> list[str]:
    promtool = shutil.which("promtool")
    if promtool is None:
        return ["promtool is missing (make promtool) so the rules could not be checked"]
    with tempfile.NamedTemporaryFile("w", suffix=".yml", encoding="utf-8") as rules:
        yaml.safe_dump(spec, rules)
        rules.flush()
        done = subprocess.run(  # noqa: S603 (promtool from PATH on a file written here)
            [promtool, "check", "rules", rules.name], capture_output=True, text=True, check=False
        )
    return [] if done.returncode == 0 else [f"promtool check rules: {done.stdout}{done.stderr}"]


def check_builtin(doc: dict[str, Any], version: str) -> list[str]:
    try:
        kv.validate(doc, version, strict=True)
    except kv.ValidationError as exc:
        return [f"{'.'.join(map(str, exc.path)) or '(root)'}: {exc.message}"]
    except kv.SchemaNotFoundError as exc:
        return [f"no schema, so not validated: {exc.message}"]
    return []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kube-version", required=True)
    parser.add_argument("paths", nargs="+", type=Path)
    args = parser.parse_args(argv)
    failures = 0
    kinds: Counter[str] = Counter()
    for file, doc in documents(args.paths):
        key = (doc.get("apiVersion", ""), doc.get("kind", ""))
        kinds[key[1]] += 1
        schema_file = CUSTOM_KINDS.get(key)
        if schema_file is not None:
            problems = check_custom(doc, schema_file)
        else:
            problems = check_builtin(doc, args.kube_version)
        name = f"{key[1]}/{doc.get('metadata', {}).get('name', '?')}"
        for problem in problems:
            print(f"ERROR {file}: {name}: {problem}")
        failures += bool(problems)
    summary = ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items()))
    print(f"validated {sum(kinds.values())} manifests ({summary}); {failures} failed")
    return 1 if failures or not kinds else 0


if __name__ == "__main__":
    sys.exit(main())
