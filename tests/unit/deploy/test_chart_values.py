"""The chart's values: a strict schema that still takes what operators are told to set, the
optional monitoring objects identical to deploy/, names, trusted proxies (docs/deployment.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.unit.deploy.helm_chart import CHART, ROOT, RenderError, find, labels, render

ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yml"
DASHBOARD = ROOT / "deploy" / "grafana" / "sfm-graphql.json"


def config_data(*sets: str) -> dict[str, str]:
    data: dict[str, str] = find(render(*sets), "ConfigMap")[0]["data"]
    return data


def test_extra_env_takes_the_otel_variables_the_docs_name() -> None:
    data = config_data(
        "config.extraEnv.OTEL_EXPORTER_OTLP_ENDPOINT=http://otel-collector:4318",
        "config.extraEnv.OTEL_SERVICE_NAME=sfm-eu",
        "config.extraEnv.SFM_MAX_PAGE_SIZE=50",
    )
    assert data["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://otel-collector:4318"
    assert data["OTEL_SERVICE_NAME"] == "sfm-eu"
    assert data["SFM_MAX_PAGE_SIZE"] == "50"
    # The migration hook's copy of the settings carries them too.
    hook_config = find(render("config.extraEnv.OTEL_SERVICE_NAME=x"), "ConfigMap", "migrate")[0]
    assert hook_config["data"]["OTEL_SERVICE_NAME"] == "x"


@pytest.mark.parametrize(
    ("value", "refusal"),
    [
        ("config.extraEnv.1BAD=x", "1BAD"),
        ("config.extraEnv.SFM_NEO4J_URI=neo4j://elsewhere:7687", "the chart sets SFM_NEO4J_URI"),
        ("replicaCuont=3", "replicaCuont"),  # a misspelt top-level key
        ("config.neo4jURI=neo4j://x:7687", "neo4jURI"),  # and one inside the chart's objects
        ("migrations.enable=false", "enable"),
        ("metrics.prometheusRule.enabeld=true", "enabeld"),
        ("trustedProxies={10.0.0.0/8;evil}", "trustedProxies"),
        ("config.corsOrigins={*}", "corsOrigins"),
    ],
)
def test_bad_values_are_refused_with_their_name(value: str, refusal: str) -> None:
    with pytest.raises(RenderError, match=refusal):
        render(value)


def test_the_schema_is_strict_on_every_object_of_the_chart() -> None:
    """additionalProperties: false wherever the chart defines the keys; open maps by intent."""
    schema = json.loads((CHART / "values.schema.json").read_text(encoding="utf-8"))
    open_on_purpose = {
        "global",
        "podSecurityContext",
        "securityContext",
        "affinity",
        "extraEnv",
    }

    def walk(node: dict[str, object], path: str) -> list[str]:
        loose = []
        properties = node.get("properties")
        if isinstance(properties, dict):
            if node.get("additionalProperties") is not False:
                loose.append(path or "(root)")
            for name, child in properties.items():
                if isinstance(child, dict) and name not in open_on_purpose:
                    loose += walk(child, f"{path}.{name}".lstrip("."))
        elif (
            node.get("type") == "object"
            and path.rpartition(".")[2] not in open_on_purpose
            and not isinstance(node.get("additionalProperties"), dict)
        ):
            loose.append(f"{path} (a map whose values are not typed)")
        return loose

    assert walk(schema, "") == []


def test_the_default_values_satisfy_the_schema_and_render_every_kind() -> None:
    kinds = {d["kind"] for d in render()}
    assert kinds >= {"Deployment", "Service", "ConfigMap", "Job", "CronJob", "ServiceAccount"}
    # The optional monitoring objects are off by default.
    assert "PrometheusRule" not in kinds
    assert [d["metadata"]["name"] for d in find(render(), "ConfigMap")] == [
        "sfm-sfm-graphql",
        "sfm-sfm-graphql-migrate",
    ]


def test_the_prometheus_rule_holds_exactly_the_rules_of_deploy() -> None:
    chart_copy = CHART / "files" / "prometheus-alerts.yml"
    assert chart_copy.read_bytes() == ALERTS.read_bytes(), (
        f"{chart_copy.relative_to(ROOT)} differs: cp {ALERTS.relative_to(ROOT)} to it"
    )
    rule = find(
        render(
            "metrics.prometheusRule.enabled=true",
            "metrics.prometheusRule.labels.release=prometheus",
        ),
        "PrometheusRule",
    )[0]
    assert rule["spec"] == yaml.safe_load(ALERTS.read_text(encoding="utf-8"))
    assert labels(rule)["release"] == "prometheus"


def test_the_grafana_dashboard_configmap_holds_the_dashboard_of_deploy() -> None:
    chart_copy = CHART / "files" / "grafana-dashboard.json"
    assert chart_copy.read_bytes() == DASHBOARD.read_bytes(), (
        f"{chart_copy.relative_to(ROOT)} differs: cp {DASHBOARD.relative_to(ROOT)} to it"
    )
    docs = render(
        "metrics.grafanaDashboard.enabled=true",
        "metrics.grafanaDashboard.annotations.grafana_folder=SFM",
    )
    dashboard = next(d for d in find(docs, "ConfigMap") if "grafana_dashboard" in labels(d))
    assert labels(dashboard)["grafana_dashboard"] == "1"
    assert dashboard["metadata"]["annotations"] == {"grafana_folder": "SFM"}
    assert json.loads(dashboard["data"]["sfm-graphql.json"]) == json.loads(
        DASHBOARD.read_text(encoding="utf-8")
    )
    assert len(dashboard["data"]["sfm-graphql.json"]) < 1024 * 1024  # a ConfigMap's limit


def test_trusted_proxies_become_one_setting() -> None:
    data = config_data("trustedProxies={10.0.0.0/8,192.168.4.7,fd00::/8}")
    assert data["SFM_TRUSTED_PROXIES"] == "10.0.0.0/8,192.168.4.7,fd00::/8"
    assert (
        "SFM_TRUSTED_PROXIES" not in config_data()
    )  # by default forwarded headers count for nothing


def test_name_overrides() -> None:
    docs = render("nameOverride=matrix")
    assert find(docs, "Deployment")[0]["metadata"]["name"] == "sfm-matrix"
    assert labels(find(docs, "Deployment")[0])["app.kubernetes.io/name"] == "matrix"
    docs = render("fullnameOverride=sfm-prod")
    names = {d["metadata"]["name"] for d in docs}
    assert {"sfm-prod", "sfm-prod-migrate", "sfm-prod-migrate-1", "sfm-prod-audit-prune"} <= names
    service_name = find(docs, "Service")[0]["metadata"]["name"]
    assert f"http://{service_name}:80" in find(docs, "Pod")[0]["spec"]["containers"][0]["args"][0]


def test_long_release_names_stay_within_kubernetes_limits() -> None:
    docs = render(
        "backup.enabled=true", release="a-release-name-of-fifty-three-characters-helm-maximum"
    )
    for doc in docs:
        limit = 52 if doc["kind"] == "CronJob" else 63
        assert len(doc["metadata"]["name"]) <= limit, doc["metadata"]["name"]
        assert not doc["metadata"]["name"].endswith("-")


def test_values_yaml_names_only_keys_the_schema_knows() -> None:
    """A key added to values.yaml without its schema entry would be refused at install."""
    values = yaml.safe_load((CHART / "values.yaml").read_text(encoding="utf-8"))
    schema = json.loads((CHART / "values.schema.json").read_text(encoding="utf-8"))
    assert set(values) <= set(schema["properties"])
    assert Path(CHART / "values.schema.json").read_text(encoding="utf-8").endswith("\n")
