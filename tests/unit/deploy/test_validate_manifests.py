"""tools/validate_manifests.py, which tools/check-deploy.sh runs on the rendered chart: it fails on
what it cannot validate instead of passing it with a warning."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from tests.unit.deploy.helm_chart import ROOT, find, render

TOOL = ROOT / "tools" / "validate_manifests.py"


def validate(tmp_path: Path, *docs: dict[str, object]) -> subprocess.CompletedProcess[str]:
    manifest = tmp_path / "manifest.yaml"
    manifest.write_text(yaml.safe_dump_all(docs), encoding="utf-8")
    return subprocess.run(
        [sys.executable, str(TOOL), "--kube-version", "1.30.0", str(manifest)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_the_rendered_custom_resources_pass(tmp_path: Path) -> None:
    docs = render("metrics.prometheusRule.enabled=true", "metrics.serviceMonitor.enabled=true")
    custom = find(docs, "PrometheusRule") + find(docs, "ServiceMonitor")
    done = validate(tmp_path, *custom)
    assert done.returncode == 0, done.stdout
    assert "1 PrometheusRule, 1 ServiceMonitor" in done.stdout


def test_a_rule_that_promtool_refuses_fails(tmp_path: Path) -> None:
    rule = find(render("metrics.prometheusRule.enabled=true"), "PrometheusRule")[0]
    rule["spec"]["groups"][1]["rules"][0]["expr"] = "sum by (job ("
    done = validate(tmp_path, rule)
    assert done.returncode == 1
    assert "promtool check rules" in done.stdout


def test_an_unknown_field_of_a_custom_resource_fails(tmp_path: Path) -> None:
    monitor = find(render("metrics.serviceMonitor.enabled=true"), "ServiceMonitor")[0]
    monitor["spec"]["endpoints"][0]["bearerTokenFiel"] = "/x"
    done = validate(tmp_path, monitor)
    assert done.returncode == 1
    assert "bearerTokenFiel" in done.stdout


def test_a_kind_without_a_schema_fails(tmp_path: Path) -> None:
    unknown = {"apiVersion": "example.org/v1", "kind": "Widget", "metadata": {"name": "w"}}
    done = validate(tmp_path, unknown)
    assert done.returncode == 1
    assert "no schema, so not validated" in done.stdout


def test_a_built_in_kind_with_an_unknown_field_fails(tmp_path: Path) -> None:
    deployment = find(render(), "Deployment")[0]
    deployment["spec"]["replica"] = 2
    done = validate(tmp_path, deployment)
    assert done.returncode == 1
    assert "replica" in done.stdout
