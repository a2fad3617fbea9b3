"""The Grafana dashboard and the Prometheus rules under deploy/: valid, tested with promtool, and
asking only for metrics the service exports (docs/observability.md, Dashboard and alerts)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from sfm_graphql.observability.metrics import Metrics
from sfm_graphql.observability.metrics_scrape import HitRateWindow, exposition
from tests.paths import ROOT

DASHBOARD = ROOT / "deploy" / "grafana" / "sfm-graphql.json"
RULES = ROOT / "deploy" / "prometheus" / "alerts.yml"
RULE_TESTS = ROOT / "deploy" / "prometheus" / "alerts_test.yml"
NAME = re.compile(r"\b(sfm[_:][A-Za-z0-9_:]*)")
GRAFANA_VARIABLES = {"$__rate_interval": "5m", "$job": ".*", "$instance": ".*", "$operation": ".*"}
REQUIRED_ALERTS = {
    "SfmGraphqlSlowResponses": "> 5",
    "SfmGraphqlHighErrorRate": "> 0.01",
    "SfmGraphqlMemoryHigh": "> 0.8",
    "SfmGraphqlDbPoolSaturated": "> 0.9",
    "SfmGraphqlCacheHitRateLow": "< 0.7",
    "SfmGraphqlAuthFailures": "> 100",
    "SfmGraphqlWriteRetriesExhausted": "> 10",
}


def promtool() -> str:
    found = shutil.which("promtool")
    assert found, "promtool is missing: tools/apt-install.sh --no-install-recommends prometheus"
    return found


def exported_series() -> set[str]:
    """Every series name /metrics can carry, read from the real exposition."""
    metrics = Metrics(max_operation_names=10, pool_size=5)
    metrics.observe_cache("apq", hit=True)  # so that sfm_cache_hit_rate has a value
    text = exposition(metrics, HitRateWindow()).decode()
    names: set[str] = set()
    for family in text_string_to_metric_families(text):
        if family.type == "counter":
            names.add(f"{family.name}_total")
        elif family.type == "histogram":
            names |= {f"{family.name}{suffix}" for suffix in ("_bucket", "_count", "_sum")}
        else:
            names.add(family.name)
    return names


def rules() -> list[dict[str, Any]]:
    document = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    return [rule for group in document["groups"] for rule in group["rules"]]


def recorded_names() -> set[str]:
    return {rule["record"] for rule in rules() if "record" in rule}


def dashboard_targets() -> list[tuple[str, str]]:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return [
        (panel["title"], target["expr"])
        for panel in dashboard["panels"]
        if panel["type"] != "row"
        for target in panel["targets"]
    ]


def check_rules_file(tmp_path: Path, exprs: list[str]) -> subprocess.CompletedProcess[str]:
    """`promtool check rules` on recording rules made of `exprs`: a PromQL syntax check."""
    group = {
        "name": "dashboard",
        "rules": [{"record": f"dashboard:expr_{i}", "expr": e} for i, e in enumerate(exprs)],
    }
    path = tmp_path / "dashboard_rules.yml"
    path.write_text(yaml.safe_dump({"groups": [group]}), encoding="utf-8")
    return subprocess.run(
        [promtool(), "check", "rules", str(path)], capture_output=True, text=True, check=False
    )


# -- alerts ---------------------------------------------------------------------------------------


def test_alert_rules_pass_promtool_check() -> None:
    result = subprocess.run(
        [promtool(), "check", "rules", str(RULES)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_alert_rules_pass_their_promtool_unit_tests() -> None:
    result = subprocess.run(
        [promtool(), "test", "rules", str(RULE_TESTS)],
        capture_output=True,
        text=True,
        check=False,
        cwd=RULE_TESTS.parent,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_each_required_alert_exists_with_its_threshold_and_a_test_that_fires_it() -> None:
    alerts = {rule["alert"]: rule for rule in rules() if "alert" in rule}
    assert set(alerts) == set(REQUIRED_ALERTS)
    for name, threshold in REQUIRED_ALERTS.items():
        assert threshold in alerts[name]["expr"], name
        assert alerts[name]["labels"]["severity"] in ("page", "ticket")
        assert alerts[name]["annotations"]["runbook_url"].startswith("docs/observability.md#")
    cases = yaml.safe_load(RULE_TESTS.read_text(encoding="utf-8"))["tests"]
    fired = {
        check["alertname"]
        for case in cases
        for check in case["alert_rule_test"]
        if check["exp_alerts"]
    }
    quiet = {
        check["alertname"]
        for case in cases
        for check in case["alert_rule_test"]
        if not check["exp_alerts"]
    }
    assert fired == set(REQUIRED_ALERTS)
    assert quiet == set(REQUIRED_ALERTS)


def test_rules_ask_only_for_exported_metrics() -> None:
    known = exported_series() | recorded_names()
    for rule in rules():
        unknown = set(NAME.findall(rule["expr"])) - known
        assert not unknown, f"{rule.get('record') or rule.get('alert')}: {unknown}"


# -- dashboard ------------------------------------------------------------------------------------


def test_every_dashboard_expression_asks_only_for_exported_metrics() -> None:
    known = exported_series() | recorded_names()
    targets = dashboard_targets()
    assert len(targets) >= 15
    for title, expr in targets:
        used = set(NAME.findall(expr))
        assert used, f"{title}: {expr} names no sfm_ metric"
        assert not used - known, f"{title}: {used - known}"


def test_every_dashboard_expression_is_valid_promql(tmp_path: Path) -> None:
    exprs = []
    for _, expr in dashboard_targets():
        promql = expr
        for variable, value in GRAFANA_VARIABLES.items():
            promql = promql.replace(variable, value)
        assert "$" not in promql, promql
        exprs.append(promql)
    result = check_rules_file(tmp_path, exprs)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_promql_check_catches_a_broken_expression(tmp_path: Path) -> None:
    assert check_rules_file(tmp_path, ["sum by (route (rate(sfm_requests_total[5m]))"]).returncode


@pytest.mark.parametrize(
    ("what", "pattern"),
    [
        ("request rate", r"rate\(sfm_requests_total"),
        ("error rate", r"sfm_errors_total"),
        ("p50 per operation", r"histogram_quantile\(0\.5, sum by \(operation, le\)"),
        ("p95 per operation", r"histogram_quantile\(0\.95, sum by \(operation, le\)"),
        ("p99 per operation", r"histogram_quantile\(0\.99, sum by \(operation, le\)"),
        ("query cost", r"sfm_query_complexity_bucket"),
        ("cache hit rate", r"sfm_cache_hit_rate"),
        ("DB pool use", r'sfm_db_connections\{[^}]*state="in_use"'),
        ("memory", r"sfm_memory_usage_bytes"),
        ("failed logins", r"sfm_auth_failures_total"),
    ],
)
def test_the_dashboard_shows(what: str, pattern: str) -> None:
    assert any(re.search(pattern, expr) for _, expr in dashboard_targets()), what


def test_dashboard_panels_use_the_datasource_variable_and_unique_ids() -> None:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    variables = {v["name"] for v in dashboard["templating"]["list"]}
    assert {"datasource", "job", "instance", "operation"} <= variables
    for panel in dashboard["panels"]:
        if panel["type"] != "row":
            assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
